package specs_test

import (
	"errors"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/camrig/camrig/harness/rig"
)

// claimForRun, in a run shared by several runners (--run-id on a lab rig),
// claims the unit for this runner or skips its container with the reason
// "run by <host>". It returns the runner that died running the unit when
// this is the retry ("" otherwise). The claim is given back, the unit
// marked done, when the container ends.
func claimForRun(ctx SpecContext, name string) string {
	if *runIDFlag == "" || theRig.Lab == nil {
		return ""
	}
	c, err := theRig.ClaimRun(ctx, *runIDFlag, name)
	var other *rig.RunByOtherError
	if errors.As(err, &other) {
		Skip(other.Error())
	}
	Expect(err).NotTo(HaveOccurred(), "claiming unit %s for run %s", name, *runIDFlag)
	DeferCleanup(func(ctx SpecContext) {
		Expect(c.Done(ctx)).To(Succeed(), "finishing unit %s for run %s", name, *runIDFlag)
	})
	return c.RetryOf()
}
