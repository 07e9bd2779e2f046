package rig_test

import (
	"strings"
	"testing"

	"github.com/camrig/camrig/harness/rig"
)

// A max_hold shorter than the longest press a procedure will ask for is a
// load error at the max_hold's line, and one exactly as long loads. cam2
// (hikvision-ds2cd: factory 12 s in a 10-30 s window released on the LED,
// power-on variant 12 s) is where a check of the documented hold alone let
// rigs through that failed mid-suite: 20 s covers both 12 s holds, but the
// power-on variant holds up to 24 s and, with an LED wired, the factory
// hold up to the window's 30 s.
func TestMaxHoldCoversTheLongestPress(t *testing.T) {
	const withLED = "    led: {driver: numato-gpio, port: /dev/ttyACM0, pin: 1}\n"
	cases := []struct {
		name  string
		edits []edit
		want  string // "" loads
	}{
		{"power-on hold held through power-on", []edit{{"max_hold: 45s", "max_hold: 20s"}},
			"max_hold 20s is shorter than profile hikvision-ds2cd's power_on hold of up to 24s (up to 12s for power to come on, then 12s)"},
		{"power-on hold exactly", []edit{{"max_hold: 45s", "max_hold: 24s"}}, ""},
		{"power-on hold a second short", []edit{{"max_hold: 45s", "max_hold: 23s"}}, "power_on hold of up to 24s"},
		{"factory hold released on the LED", []edit{{"max_hold: 45s", "max_hold: 25s"}, {"    nvr_port: 2\n", withLED}},
			"max_hold 25s is shorter than profile hikvision-ds2cd's factory hold, released when the LED starts flashing, of up to 30s (the window's max)"},
		{"factory hold released on the LED exactly", []edit{{"max_hold: 45s", "max_hold: 30s"}, {"    nvr_port: 2\n", withLED}}, ""},
		// Without an LED the procedure holds the documented 12 s.
		{"factory hold without an LED", []edit{{"max_hold: 45s", "max_hold: 25s"}}, ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			text := base
			for _, e := range c.edits {
				if !strings.Contains(text, e.old) {
					t.Fatalf("edit %q does not apply", e.old)
				}
				text = strings.Replace(text, e.old, e.new, 1)
			}
			path := setup(t, text)
			r, err := rig.Load(path)
			if c.want == "" {
				if err != nil {
					t.Fatalf("refused: %v", err)
				}
				if u, _ := r.Unit("cam2"); u.Press == nil || u.Press.MaxHold <= 0 {
					t.Fatalf("cam2 press = %+v", u.Press)
				}
				return
			}
			if err == nil {
				t.Fatal("loaded without error")
			}
			assertNamed(t, err, path, 22, "units[1].press.max_hold", c.want)
		})
	}
}
