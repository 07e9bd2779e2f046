package procedure

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/camrig/camrig/harness/clock"
	"github.com/camrig/camrig/harness/console"
	"github.com/camrig/camrig/harness/power"
)

// OutagePhase is the part of a unit's life a power cut lands in. A mains
// failure does not wait for a convenient moment; each phase breaks
// different things (the bootloader's environment, the kernel's file
// systems, the application's state, a configuration being written).
type OutagePhase string

// The phases, in the order a unit goes through them.
const (
	// PhaseBootloader is from the bootloader's banner to the kernel start.
	PhaseBootloader OutagePhase = "bootloader"
	// PhaseKernel is from the kernel start to the application's ready marker.
	PhaseKernel OutagePhase = "kernel"
	// PhaseRunning is after the ready marker, the unit idle.
	PhaseRunning OutagePhase = "running"
	// PhaseConfigWrite is while a configuration write is in flight.
	PhaseConfigWrite OutagePhase = "config-write"
)

// OutagePhases lists every phase, in order.
var OutagePhases = []OutagePhase{PhaseBootloader, PhaseKernel, PhaseRunning, PhaseConfigWrite}

// CutOutage is the evidence of one power cut at a chosen moment.
type CutOutage struct {
	Phase OutagePhase
	// Window is how long the phase lasted on the calibration boot (real
	// time); Delay is where in it the cut landed (Frac of Window).
	Window, Delay time.Duration
	Frac          float64
	CutAt         time.Time
	// WriteErr is what the interrupted configuration write returned
	// (PhaseConfigWrite only; nil when it completed before the cut).
	WriteErr error
	// After is the boot that followed power's return.
	After Boot
}

// phaseTimes are when a boot's phases began.
type phaseTimes struct{ banner, kernel, ready time.Time }

// bootPhases waits for the banner, the kernel marker and the ready marker
// of a boot that started at since, in that order.
func bootPhases(ctx context.Context, u *Unit, since time.Time) (phaseTimes, Boot, error) {
	var pt phaseTimes
	p := u.Profile
	what := fmt.Sprintf("%s boot phases (profile deadline %v)", u.Name, p.Boot.Deadline)
	err := u.within(ctx, p.Boot.Deadline, what, func(ctx context.Context) error {
		m, err := u.Console.Expect(ctx, console.Lit(p.Bootloader.Banner))
		if err != nil {
			return fmt.Errorf("waiting for the bootloader banner %q: %w", p.Bootloader.Banner, err)
		}
		pt.banner = m.At
		if m, err = u.Console.Expect(ctx, console.Lit(p.Boot.Kernel())); err != nil {
			return fmt.Errorf("waiting for the kernel marker %q: %w", p.Boot.Kernel(), err)
		}
		pt.kernel = m.At
		return nil
	})
	if err != nil {
		return pt, Boot{}, fmt.Errorf("%s: %w", u.Name, err)
	}
	b, err := AwaitBoot(ctx, u, since)
	pt.ready = b.ReadyAt
	return pt, b, err
}

// CutDuring cuts the unit's power frac (0 <= frac < 1) of the way into
// phase and checks that it comes back by itself: power off for the
// profile's off time, on again, a boot to the ready marker without a
// factory reset. A calibration boot first measures how long the
// bootloader and kernel phases last on this unit, so the moment lands in
// the phase whatever the timescale. PhaseConfigWrite needs a write: use
// CutDuringWrite.
func CutDuring(ctx context.Context, u *Unit, phase OutagePhase, frac float64) (CutOutage, error) {
	out := CutOutage{Phase: phase, Frac: frac}
	if err := u.needDrivers("a power cut at a chosen moment"); err != nil {
		return out, err
	}
	if frac < 0 || frac >= 1 {
		return out, fmt.Errorf("%s: cut at %.3f of a phase: want 0 <= frac < 1", u.Name, frac)
	}
	// Calibration: a cold boot whose phase marks say how long each lasts.
	if err := PowerOff(ctx, u); err != nil {
		return out, err
	}
	if err := clock.Wait(ctx, u.Clock, u.D(u.Profile.Boot.OffTime)); err != nil {
		return out, fmt.Errorf("%s: interrupted while powered off: %w", u.Name, err)
	}
	on, err := powerOn(ctx, u)
	if err != nil {
		return out, err
	}
	pt, _, err := bootPhases(ctx, u, on)
	if err != nil {
		return out, fmt.Errorf("calibration boot: %w", err)
	}
	switch phase {
	case PhaseBootloader:
		out.Window = pt.kernel.Sub(pt.banner)
	case PhaseKernel:
		out.Window = pt.ready.Sub(pt.kernel)
	case PhaseRunning:
		out.Window = u.D(u.Profile.Boot.OffTime)
	default:
		return out, fmt.Errorf("%s: CutDuring cannot land in phase %q (a config write needs CutDuringWrite)", u.Name, phase)
	}
	out.Delay = time.Duration(frac * float64(out.Window))

	if phase != PhaseRunning {
		// A second boot, cut in the phase: off, on, wait for the phase
		// to begin, then the chosen delay into it.
		if err := PowerOff(ctx, u); err != nil {
			return out, err
		}
		if err := clock.Wait(ctx, u.Clock, u.D(u.Profile.Boot.OffTime)); err != nil {
			return out, fmt.Errorf("%s: interrupted while powered off: %w", u.Name, err)
		}
		if _, err := powerOn(ctx, u); err != nil {
			return out, err
		}
		marker := u.Profile.Bootloader.Banner
		if phase == PhaseKernel {
			marker = u.Profile.Boot.Kernel()
		}
		what := fmt.Sprintf("%s %s phase marker %q (profile deadline %v)", u.Name, phase, marker, u.Profile.Boot.Deadline)
		err := u.within(ctx, u.Profile.Boot.Deadline, what, func(ctx context.Context) error {
			_, err := u.Console.Expect(ctx, console.Lit(marker))
			return err
		})
		if err != nil {
			return out, fmt.Errorf("%s: waiting for the %s phase: %w", u.Name, phase, err)
		}
	}
	if err := clock.Wait(ctx, u.Clock, out.Delay); err != nil {
		return out, fmt.Errorf("%s: interrupted before the cut: %w", u.Name, err)
	}
	return recoverFromCut(ctx, u, out)
}

// CutDuringWrite starts write (a configuration write through the unit's
// API, which the caller owns) and cuts the unit's power frac of window into
// it, window being how long such a write takes on this unit (the caller
// measures one). Then as CutDuring: off, on, a boot without a factory
// reset. Whether the write survived is for the caller to check: it must
// have completed or rolled back, never half.
func CutDuringWrite(ctx context.Context, u *Unit, frac float64, window time.Duration, write func(ctx context.Context) error) (CutOutage, error) {
	out := CutOutage{Phase: PhaseConfigWrite, Frac: frac, Window: window}
	if err := u.needDrivers("a power cut during a write"); err != nil {
		return out, err
	}
	if frac < 0 || frac >= 1 {
		return out, fmt.Errorf("%s: cut at %.3f of a write: want 0 <= frac < 1", u.Name, frac)
	}
	out.Delay = time.Duration(frac * float64(window))
	writeCtx, cancelWrite := context.WithCancel(ctx)
	defer cancelWrite()
	done := make(chan error, 1)
	u.step("config-write", fmt.Sprintf("write started, power cut %v into it", out.Delay))
	go func() { done <- write(writeCtx) }()
	if err := clock.Wait(ctx, u.Clock, out.Delay); err != nil {
		return out, fmt.Errorf("%s: interrupted before the cut: %w", u.Name, err)
	}
	out, err := recoverFromCut(ctx, u, out)
	// The write ended one way or the other when the unit lost power; a
	// client still waiting on a dead unit is cancelled.
	cancelWrite()
	out.WriteErr = <-done
	if errors.Is(out.WriteErr, context.Canceled) {
		out.WriteErr = fmt.Errorf("%s: the write got no answer before the power cut", u.Name)
	}
	return out, err
}

// recoverFromCut cuts power now, keeps it off for the profile's off time,
// restores it and waits for the boot, which must not be a factory reset.
func recoverFromCut(ctx context.Context, u *Unit, out CutOutage) (CutOutage, error) {
	out.CutAt = u.Clock.Now()
	u.step("outage", fmt.Sprintf("power cut %.0f%% into the %s phase (%v of %v)", out.Frac*100, out.Phase, out.Delay.Round(time.Microsecond), out.Window.Round(time.Microsecond)))
	if err := power.SetRecorded(ctx, u.Power, false, u.Clock, u.Timeline); err != nil {
		return out, fmt.Errorf("%s: cutting power: %w", u.Name, err)
	}
	if err := clock.Wait(ctx, u.Clock, u.D(u.Profile.Boot.OffTime)); err != nil {
		return out, fmt.Errorf("%s: interrupted while powered off: %w", u.Name, err)
	}
	var err error
	if out.After, err = PowerOnBoot(ctx, u); err != nil {
		return out, fmt.Errorf("after a power cut in the %s phase: %w", out.Phase, err)
	}
	if out.After.Has("factory") {
		return out, fmt.Errorf("%s: a power cut in the %s phase factory-reset the unit", u.Name, out.Phase)
	}
	return out, nil
}

// powerOn requests power on with the console's earlier output dropped, and
// returns when it was requested (the boot's start).
func powerOn(ctx context.Context, u *Unit) (time.Time, error) {
	u.Console.Skip()
	u.step("power-on", u.Power.String())
	requested := u.Clock.Now()
	if err := power.SetRecorded(ctx, u.Power, true, u.Clock, u.Timeline); err != nil {
		return requested, err
	}
	return requested, nil
}
