package unit

import (
	"strings"
	"testing"
	"time"
)

func TestButtonThresholds(t *testing.T) {
	type tc struct {
		name    string
		model   string
		hold    time.Duration
		powerOn bool // held from before power-on
		want    Verdict
		marker  string // console line the verdict prints
	}
	cases := []tc{
		{"blink: tap does nothing", "blink", time.Second, false, VerdictNone, ""},
		{"blink: 3s is the reboot min", "blink", 3 * time.Second, false, VerdictReboot, "reset key held 3.0s -> rebooting"},
		{"blink: 5s reboots", "blink", 5 * time.Second, false, VerdictReboot, "reset key held 5.0s -> rebooting"},
		{"blink: 10s is the reboot max", "blink", 10 * time.Second, false, VerdictReboot, "-> rebooting"},
		{"blink: between windows does nothing", "blink", 20 * time.Second, false, VerdictNone, ""},
		{"blink: 30s is the factory min", "blink", 30 * time.Second, false, VerdictFactory, "reset key held 30.0s -> restore default"},
		{"blink: 35s factory", "blink", 35 * time.Second, false, VerdictFactory, "-> restore default"},
		{"blink: past the factory max does nothing", "blink", 61 * time.Second, false, VerdictNone, ""},
		{"blink: held through power-on counts from power-on", "blink", 5 * time.Second, true, VerdictReboot, "-> rebooting"},
		{"hikvision: 9s does nothing", "hikvision-ds2cd", 9 * time.Second, false, VerdictNone, ""},
		{"hikvision: 12s factory", "hikvision-ds2cd", 12 * time.Second, false, VerdictFactory, "-> restore default"},
		{"hikvision: 31s does nothing", "hikvision-ds2cd", 31 * time.Second, false, VerdictNone, ""},
		{"hikvision: power-on variant 12s factory", "hikvision-ds2cd", 12 * time.Second, true, VerdictFactory, "-> restore default"},
		{"hikvision: power-on variant 20s does nothing", "hikvision-ds2cd", 20 * time.Second, true, VerdictNone, ""},
		{"generic: 15s after boot factory", "generic-poe-ipc", 15 * time.Second, false, VerdictFactory, "-> restore default"},
		{"generic: held from power-on is ignored (after_boot)", "generic-poe-ipc", 15 * time.Second, true, VerdictIgnored, ""},
		{"no-button: ignored", "no-button", 35 * time.Second, false, VerdictIgnored, ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			h := newHarness(t, c.model, setup{fast: true})
			if c.powerOn {
				h.SetButton(true)
				h.SetPower(true)
			} else {
				h.SetPower(true)
				h.waitState(t, StateUp)
			}
			h.waitState(t, StateUp)
			for k, v := range map[string]string{"network.ip": "10.0.0.5", "password": "secret-1", EnvPrefix + "bootargs": "quiet"} {
				if err := h.WriteConfig(k, v, 0); err != nil {
					t.Fatal(err)
				}
			}
			boots := h.BootCount()
			if !c.powerOn {
				h.SetButton(true)
			}
			h.fake.Advance(c.hold)
			h.SetButton(false)

			holds := h.Holds()
			if len(holds) != 1 {
				t.Fatalf("%d holds judged, want 1", len(holds))
			}
			got := holds[0]
			if got.Verdict != c.want || got.Held != c.hold || got.PowerOn != c.powerOn {
				t.Fatalf("hold %+v, want verdict %v after %v", got, c.want, c.hold)
			}
			wantBoots := boots
			if c.want == VerdictReboot || c.want == VerdictFactory {
				wantBoots++
			}
			if h.BootCount() != wantBoots {
				t.Fatalf("BootCount %d, want %d", h.BootCount(), wantBoots)
			}
			if c.marker != "" {
				h.con.expect(t, c.marker+"\r\n")
			}
			h.waitState(t, StateUp)
			_, hasPassword := h.Config().Get("password")
			_, hasNetwork := h.Config().Get("network.ip")
			_, hasEnv := h.Config().Get(EnvPrefix + "bootargs")
			_, pending := h.Config().Get(factoryPendingKey)
			if wiped := c.want == VerdictFactory; hasPassword == wiped || hasNetwork == wiped || !hasEnv || pending {
				t.Fatalf("config after %v: password %v, network %v, env %v, pending %v", c.want, hasPassword, hasNetwork, hasEnv, pending)
			}
			edges := h.ButtonEdges()
			if len(edges) != 2 || !edges[0].Pressed || edges[1].Pressed || edges[1].At.Sub(edges[0].At) != c.hold || edges[0].Powered == c.powerOn {
				t.Fatalf("edges %+v", edges)
			}
		})
	}
}

func TestButtonHoldVoidedByPowerCut(t *testing.T) {
	h := newHarness(t, "blink", setup{fast: true})
	h.SetPower(true)
	h.waitState(t, StateUp)
	h.SetButton(true)
	h.fake.Advance(5 * time.Second)
	h.SetPower(false)
	h.SetButton(false)
	holds := h.Holds()
	if len(holds) != 1 || holds[0].Verdict != VerdictNone || !strings.Contains(holds[0].Why, "power lost") {
		t.Fatalf("holds %+v", holds)
	}
	if h.BootCount() != 1 || h.State() != StateOff {
		t.Fatalf("after a voided hold: boots %d, state %v", h.BootCount(), h.State())
	}
	if e := h.ButtonEdges(); len(e) != 2 || e[1].Powered {
		t.Fatalf("edges %+v: the release happened without power", e)
	}
}

func TestPressWhileUnpoweredDoesNothing(t *testing.T) {
	h := newHarness(t, "blink", setup{fast: true})
	h.SetButton(true)
	h.fake.Advance(35 * time.Second)
	h.SetButton(false)
	if len(h.Holds()) != 0 || h.BootCount() != 0 {
		t.Fatalf("an unpowered press was judged: %+v", h.Holds())
	}
}

func TestLEDWhileFactoryArmed(t *testing.T) {
	cases := []struct {
		model string
		// LED at: just before arming, at arming, half a blink period later
		want [3]bool
		mode string
	}{
		{"hikvision-ds2cd", [3]bool{true, false, true}, "blinking"}, // 4 Hz: 125 ms half period
		{"blink", [3]bool{true, false, true}, "blinking"},           // 2 Hz: 250 ms
		{"generic-poe-ipc", [3]bool{true, false, false}, "off"},
	}
	for _, c := range cases {
		t.Run(c.model, func(t *testing.T) {
			h := newHarness(t, c.model, setup{fast: true})
			if h.LED() {
				t.Fatal("LED lit without power")
			}
			h.SetPower(true)
			h.waitState(t, StateUp)
			p := h.Profile()
			half := time.Duration(0)
			if p.LED.BlinkHz > 0 {
				half = time.Duration(float64(time.Second) / (2 * p.LED.BlinkHz))
			}
			h.SetButton(true)
			h.fake.Advance(p.Holds.Factory.Min - time.Millisecond)
			got := [3]bool{h.LED()}
			if h.LEDMode() != "on" {
				t.Errorf("mode before arming %q", h.LEDMode())
			}
			h.fake.Advance(time.Millisecond)
			got[1] = h.LED()
			if h.LEDMode() != c.mode {
				t.Errorf("mode while armed %q, want %q", h.LEDMode(), c.mode)
			}
			h.fake.Advance(half + time.Millisecond)
			got[2] = h.LED()
			if got != c.want {
				t.Fatalf("LED %v, want %v", got, c.want)
			}
			// Past the factory max the LED stops signalling.
			h.fake.Advance(p.Holds.Factory.Max)
			if !h.LED() || h.LEDMode() != "on" {
				t.Fatalf("LED past max: %v %q", h.LED(), h.LEDMode())
			}
		})
	}
}

func TestJudgeHoldBoundaries(t *testing.T) {
	p := &Profile{Holds: Holds{
		Reboot:  &Window{Min: 3 * time.Second, Max: 10 * time.Second},
		Factory: &Window{Min: 30 * time.Second, Max: 60 * time.Second},
	}}
	scale := func(d time.Duration) time.Duration { return d / 100 } // timescale 0.01
	cases := []struct {
		held time.Duration
		want Verdict
	}{
		{30*time.Millisecond - 1, VerdictNone},
		{30 * time.Millisecond, VerdictReboot},
		{100 * time.Millisecond, VerdictReboot},
		{100*time.Millisecond + 1, VerdictNone},
		{300 * time.Millisecond, VerdictFactory},
		{600 * time.Millisecond, VerdictFactory},
		{600*time.Millisecond + 1, VerdictNone},
	}
	for _, c := range cases {
		if got, why := judgeHold(p, scale, c.held, false); got != c.want {
			t.Errorf("held %v: %v (%s), want %v", c.held, got, why, c.want)
		}
	}
}
