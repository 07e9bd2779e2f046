package procedure

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/camrig/camrig/harness/clock"
	"github.com/camrig/camrig/harness/led"
	"github.com/camrig/camrig/harness/power"
	"github.com/camrig/camrig/harness/press"
	"github.com/camrig/camrig/harness/profile"
	"github.com/camrig/camrig/harness/timeline"
)

// Reset is the evidence of one reset by the button.
type Reset struct {
	// Before is the boot that preceded the press (zero when the unit was
	// already up).
	Before Boot
	Press  press.Record
	// LEDEdge is the LED change that released the press (ReleaseOnLED
	// models): the status LED starting to flash.
	LEDEdge led.Edge
	// After is the boot the reset caused.
	After Boot
}

// ErrNoButton is returned for a procedure the unit's model cannot do.
var ErrNoButton = errors.New("model has no such reset hold")

// ResetOptions tune a reset procedure.
type ResetOptions struct {
	// Booted says the unit is already up; otherwise it is cold-booted
	// first (the vendors press on a running unit).
	Booted bool
}

// press is how the unit is pressed for a hold (profile.Holds.Press, the
// one function the rig check uses too), or why it cannot be.
func (u *Unit) press(kind profile.HoldKind, what string) (profile.Press, error) {
	if err := u.needDrivers("a " + what); err != nil {
		return profile.Press{}, err
	}
	p, ok := u.Profile.Holds.Press(kind, u.LED != nil)
	if !ok {
		return p, fmt.Errorf("%s (%s): %w: %s", u.Name, u.Profile.Model, ErrNoButton, what)
	}
	if u.Press == nil {
		return p, fmt.Errorf("%s: no solenoid wired (rig file: press)", u.Name)
	}
	return p, nil
}

func (u *Unit) bootFirst(ctx context.Context, o ResetOptions) (Boot, error) {
	if o.Booted {
		return Boot{}, nil
	}
	return ColdBoot(ctx, u)
}

// FactoryReset presses the reset button for the profile's factory hold on a
// running unit and waits for it to come back through its factory-reset
// path. Models that say release_on_led are released as soon as the status
// LED starts flashing (never later than the window's max).
func FactoryReset(ctx context.Context, u *Unit, o ResetOptions) (Reset, error) {
	p, err := u.press(profile.FactoryHold, "factory hold")
	if err != nil {
		return Reset{}, err
	}
	w := p.Window
	var r Reset
	if r.Before, err = u.bootFirst(ctx, o); err != nil {
		return r, err
	}
	u.Console.Skip()
	if p.UntilLED {
		u.step("factory-hold", fmt.Sprintf("hold until the LED starts flashing (max %v)", p.Longest))
		// Released on the LED's first change after the press began: the
		// vendor's "release when the LED starts flashing". Telling a blink
		// from a power cycle takes two whole periods, longer than a scaled
		// window allows; the first change is what a person reacts to.
		r.Press, err = u.Press.PressUntil(ctx, u.D(p.Longest), func(ctx context.Context) error {
			e, err := u.LED.WaitEdge(ctx, u.Clock.Now())
			r.LEDEdge = e
			return err
		})
		if !r.LEDEdge.At.IsZero() {
			u.Timeline.Add(timeline.Event{At: r.LEDEdge.At, Source: timeline.LED, Kind: "released-press",
				Detail: "the LED change that ended the factory hold", Attrs: map[string]string{"lit": fmt.Sprint(r.LEDEdge.Lit)}})
		}
		if errors.Is(err, press.ErrNotMet) {
			err = fmt.Errorf("the status LED never started flashing within the window's max %v: %w", p.Longest, err)
		}
		if err == nil && r.Press.Seen < u.D(w.Min)-holdTolerance {
			err = fmt.Errorf("%s: LED flashed after %v, before the profile's minimum hold %v", u.Name, r.Press.Seen, u.D(w.Min))
		}
	} else {
		u.step("factory-hold", fmt.Sprintf("hold %v", p.Longest))
		r.Press, err = u.Press.Press(ctx, u.D(p.Longest))
	}
	if err != nil {
		return r, fmt.Errorf("%s: factory hold: %w", u.Name, err)
	}
	if err := u.heldInside(r.Press, p.Window, "the factory hold"); err != nil {
		return r, err
	}
	r.After, err = awaitFactoryBoot(ctx, u, r.Press.End, "factory hold")
	return r, err
}

// awaitFactoryBoot waits for the boot a factory reset by hold causes and
// requires the factory-reset marker on the way.
func awaitFactoryBoot(ctx context.Context, u *Unit, since time.Time, hold string) (Boot, error) {
	b, err := AwaitBoot(ctx, u, since)
	if err != nil {
		return b, fmt.Errorf("%s: no factory reset after the %s: %w", u.Name, hold, err)
	}
	if !b.Has("factory") {
		return b, fmt.Errorf("%s: came back from the %s without the factory-reset marker %q", u.Name, hold, u.Profile.Boot.FactoryMarker)
	}
	return b, nil
}

// RebootHold presses for the profile's reboot hold: the unit must restart
// (reboot marker, then ready) without a factory reset.
func RebootHold(ctx context.Context, u *Unit, o ResetOptions) (Reset, error) {
	p, err := u.press(profile.RebootHold, "reboot hold")
	if err != nil {
		return Reset{}, err
	}
	var r Reset
	if r.Before, err = u.bootFirst(ctx, o); err != nil {
		return r, err
	}
	u.Console.Skip()
	u.step("reboot-hold", fmt.Sprintf("hold %v", p.Longest))
	if r.Press, err = u.Press.Press(ctx, u.D(p.Longest)); err != nil {
		return r, fmt.Errorf("%s: reboot hold: %w", u.Name, err)
	}
	if err := u.heldInside(r.Press, p.Window, "the reboot hold"); err != nil {
		return r, err
	}
	if r.After, err = AwaitBoot(ctx, u, r.Press.End); err != nil {
		return r, fmt.Errorf("%s: no restart after the reboot hold: %w", u.Name, err)
	}
	if r.After.Has("factory") {
		return r, fmt.Errorf("%s: a reboot hold of %v factory-reset the unit", u.Name, p.Longest)
	}
	return r, nil
}

// PowerOnHold is the vendor variant "cut power, hold reset, restore power,
// keep holding": the press starts with the unit off, power comes on during
// the hold, and the hold goes on for the profile's power_on window.
func PowerOnHold(ctx context.Context, u *Unit) (Reset, error) {
	p, err := u.press(profile.PowerOnHold, "power-on hold")
	if err != nil {
		return Reset{}, err
	}
	w := p.Window
	var r Reset
	if err := PowerOff(ctx, u); err != nil {
		return r, err
	}
	if err := clock.Wait(ctx, u.Clock, u.D(u.Profile.Boot.OffTime)); err != nil {
		return r, err
	}
	u.Console.Skip()
	var poweredAt time.Time
	u.step("power-on-hold", fmt.Sprintf("press, power on, keep holding %v", w.Hold))
	// The condition powers the unit on, then holds for the window: the
	// solenoid's own machinery releases afterwards, on every path, at
	// p.Longest at the latest (the hold plus an allowance for the
	// power-on itself).
	rec, err := u.Press.PressUntil(ctx, u.D(p.Longest), func(ctx context.Context) error {
		// The boot starts when power on is requested, as in PowerOnBoot.
		poweredAt = u.Clock.Now()
		if err := power.SetRecorded(ctx, u.Power, true, u.Clock, u.Timeline); err != nil {
			return err
		}
		return clock.Wait(ctx, u.Clock, u.D(w.Hold))
	})
	r.Press = rec
	if err != nil {
		return r, fmt.Errorf("%s: power-on hold: %w", u.Name, err)
	}
	r.After, err = awaitFactoryBoot(ctx, u, poweredAt, "power-on hold")
	return r, err
}

// Outage is the evidence of a power outage and the recovery after it.
type Outage struct {
	Before Boot
	// Off is how long power was cut (real time).
	Off   time.Duration
	After Boot
}

// PowerOutage boots the unit, cuts its power for the profile's off time (as
// a mains failure would) and restores it: the unit must boot again without a
// factory reset.
func PowerOutage(ctx context.Context, u *Unit, o ResetOptions) (Outage, error) {
	var out Outage
	if err := u.needDrivers("a power outage"); err != nil {
		return out, err
	}
	var err error
	if out.Before, err = u.bootFirst(ctx, o); err != nil {
		return out, err
	}
	u.step("outage", fmt.Sprintf("power cut for %v", u.Profile.Boot.OffTime))
	out.Off = u.D(u.Profile.Boot.OffTime)
	// A mains failure is a cold boot the unit did not ask for: off for
	// the off time, then on, the boot counted from the request for power.
	if out.After, err = ColdBoot(ctx, u); err != nil {
		return out, err
	}
	if out.After.Has("factory") {
		return out, fmt.Errorf("%s: a power outage factory-reset the unit", u.Name)
	}
	return out, nil
}

// heldInside requires the hold the unit saw to lie in the profile's window
// (scaled, with holdTolerance either side). Outside it the rig did not make
// the press the procedure names (a board too slow for the rig's
// timescale), and whatever the unit does next is no verdict on it: a
// *HoldMissedError says so instead of a misleading "did not restart".
func (u *Unit) heldInside(rec press.Record, w profile.Window, which string) error {
	lo, hi := u.D(w.Min)-holdTolerance, u.D(w.Max)+holdTolerance
	if rec.Seen < lo || rec.Seen > hi {
		return &HoldMissedError{Unit: u.Name, Which: which, Requested: rec.Requested, Measured: rec.Seen, Above: lo, Below: hi}
	}
	return nil
}

// holdTolerance is the slack allowed when comparing a measured hold with a
// profile bound: a relay round trip at most, whatever the timescale.
const holdTolerance = 5 * time.Millisecond
