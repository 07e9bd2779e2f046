package procedure_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/camrig/camrig/harness/clock"
	"github.com/camrig/camrig/harness/console/consoletest"
	"github.com/camrig/camrig/harness/led"
	"github.com/camrig/camrig/harness/press"
	"github.com/camrig/camrig/harness/press/presstest"
	"github.com/camrig/camrig/harness/procedure"
	"github.com/camrig/camrig/harness/profile"
)

// buttonUnit is a fake unit whose console reacts to power and to the
// solenoid the way the profile says a real one does: boot on power-on, and
// on release judge the hold against the profile's windows.
type buttonUnit struct {
	*procedure.Unit
	dev   *consoletest.Device
	press *presstest.Fake

	mu        sync.Mutex
	powered   bool
	down      bool
	downSince time.Time
	// poweredWhileDown: power came on with the button held (the
	// power-on-hold variant); the unit waits for the release to decide.
	poweredWhileDown time.Time
	holds            []time.Duration
	// factoryFrom, when set, is the hold from which the unit
	// factory-resets instead of the profile's minimum: a defective unit.
	factoryFrom time.Duration
}

func newButtonUnit(t *testing.T, model string) *buttonUnit {
	t.Helper()
	u, sw, dev := fakeUnit(t, model, clock.Real{}, nil)
	b := &buttonUnit{Unit: u, dev: dev, press: &presstest.Fake{Name: "fake-solenoid", MaxHold: time.Minute}}
	sw.OnSet = func(on bool) {
		b.mu.Lock()
		defer b.mu.Unlock()
		b.powered = on
		switch {
		case on && b.down:
			b.poweredWhileDown = time.Now()
			go b.dev.Print("U-Boot\r\n")
		case on:
			go b.dev.Print("U-Boot\r\n" + u.Profile.Boot.ReadyMarker + "\r\n")
		}
	}
	b.press.Pressed = func(down bool) {
		b.mu.Lock()
		defer b.mu.Unlock()
		now := time.Now()
		b.down = down
		if down {
			b.downSince = now
			return
		}
		held := u.Scale.Unscale(now.Sub(b.downSince))
		b.holds = append(b.holds, held)
		if !b.powered {
			return
		}
		h := u.Profile.Holds
		if !b.poweredWhileDown.IsZero() {
			afterPower := u.Scale.Unscale(now.Sub(b.poweredWhileDown))
			b.poweredWhileDown = time.Time{}
			marker := ""
			if h.PowerOn != nil && afterPower >= h.PowerOn.Min {
				marker = u.Profile.Boot.FactoryMarker + "\r\n"
			}
			go b.dev.Print(marker + u.Profile.Boot.ReadyMarker + "\r\n")
			return
		}
		factoryMin := time.Duration(-1)
		switch {
		case b.factoryFrom > 0:
			factoryMin = b.factoryFrom
		case h.Factory != nil:
			factoryMin = h.Factory.Min
		}
		switch {
		case factoryMin >= 0 && held >= factoryMin:
			go b.dev.Print(u.Profile.Boot.FactoryMarker + "\r\n" + u.Profile.Boot.ReadyMarker + "\r\n")
		case h.Reboot != nil && held >= h.Reboot.Min:
			go b.dev.Print(u.Profile.Boot.RebootMarker + "\r\n" + u.Profile.Boot.ReadyMarker + "\r\n")
		}
	}
	u.Press = b.press
	return b
}

func TestFactoryResetHoldsTheProfileHold(t *testing.T) {
	b := newButtonUnit(t, "blink")
	r, err := procedure.FactoryReset(context.Background(), b.Unit, procedure.ResetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if got := b.press.Records(); len(got) != 1 || got[0].Requested != 350*time.Millisecond {
		t.Fatalf("press records = %+v, want one of 35 s x 0.01", got)
	}
	if !r.After.Has("factory") {
		t.Fatalf("after = %+v", r.After)
	}
}

func TestRebootHoldMustNotFactoryReset(t *testing.T) {
	b := newButtonUnit(t, "blink")
	if _, err := procedure.RebootHold(context.Background(), b.Unit, procedure.ResetOptions{}); err != nil {
		t.Fatal(err)
	}
	// A unit that wrongly factory-resets on a 5 s hold must fail the procedure.
	b.Profile.Holds.Factory.Min = 4 * time.Second
	_, err := procedure.RebootHold(context.Background(), b.Unit, procedure.ResetOptions{})
	if err == nil || !strings.Contains(err.Error(), "factory-reset the unit") {
		t.Fatalf("err = %v", err)
	}
}

func TestProceduresRefuseModelsWithoutTheHold(t *testing.T) {
	b := newButtonUnit(t, "hikvision-ds2cd") // no reboot hold
	if _, err := procedure.RebootHold(context.Background(), b.Unit, procedure.ResetOptions{}); !errors.Is(err, procedure.ErrNoButton) {
		t.Fatalf("err = %v", err)
	}
	nb := newButtonUnit(t, "no-button")
	if _, err := procedure.FactoryReset(context.Background(), nb.Unit, procedure.ResetOptions{}); !errors.Is(err, procedure.ErrNoButton) {
		t.Fatalf("err = %v", err)
	}
}

func TestPowerOnHoldPowersUpDuringTheHold(t *testing.T) {
	b := newButtonUnit(t, "hikvision-ds2cd")
	r, err := procedure.PowerOnHold(context.Background(), b.Unit)
	if err != nil {
		t.Fatal(err)
	}
	if r.Press.Measured < 120*time.Millisecond {
		t.Fatalf("held %v, want at least the 12 s x 0.01 window after power-on", r.Press.Measured)
	}
}

func TestPowerOutageKeepsTheUnit(t *testing.T) {
	b := newButtonUnit(t, "generic-poe-ipc")
	out, err := procedure.PowerOutage(context.Background(), b.Unit, procedure.ResetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if out.Off != 100*time.Millisecond || out.After.Has("factory") {
		t.Fatalf("outage = %+v", out)
	}
}

// darkLED is an LED that never changes.
type darkLED struct{}

func (darkLED) WaitFor(ctx context.Context, _ led.Kind) (led.State, error) {
	<-ctx.Done()
	return led.State{}, context.Cause(ctx)
}

func (darkLED) WaitEdge(ctx context.Context, _ time.Time) (led.Edge, error) {
	<-ctx.Done()
	return led.Edge{}, context.Cause(ctx)
}

func (darkLED) State() led.State { return led.State{} }

// Each procedure asks the solenoid for exactly the longest press
// profile.Holds.Press gives, the figure rig.Load checks max_hold against: a
// solenoid limited to that figure takes the press, one a millisecond
// shorter refuses it before anything moves.
func TestProceduresPressNoLongerThanTheRigCheckAllows(t *testing.T) {
	factory := func(ctx context.Context, u *procedure.Unit) error {
		_, err := procedure.FactoryReset(ctx, u, procedure.ResetOptions{})
		return err
	}
	cases := []struct {
		name, model string
		kind        profile.HoldKind
		led         bool
		run         func(ctx context.Context, u *procedure.Unit) error
	}{
		{"reboot hold", "blink", profile.RebootHold, false, func(ctx context.Context, u *procedure.Unit) error {
			_, err := procedure.RebootHold(ctx, u, procedure.ResetOptions{})
			return err
		}},
		{"factory hold", "blink", profile.FactoryHold, false, factory},
		{"factory hold released on the LED", "hikvision-ds2cd", profile.FactoryHold, true, factory},
		{"factory hold of an LED model without an LED", "hikvision-ds2cd", profile.FactoryHold, false, factory},
		{"power-on hold", "hikvision-ds2cd", profile.PowerOnHold, false, func(ctx context.Context, u *procedure.Unit) error {
			_, err := procedure.PowerOnHold(ctx, u)
			return err
		}},
	}
	for _, tc := range cases {
		for _, short := range []bool{false, true} {
			t.Run(fmt.Sprintf("%s/short=%v", tc.name, short), func(t *testing.T) {
				b := newButtonUnit(t, tc.model)
				if tc.led {
					b.LED = darkLED{}
				}
				p, ok := b.Profile.Holds.Press(tc.kind, tc.led)
				if !ok || p.UntilLED != tc.led {
					t.Fatalf("press plan = %+v, %v", p, ok)
				}
				longest := b.D(p.Longest)
				b.press.MaxHold = longest
				if short {
					b.press.MaxHold -= time.Millisecond
				}
				err := tc.run(context.Background(), b.Unit)
				recs := b.press.Records()
				if short {
					if !errors.Is(err, press.ErrHoldTooLong) || len(recs) != 0 {
						t.Fatalf("limit %v: err = %v, presses %+v; want the press refused", b.press.MaxHold, err, recs)
					}
					return
				}
				if len(recs) != 1 || recs[0].Requested != longest {
					t.Fatalf("presses %+v, want one asking for %v", recs, longest)
				}
				// The dark LED never flashes: that press ends at its max.
				if errors.Is(err, press.ErrHoldTooLong) || (err != nil && !tc.led) {
					t.Fatalf("err = %v", err)
				}
			})
		}
	}
}

// lateRelease is a solenoid on a board that released late: the unit saw a
// longer hold than was asked.
type lateRelease struct {
	press.Presser
	by time.Duration
}

func (l lateRelease) Press(ctx context.Context, hold time.Duration) (press.Record, error) {
	rec, err := l.Presser.Press(ctx, hold)
	rec.Seen += l.by
	return rec, err
}

// A hold the unit saw outside the profile's window is no verdict on the
// unit: the procedure says the rig missed it, not that the unit failed to
// restart.
func TestResetHoldOutsideTheWindowIsAMissedHold(t *testing.T) {
	for _, which := range []string{"reboot", "factory"} {
		b := newButtonUnit(t, "blink") // reboot 3-10 s, factory 30-60 s: x 0.01
		b.Unit.Press = lateRelease{Presser: b.press, by: 700 * time.Millisecond}
		var err error
		if which == "reboot" {
			_, err = procedure.RebootHold(context.Background(), b.Unit, procedure.ResetOptions{})
		} else {
			_, err = procedure.FactoryReset(context.Background(), b.Unit, procedure.ResetOptions{})
		}
		var miss *procedure.HoldMissedError
		if !errors.As(err, &miss) || miss.Measured < 700*time.Millisecond || !strings.Contains(err.Error(), "no verdict on the unit") {
			t.Fatalf("%s: err = %v, want the missed hold", which, err)
		}
	}
}
