package unit

import (
	"reflect"
	"strings"
	"testing"
	"time"
)

func TestParseScript(t *testing.T) {
	in := "# comment\n\n+0ms U-Boot 1.3.4\r\n+20ms  two spaces\n%autoboot\n+1s\n+1.5s done\n"
	s, err := ParseScript("x.log", []byte(in))
	if err != nil {
		t.Fatal(err)
	}
	want := []Step{
		{Line: 3, Text: "U-Boot 1.3.4"},
		{Line: 4, Delay: 20 * time.Millisecond, Text: " two spaces"},
		{Line: 5, Directive: DirAutoboot},
		{Line: 6, Delay: time.Second},
		{Line: 7, Delay: 1500 * time.Millisecond, Text: "done"},
	}
	if !reflect.DeepEqual(s.Steps, want) {
		t.Fatalf("steps\n got %+v\nwant %+v", s.Steps, want)
	}
}

func TestParseScriptErrorsNameFileAndLine(t *testing.T) {
	cases := []struct{ name, in, want string }{
		{"no prefix", "+0ms ok\nhello\n", "x.log:2:"},
		{"bad delay", "+soon hello\n", "x.log:1: delay \"soon\""},
		{"negative delay", "+-1s hello\n", "x.log:1: delay -1s out of range"},
		{"huge delay", "+2h hello\n", "out of range"},
		{"unknown directive", "%reboot\n", "x.log:1: unknown directive %reboot"},
		{"duplicate directive", "%autoboot\n+0ms x\n%autoboot\n", "x.log:3: %autoboot again (first at line 1)"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := ParseScript("x.log", []byte(tc.in))
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("error %v, want it to contain %q", err, tc.want)
			}
		})
	}
}

func TestUnitRefusesAScriptWithoutTheReadyMarker(t *testing.T) {
	p := loadFixtureProfile(t, "blink")
	s, err := ParseScript("short.log", []byte("+0ms hello\n"))
	if err != nil {
		t.Fatal(err)
	}
	h := newHarness(t, "blink", setup{fast: true}) // for a UART
	_, err = New(Config{Name: "x", Profile: p, Script: s, UART: h.UART()})
	if err == nil || !strings.Contains(err.Error(), "short.log") || !strings.Contains(err.Error(), "blink: app ready") {
		t.Fatalf("New with a script lacking the ready marker: %v", err)
	}
}

// FuzzParseScript: the parser never panics, and whatever it accepts
// renders back to a script that parses to the same steps.
func FuzzParseScript(f *testing.F) {
	f.Add([]byte("+0ms U-Boot\n%autoboot\n+1s Linux\n# c\n"))
	f.Add([]byte("+20ms  x\r\n%flashcheck\n%recovery\n%factory\n+0s"))
	f.Add([]byte("%bogus\n+x y\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		s, err := ParseScript("fuzz.log", data)
		if err != nil {
			return
		}
		again, err := ParseScript("fuzz.log", s.Render())
		if err != nil {
			t.Fatalf("rendered script does not parse: %v\n%q", err, s.Render())
		}
		if len(again.Steps) != len(s.Steps) {
			t.Fatalf("%d steps, %d after rendering", len(s.Steps), len(again.Steps))
		}
		for i := range s.Steps {
			a, b := s.Steps[i], again.Steps[i]
			if a.Delay != b.Delay || a.Text != b.Text || a.Directive != b.Directive {
				t.Fatalf("step %d: %+v became %+v", i, a, b)
			}
		}
	})
}
