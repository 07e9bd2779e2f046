package procedure

import (
	"context"
	"fmt"
	"time"

	"github.com/camrig/camrig/harness/clock"
	"github.com/camrig/camrig/harness/console"
	"github.com/camrig/camrig/harness/power"
)

// Boot is the evidence of one boot.
type Boot struct {
	// PoweredAt is when the boot started: when power on was requested
	// (not when the board acknowledged it: a fast board may acknowledge
	// after the unit has started talking), or, for a boot a button hold
	// set off on a powered unit, when the button was released.
	PoweredAt time.Time
	// ReadyAt is when the ready marker arrived.
	ReadyAt time.Time
	// Took is ReadyAt - PoweredAt (real time); ProfileTime the same in the
	// profile's time (divided by the timescale).
	Took, ProfileTime time.Duration
	// Marks lists the other profile markers seen during the boot (factory,
	// recovery), in order.
	Marks []string
}

// PowerOff turns the unit's power off.
func PowerOff(ctx context.Context, u *Unit) error {
	if u.Power == nil {
		return fmt.Errorf("%s: powering off needs a power binding (rig file)", u.Name)
	}
	u.step("power-off", u.Power.String())
	return power.SetRecorded(ctx, u.Power, false, u.Clock, u.Timeline)
}

// ColdBoot cuts power for the profile's off time, powers the unit on and
// waits for the boot-ready marker within the profile's boot deadline.
func ColdBoot(ctx context.Context, u *Unit) (Boot, error) {
	if err := u.needDrivers("a cold boot"); err != nil {
		return Boot{}, err
	}
	if err := PowerOff(ctx, u); err != nil {
		return Boot{}, err
	}
	if err := clock.Wait(ctx, u.Clock, u.D(u.Profile.Boot.OffTime)); err != nil {
		return Boot{}, fmt.Errorf("%s: interrupted while powered off: %w", u.Name, err)
	}
	return PowerOnBoot(ctx, u)
}

// PowerOnBoot powers the unit on (from off) and waits for the ready marker.
func PowerOnBoot(ctx context.Context, u *Unit) (Boot, error) {
	if err := u.needDrivers("a boot"); err != nil {
		return Boot{}, err
	}
	requested, err := powerOn(ctx, u)
	if err != nil {
		return Boot{}, err
	}
	return AwaitBoot(ctx, u, requested)
}

// AwaitBoot waits for the ready marker of a boot that started at since
// (the request for power on, or the release of a reset hold; see
// Boot.PoweredAt), noting the factory-reset and recovery markers on the way.
func AwaitBoot(ctx context.Context, u *Unit, since time.Time) (Boot, error) {
	p := u.Profile
	b := Boot{PoweredAt: since}
	pats := []console.Pattern{console.Lit(p.Boot.ReadyMarker)}
	names := []string{"ready"}
	if p.Boot.FactoryMarker != "" {
		pats = append(pats, console.Lit(p.Boot.FactoryMarker))
		names = append(names, "factory")
	}
	for _, r := range p.Boot.RecoveryMarkers {
		pats = append(pats, console.Lit(r))
		names = append(names, "recovery")
	}
	what := fmt.Sprintf("%s boot-ready marker %q (profile deadline %v)", u.Name, p.Boot.ReadyMarker, p.Boot.Deadline)
	err := u.within(ctx, p.Boot.Deadline, what, func(ctx context.Context) error {
		for {
			m, err := u.Console.Expect(ctx, pats...)
			if err != nil {
				return err
			}
			if m.Index == 0 {
				b.ReadyAt = m.At
				return nil
			}
			b.Marks = append(b.Marks, names[m.Index])
		}
	})
	if err != nil {
		return b, fmt.Errorf("%s did not boot: %w", u.Name, err)
	}
	b.Took = b.ReadyAt.Sub(b.PoweredAt)
	b.ProfileTime = u.Scale.Unscale(b.Took)
	u.step("booted", fmt.Sprintf("ready after %v (%v profile time)", b.Took.Round(time.Millisecond), b.ProfileTime.Round(10*time.Millisecond)))
	return b, nil
}

// Has reports whether the boot saw a marker of the given kind.
func (b Boot) Has(kind string) bool {
	for _, m := range b.Marks {
		if m == kind {
			return true
		}
	}
	return false
}
