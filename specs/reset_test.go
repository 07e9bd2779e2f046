package specs_test

import (
	"fmt"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/camrig/camrig/harness/procedure"
)

func init() { suites = append(suites, resetSpecs) }

// resetSpecs are the vendor reset procedures, each where the model has it.
func resetSpecs(t *target) {
	h := t.profile.Holds
	if h.Reboot != nil {
		It("reboots without a factory reset after a reboot hold", Label("reset"), func(ctx SpecContext) {
			r, err := procedure.RebootHold(ctx, t.Procedure(), procedure.ResetOptions{})
			Expect(err).NotTo(HaveOccurred())
			Expect(r.Press.Measured).To(BeNumerically(">=", t.Scale.Of(h.Reboot.Min)))
			AddReportEntry("hold", holdLine(t, r))
		})
	}
	if h.Factory != nil {
		It("factory-resets after the vendor's factory hold", Label("reset", "destroys-config"), func(ctx SpecContext) {
			r, err := procedure.FactoryReset(ctx, t.Procedure(), procedure.ResetOptions{})
			Expect(err).NotTo(HaveOccurred())
			Expect(r.Press.Measured).To(BeNumerically(">=", t.Scale.Of(h.Factory.Min)),
				"the hold must reach the profile's minimum")
			if h.ReleaseOnLED && t.LED != nil {
				Expect(r.LEDEdge.At).NotTo(BeZero(), "released when the status LED started flashing")
			}
			AddReportEntry("hold", holdLine(t, r))
		})
	}
	if h.PowerOn != nil {
		It("factory-resets when held through power-on", Label("reset", "destroys-config"), func(ctx SpecContext) {
			_, err := procedure.PowerOnHold(ctx, t.Procedure())
			Expect(err).NotTo(HaveOccurred())
		})
	}
	It("comes back from a power outage without a factory reset", Label("outage"), func(ctx SpecContext) {
		o, err := procedure.PowerOutage(ctx, t.Procedure(), procedure.ResetOptions{})
		Expect(err).NotTo(HaveOccurred())
		Expect(o.After.Has("factory")).To(BeFalse())
	})
}

func holdLine(t *target, r procedure.Reset) string {
	return fmt.Sprintf("held %v (requested %v; %v profile time)", r.Press.Measured.Round(1e5),
		r.Press.Requested, t.Scale.Unscale(r.Press.Measured).Round(1e7))
}
