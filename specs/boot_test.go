package specs_test

import (
	"fmt"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/camrig/camrig/harness/procedure"
)

func bootSpecs(t *target) {
	It("boots after power-on", Label("boot"), SpecTimeout(budget(t, 1)), func(ctx SpecContext) {
		// A cold boot whatever state the unit is in: that is the spec.
		// A unit that failed it is left powered off.
		DeferCleanup(func(ctx SpecContext) {
			if CurrentSpecReport().Failed() {
				Expect(procedure.PowerOff(ctx, t.Procedure())).To(Succeed(), "leaving %s powered off", t.name)
			}
		})
		b, err := procedure.ColdBoot(ctx, t.Procedure())
		Expect(err).NotTo(HaveOccurred())
		Expect(b.Has("factory")).To(BeFalse(), "a plain power-on must not factory-reset the unit")
		AddReportEntry("boot", fmt.Sprintf("booted in %.2fs (%s profile time)",
			b.Took.Seconds(), b.ProfileTime.Round(1e8)))
		noteFirmware(ctx, t)
		t.leavesUp()
	})
}
