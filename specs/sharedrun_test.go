package specs_test

import (
	"context"
	"errors"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/camrig/camrig/harness/rig"
)

// sharedRun: the run is shared by the runners given the same --run-id on a
// lab rig (a rig file with lab:).
func sharedRun() bool { return *runIDFlag != "" && theRig.Lab != nil }

// claimForRun, in a shared run, claims the unit for this runner or skips
// its container with the reason "run by <host>". The unit is marked done
// for the run when the container ends.
func claimForRun(ctx SpecContext, name string) string {
	if !sharedRun() {
		return ""
	}
	c, err := theRig.ClaimRun(ctx, *runIDFlag, name)
	return finishClaim(name, c, err)
}

// awaitRetry is the second container of a unit in a shared run: it waits
// while another runner is at the unit, and when that runner died (its
// claim expired with the TTL) it claims the unit as the retry, waits for
// the dead runner's lease to expire too and opens the unit under a lease
// of its own (the take-over makes the unit safe first). When the unit was
// finished by its runner, the container is skipped ("run by <host>").
func awaitRetry(ctx SpecContext, name string) (string, []rig.OpenOption) {
	c, err := theRig.AwaitRun(ctx, *runIDFlag, name)
	retried := finishClaim(name, c, err)
	// The dead runner's unit lease was granted just after its claim, so
	// it ends a moment later: wait for it, within two TTLs.
	lctx, cancel := context.WithTimeout(ctx, 2*theRig.Lab.TTL)
	defer cancel()
	lease, err := theRig.LeaseAny(lctx, name)
	Expect(err).NotTo(HaveOccurred(), "leasing unit %s for the retry", name)
	return retried, []rig.OpenOption{rig.WithLease(lease)}
}

func finishClaim(name string, c *rig.RunClaim, err error) string {
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
