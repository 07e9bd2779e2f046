package unit

import (
	"context"
	"strings"
	"testing"
	"time"
)

// Each hold defect against the sound unit: the same hold, the defect's
// effect only when it is switched on.
func TestDefectsHolds(t *testing.T) {
	cases := []struct {
		name    string
		model   string
		defects Defects
		hold    time.Duration
		sound   Verdict
		want    Verdict
	}{
		{"ignores the factory hold", "blink", Defects{IgnoresFactoryHold: true}, 35 * time.Second, VerdictFactory, VerdictNone},
		{"ignores the reboot hold", "blink", Defects{IgnoresRebootHold: true}, 5 * time.Second, VerdictReboot, VerdictNone},
		{"a short press factory-resets", "blink", Defects{ShortPressFactoryResets: true}, time.Second, VerdictNone, VerdictFactory},
		{"a short press defect leaves a hold between windows alone", "blink", Defects{ShortPressFactoryResets: true}, 20 * time.Second, VerdictNone, VerdictNone},
		{"any hold factory-resets: between windows", "blink", Defects{AnyHoldFactoryResets: true}, 20 * time.Second, VerdictNone, VerdictFactory},
		{"any hold factory-resets: a reboot hold", "blink", Defects{AnyHoldFactoryResets: true}, 5 * time.Second, VerdictReboot, VerdictFactory},
		{"any hold factory-resets: below the factory min", "hikvision-ds2cd", Defects{AnyHoldFactoryResets: true}, 7 * time.Second, VerdictNone, VerdictFactory},
	}
	for _, c := range cases {
		for _, on := range []bool{false, true} {
			name, want := c.name+"/sound", c.sound
			if on {
				name, want = c.name+"/defective", c.want
			}
			t.Run(name, func(t *testing.T) {
				h := newHarness(t, c.model, setup{fast: true})
				if on {
					h.SetDefects(c.defects)
				}
				h.SetPower(true)
				h.waitState(t, StateUp)
				h.SetButton(true)
				h.fake.Advance(c.hold)
				h.SetButton(false)
				holds := h.Holds()
				if len(holds) != 1 || holds[0].Verdict != want {
					t.Fatalf("holds %+v, want one judged %v", holds, want)
				}
				if on && c.sound != c.want && !strings.Contains(holds[0].Why, "defect") {
					t.Fatalf("why %q does not name the defect", holds[0].Why)
				}
				// A restart is done (its config writes too) before the
				// test's directory goes.
				h.waitState(t, StateUp)
			})
		}
	}
}

// The power-loss defects act on a boot from power-on, never on a restart.
func TestDefectsPowerLoss(t *testing.T) {
	cases := []struct {
		name    string
		defects Defects
		// marker is a console line of the boot after the power cut.
		marker string
		// What the power cut leaves: the setting, the activation (a
		// "users." key, kept by a basic reset) and the bootloader env.
		setting, activation bool
	}{
		{"sound", Defects{}, "", true, true},
		{"factory reset on power loss", Defects{FactoryResetOnPowerLoss: true}, "power loss detected -> restore default", false, false},
		{"wipes config on power loss", Defects{WipesConfigOnPowerLoss: true}, "", false, false},
		{"loses settings on power loss", Defects{LosesSettingsOnPowerLoss: true}, "", false, true},
	}
	keys := map[string]string{"settings.name": "cam-x", "users.admin": "ha1", EnvPrefix + "bootargs": "quiet"}
	write := func(t *testing.T, h *harness) {
		t.Helper()
		for k, v := range keys {
			if err := h.WriteConfig(k, v, 0); err != nil {
				t.Fatal(err)
			}
		}
	}
	has := func(h *harness, k string) bool { _, ok := h.Config().Get(k); return ok }
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			h := newHarness(t, "blink", setup{fast: true})
			h.SetDefects(c.defects)
			h.SetPower(true)
			h.waitState(t, StateUp)
			h.con.expect(t, "blink: app ready")
			write(t, h)

			// A restart is not a power loss: everything stays.
			boots := h.BootCount()
			h.Reboot("test")
			if h.BootCount() != boots+1 {
				t.Fatal("Reboot did not restart the unit")
			}
			h.con.expect(t, "blink: app ready")
			h.waitState(t, StateUp)
			for k := range keys {
				if !has(h, k) {
					t.Fatalf("a restart lost %s", k)
				}
			}

			h.SetPower(false)
			h.SetPower(true)
			if c.marker != "" {
				h.con.expect(t, c.marker)
			}
			h.waitState(t, StateUp)
			before := h.con.expect(t, "blink: app ready")
			if c.marker == "" && strings.Contains(before, "restore default") {
				t.Fatalf("a silent defect printed the factory marker: %q", before)
			}
			if has(h, "settings.name") != c.setting || has(h, "users.admin") != c.activation || !has(h, EnvPrefix+"bootargs") {
				t.Fatalf("after the power cut: setting %v activation %v env %v; want %v %v true",
					has(h, "settings.name"), has(h, "users.admin"), has(h, EnvPrefix+"bootargs"), c.setting, c.activation)
			}
		})
	}
}

// A full factory reset of a unit with reset_keeps_activation keeps users
// (activation) but wipes the settings.
func TestDefectResetKeepsActivation(t *testing.T) {
	for _, on := range []bool{false, true} {
		h := newHarness(t, "blink", setup{fast: true})
		h.SetDefects(Defects{ResetKeepsActivation: on})
		h.SetPower(true)
		h.waitState(t, StateUp)
		for k, v := range map[string]string{"settings.name": "cam-x", "users.admin": "ha1"} {
			if err := h.WriteConfig(k, v, 0); err != nil {
				t.Fatal(err)
			}
		}
		h.FactoryReset(true)
		h.con.expect(t, "factory defaults restored (full)")
		h.waitState(t, StateUp)
		_, name := h.Config().Get("settings.name")
		_, users := h.Config().Get("users.admin")
		if name || users != on {
			t.Fatalf("defect %v: after a full reset setting %v users %v; want false %v", on, name, users, on)
		}
	}
}

// never_boots hangs where the ready marker would be; boots_late prints it
// a whole deadline (device time) late.
func TestDefectsBoot(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()

	h := newHarness(t, "blink", setup{fast: true})
	h.SetDefects(Defects{BootsLate: true})
	h.SetPower(true)
	if err := h.fake.WaitPending(ctx, 1); err != nil {
		t.Fatal(err)
	}
	if h.State() == StateUp {
		t.Fatal("up before the late delay")
	}
	h.fake.Advance(h.Profile().Boot.Deadline - time.Millisecond)
	if h.State() == StateUp {
		t.Fatal("up before a whole deadline passed")
	}
	h.fake.Advance(time.Millisecond)
	h.waitState(t, StateUp)

	h = newHarness(t, "blink", setup{fast: true})
	h.SetDefects(Defects{NeverBoots: true})
	h.SetPower(true)
	if err := h.fake.WaitPending(ctx, 1); err != nil {
		t.Fatal(err)
	}
	h.fake.Advance(24 * time.Hour)
	if st := h.State(); st != StateBooting {
		t.Fatalf("state %v a day after power-on, want booting", st)
	}
	if strings.Contains(h.con.rest(), "blink: app ready") {
		t.Fatal("printed the ready marker")
	}
	h.SetPower(false) // a power cut ends the hang
	h.waitState(t, StateOff)
}

// led_never_flashes: the LED stays lit through an armed factory hold.
func TestDefectLEDNeverFlashes(t *testing.T) {
	for _, on := range []bool{false, true} {
		h := newHarness(t, "blink", setup{fast: true})
		h.SetDefects(Defects{LEDNeverFlashes: on})
		h.SetPower(true)
		h.waitState(t, StateUp)
		h.SetButton(true)
		h.fake.Advance(h.Profile().Holds.Factory.Min + time.Millisecond)
		if mode := h.LEDMode(); (mode == "blinking") == on {
			t.Fatalf("defect %v: LED %s while the factory reset is armed", on, mode)
		}
		h.SetButton(false) // a factory reset: let it finish its writes
		h.con.expect(t, "factory defaults restored")
		h.waitState(t, StateUp)
	}
}
