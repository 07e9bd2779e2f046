package specs_test

import (
	"context"
	"errors"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/camrig/camrig/rigs/virtual"
)

// sim is the virtual rig this suite started (nil when the rig is real or a
// simulator was already running).
var sim *virtual.Rig

var _ = SynchronizedBeforeSuite(func(ctx SpecContext) []byte {
	if !theRig.Virtual {
		return nil
	}
	s, err := virtual.Start(context.WithoutCancel(ctx), theRig.File)
	if errors.Is(err, virtual.ErrBusy) {
		GinkgoWriter.Printf("using the virtual rig already running on %s\n", theRig.StateDir)
		return nil
	}
	Expect(err).NotTo(HaveOccurred(), "starting the virtual rig")
	sim = s
	return nil
}, func(_ SpecContext, _ []byte) {})

var _ = SynchronizedAfterSuite(func() {}, func() {
	if sim != nil {
		Expect(sim.Close()).To(Succeed())
	}
})
