package specs_test

import (
	"fmt"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/camrig/camrig/harness/procedure"
	"github.com/camrig/camrig/harness/rig"
)

var _ = Describe("Power-on boot", func() {
	for _, name := range theRig.UnitNames() {
		Describe(name, Ordered, Label("unit:"+name, "boot"), func() {
			var u *rig.Unit
			BeforeAll(func(ctx SpecContext) {
				u = openUnit(ctx, name)
			})

			It("boots after power-on", func(ctx SpecContext) {
				DeferCleanup(attachEvidence, u)
				DeferCleanup(func(ctx SpecContext) {
					Expect(procedure.PowerOff(ctx, u.Procedure())).To(Succeed(), "leaving %s powered off", name)
				})
				b, err := procedure.ColdBoot(ctx, u.Procedure())
				Expect(err).NotTo(HaveOccurred())
				Expect(b.Has("factory")).To(BeFalse(), "a plain power-on must not factory-reset the unit")
				AddReportEntry("boot", fmt.Sprintf("%s booted in %.2fs (%s profile time)",
					name, b.Took.Seconds(), b.ProfileTime.Round(1e8)))
			})
		})
	}
})
