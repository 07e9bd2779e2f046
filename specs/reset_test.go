package specs_test

import (
	"context"
	"errors"
	"fmt"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/camrig/camrig/harness/procedure"
	"github.com/camrig/camrig/harness/profile"
)

// resetSpecs are the vendor reset procedures, each where the model has it.
func resetSpecs(t *target) {
	h := t.profile.Holds
	// The specs that leave the unit as it was (activated, its settings
	// kept) come first, the ones that reset it last: a press without
	// effect or an outage then finds the unit up and active from the spec
	// before, instead of waiting for it to be activated again after a
	// factory reset.
	if _, ok := h.ShortPress(); ok {
		It("changes nothing after a short press", Label("reset", "no-effect"), SpecTimeout(quietPressTimeout(t)), func(ctx SpecContext) {
			pressWithoutEffect(ctx, t, procedure.ShortPress)
		})
	}
	if _, ok := h.BelowFactory(); ok {
		It("changes nothing after a hold below the factory minimum", Label("reset", "no-effect"), SpecTimeout(quietPressTimeout(t)), func(ctx SpecContext) {
			pressWithoutEffect(ctx, t, procedure.BelowFactory)
		})
	}
	// A factory reset is recognised by the console marker and by the
	// unit's state: a unit that wipes its config silently at boot prints
	// nothing, but comes back inactive without its settings.
	It("comes back from a power outage without a factory reset", Label("outage"), SpecTimeout(budget(t, 5)), func(ctx SpecContext) {
		mark := bootAndMark(ctx, t)
		o, err := procedure.PowerOutage(ctx, t.Procedure(), procedure.ResetOptions{Booted: true})
		Expect(err).NotTo(HaveOccurred())
		Expect(o.After.Has("factory")).To(BeFalse(), "a power outage must not factory-reset the unit")
		mark.kept(ctx, "a power outage")
		t.leavesUp()
	})
	if h.Reboot != nil {
		It("reboots without a factory reset after a reboot hold", Label("reset"), SpecTimeout(budget(t, 2, h.Reboot.Max)), func(ctx SpecContext) {
			r, err := procedure.RebootHold(ctx, t.Procedure(), procedure.ResetOptions{Booted: t.tookUp()})
			Expect(err).NotTo(HaveOccurred())
			AddReportEntry("hold", holdLine(t, r))
			expectHoldInside(t, r, *h.Reboot, "reboot")
			t.leavesUp()
		})
	}
	if h.Factory != nil {
		It("factory-resets after the vendor's factory hold", Label("reset", "destroys-config"), SpecTimeout(budget(t, 2, h.Factory.Max)), func(ctx SpecContext) {
			r, err := procedure.FactoryReset(ctx, t.Procedure(), procedure.ResetOptions{Booted: t.tookUp()})
			Expect(err).NotTo(HaveOccurred())
			AddReportEntry("hold", holdLine(t, r))
			expectHoldInside(t, r, *h.Factory, "factory")
			if h.ReleaseOnLED && t.LED != nil {
				Expect(r.LEDEdge.At).NotTo(BeZero(), "released when the status LED started flashing")
			}
			t.leavesUp()
		})
	}
	if h.PowerOn != nil {
		It("factory-resets when held through power-on", Label("reset", "destroys-config"), SpecTimeout(budget(t, 2, 2*h.PowerOn.Hold)), func(ctx SpecContext) {
			_, err := procedure.PowerOnHold(ctx, t.Procedure())
			Expect(err).NotTo(HaveOccurred())
			t.leavesUp()
		})
	}
}

// pressWithoutEffect presses a booted unit's button in a way the model
// documents no effect for: the console must stay quiet, and the unit keep
// its settings and activation. A press the rig could not make (the board
// released too late or too soon for the timescale) says nothing about the
// unit: it is tried again from a fresh boot, and skipped with the reason if
// the rig never manages it.
func pressWithoutEffect(ctx context.Context, t *target, which string) {
	for i := 1; ; i++ {
		mark := bootAndMark(ctx, t)
		rec, err := procedure.PressWithoutEffect(ctx, t.Procedure(), which)
		var miss *procedure.HoldMissedError
		if errors.As(err, &miss) {
			if i < quietPressAttempts {
				By(fmt.Sprintf("attempt %d: %v; again", i, miss))
				continue
			}
			Skip(fmt.Sprintf("%d attempts: %v", quietPressAttempts, miss))
		}
		Expect(err).NotTo(HaveOccurred())
		mark.kept(ctx, which)
		// The console stayed quiet over the read-back too: a unit that
		// restarts a little later than its reaction time shows it here.
		Expect(procedure.StillQuiet(ctx, t.Procedure(), which, rec)).To(Succeed())
		AddReportEntry("hold", fmt.Sprintf("%s: held %v (requested %v; %v profile time)", which, rec.Measured.Round(1e5),
			rec.Requested, t.Scale.Unscale(rec.Measured).Round(1e7)))
		t.leavesUp()
		return
	}
}

// quietPressAttempts is how often a press the rig could not make is tried.
const quietPressAttempts = 3

// quietPressTimeout covers every attempt: a cold boot, the activation,
// the quiet watch (the profile's reaction time, shorter than a boot
// deadline) and the API's answer afterwards (each within a boot deadline),
// and the press (shorter than the factory window).
func quietPressTimeout(t *target) time.Duration {
	return budget(t, 4*quietPressAttempts, quietPressAttempts*t.profile.Holds.Factory.Min)
}

// holdTolerance is the slack allowed around a profile window when judging a
// measured hold: a relay board's round trip, whatever the timescale (the
// procedures allow the same).
const holdTolerance = 5 * time.Millisecond

// expectHoldInside requires the hold the unit saw to lie inside the
// profile's window, both ends: a hold past the maximum is a different
// procedure on some models.
func expectHoldInside(t *target, r procedure.Reset, w profile.Window, which string) {
	lo, hi := t.Scale.Of(w.Min)-holdTolerance, t.Scale.Of(w.Max)+holdTolerance
	Expect(r.Press.Seen).To(BeNumerically(">=", lo),
		"the %s hold the unit saw (%v) must reach the profile's minimum %v x timescale", which, r.Press.Seen, w.Min)
	Expect(r.Press.Seen).To(BeNumerically("<=", hi),
		"the %s hold the unit saw (%v) must not pass the profile's maximum %v x timescale", which, r.Press.Seen, w.Max)
}

func holdLine(t *target, r procedure.Reset) string {
	return fmt.Sprintf("held %v at the unit (requested %v; %v profile time; %v between the board's acknowledgements)",
		r.Press.Seen.Round(1e5), r.Press.Requested, t.Scale.Unscale(r.Press.Seen).Round(1e7), r.Press.Measured.Round(1e5))
}
