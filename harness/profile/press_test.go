package profile_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/camrig/camrig/harness/profile"
)

func TestHoldsPress(t *testing.T) {
	s := time.Second
	factory := &profile.Window{Hold: 12 * s, Min: 10 * s, Max: 30 * s}
	powerOn := &profile.Window{Hold: 12 * s, Min: 10 * s, Max: 15 * s}
	reboot := &profile.Window{Hold: 5 * s, Min: 3 * s, Max: 10 * s}
	hik := profile.Holds{Factory: factory, ReleaseOnLED: true, PowerOn: powerOn}
	plain := profile.Holds{Reboot: reboot, Factory: factory}
	cases := []struct {
		name     string
		holds    profile.Holds
		kind     profile.HoldKind
		led      bool
		ok       bool
		longest  time.Duration
		untilLED bool
	}{
		{"fixed reboot hold", plain, profile.RebootHold, false, true, 5 * s, false},
		{"fixed factory hold", plain, profile.FactoryHold, false, true, 12 * s, false},
		{"an LED does not change a fixed hold", plain, profile.FactoryHold, true, true, 12 * s, false},
		{"released on the LED: up to the window's max", hik, profile.FactoryHold, true, true, 30 * s, true},
		{"release_on_led without an LED: the documented hold", hik, profile.FactoryHold, false, true, 12 * s, false},
		{"power-on variant: through power-on, then the hold", hik, profile.PowerOnHold, false, true, 24 * s, false},
		{"power-on variant with an LED", hik, profile.PowerOnHold, true, true, 24 * s, false},
		{"no such hold", hik, profile.RebootHold, true, false, 0, false},
		{"no button at all", profile.Holds{}, profile.FactoryHold, false, false, 0, false},
		{"unknown kind", plain, profile.HoldKind("long"), false, false, 0, false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			p, ok := c.holds.Press(c.kind, c.led)
			if ok != c.ok || p.Longest != c.longest || p.UntilLED != c.untilLED {
				t.Fatalf("Press(%s, led %v) = %+v, %v; want longest %v, until LED %v, ok %v",
					c.kind, c.led, p, ok, c.longest, c.untilLED, c.ok)
			}
			if ok && (p.Kind != c.kind || p.Longest < p.Window.Hold) {
				t.Fatalf("Press(%s) = %+v", c.kind, p)
			}
		})
	}
}

// The shipped Hikvision profile is the one that needs more than its
// documented holds: 30 s on the LED, 24 s for the power-on variant.
func TestShippedHikvisionLongestPresses(t *testing.T) {
	p, err := profile.LoadModel("../../fixtures/profiles", "hikvision-ds2cd")
	if err != nil {
		t.Fatal(err)
	}
	longest := time.Duration(0)
	for _, k := range profile.HoldKinds {
		if hp, ok := p.Holds.Press(k, true); ok {
			longest = max(longest, hp.Longest)
		}
	}
	if longest != 30*time.Second {
		t.Fatalf("longest press with an LED = %v, want the factory window's max of 30s", longest)
	}
}

// The presses a sound unit ignores lie outside every window a running
// unit knows, below the factory minimum, the short one below every window.
func TestPressesWithoutEffect(t *testing.T) {
	w := func(min, max time.Duration) *profile.Window { return &profile.Window{Hold: min, Min: min, Max: max} }
	s := time.Second
	cases := []struct {
		name         string
		h            profile.Holds
		short, below time.Duration
		okBelow      bool
	}{
		{"reboot and factory (blink)", profile.Holds{Reboot: w(3*s, 10*s), Factory: w(30*s, 60*s)}, 750 * time.Millisecond, 20 * s, true},
		{"factory only (hikvision)", profile.Holds{Factory: w(10*s, 30*s), PowerOn: w(10*s, 15*s)}, 2500 * time.Millisecond, 5 * s, true},
		{"no gap below the factory window", profile.Holds{Reboot: w(3*s, 12*s), Factory: w(12*s, 30*s)}, 750 * time.Millisecond, 0, false},
	}
	for _, c := range cases {
		short, ok := c.h.ShortPress()
		if !ok || short.Hold != c.short {
			t.Errorf("%s: short press %+v %v, want %v", c.name, short, ok, c.short)
		}
		below, ok := c.h.BelowFactory()
		if ok != c.okBelow || below.Hold != c.below {
			t.Errorf("%s: below factory %+v %v, want %v %v", c.name, below, ok, c.below, c.okBelow)
		}
		for _, p := range []profile.QuietPress{short, below} {
			if p.Hold == 0 {
				continue
			}
			if p.Hold <= p.Above || p.Hold >= p.Below {
				t.Errorf("%s: %+v: the hold is outside its own range", c.name, p)
			}
			for _, win := range []*profile.Window{c.h.Reboot, c.h.Factory} {
				// Nothing in (Above, Below) lies in a window.
				if win != nil && win.Max > p.Above && win.Min < p.Below {
					t.Errorf("%s: %+v overlaps the window %+v", c.name, p, *win)
				}
			}
		}
	}
	if _, ok := (profile.Holds{}).ShortPress(); ok {
		t.Error("a model without a factory hold has a short press")
	}
	if _, ok := (profile.Holds{}).BelowFactory(); ok {
		t.Error("a model without a factory hold has a hold below it")
	}
}

// How long a quiet press is watched: the profile's holds.reaction, or the
// default when it gives none; a model without a button cannot give one.
func TestReactionTime(t *testing.T) {
	if got := (profile.Holds{}).ReactionTime(); got != profile.DefaultReaction {
		t.Fatalf("no holds.reaction: %v, want the default %v", got, profile.DefaultReaction)
	}
	if got := (profile.Holds{Reaction: 2 * time.Second}).ReactionTime(); got != 2*time.Second {
		t.Fatalf("holds.reaction 2s: %v", got)
	}
	base, err := os.ReadFile(filepath.Join(dir, "no-button.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	in := strings.Replace(string(base), "reset_button: false", "reset_button: false\nholds: {reaction: 2s}", 1)
	if _, err := profile.Parse("nb.yaml", []byte(in)); err == nil || !strings.Contains(err.Error(), "without reset_button") {
		t.Fatalf("holds.reaction on a model without a button: %v", err)
	}
}
