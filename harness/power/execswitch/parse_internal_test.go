package execswitch

import (
	"strings"
	"testing"
)

func TestParseExecStatus(t *testing.T) {
	for in, want := range map[string]bool{"on\n": true, "OFF": false, "1": true, "0\n": false, "True\r\n": true, "outlet 3:\nfalse\n\n": false} {
		if got, err := parseExecStatus(in); err != nil || got != want {
			t.Errorf("%q: %v, %v", in, got, err)
		}
	}
	for _, in := range []string{"", "\n\n", "maybe", "on off"} {
		if _, err := parseExecStatus(in); err == nil {
			t.Errorf("%q accepted", in)
		}
	}
}

func FuzzParseExecStatus(f *testing.F) {
	for _, s := range []string{"on", "off\n", "x\n1", ""} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		on, err := parseExecStatus(s)
		if err != nil {
			return
		}
		lines := strings.FieldsFunc(s, func(r rune) bool { return r == '\n' || r == '\r' })
		if len(lines) == 0 {
			t.Fatalf("accepted %q", s)
		}
		_ = on
	})
}
