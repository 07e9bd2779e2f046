package lcus

import (
	"errors"
	"strings"
	"testing"

	"github.com/camrig/camrig/harness/power/serialboard"
)

func TestParseLCUSStatus(t *testing.T) {
	cases := []struct {
		ch   int
		in   string
		on   bool
		more bool
		bad  bool
	}{
		{1, "CH1:OFF\r\n", false, false, false},
		{2, "CH1:OFF\r\nCH2:ON\r\n", true, false, false},
		{2, "CH1:OFF\r\nCH2:O", false, true, false},
		{1, "ch1: on\n", true, false, false},
		{3, "CH1:OFF\r\n", false, true, false},
		{1, "hello\r\n", false, false, true},
		{1, "", false, true, false},
		{1, strings.Repeat("CH2:ON\r\n", 40), false, false, true},
	}
	for _, c := range cases {
		on, err := parseLCUSStatus(c.ch, []byte(c.in))
		switch {
		case c.more:
			if !errors.Is(err, serialboard.ErrNeedMore) {
				t.Errorf("%q: err = %v, want more", c.in, err)
			}
		case c.bad:
			if err == nil || errors.Is(err, serialboard.ErrNeedMore) {
				t.Errorf("%q: err = %v, want a parse error", c.in, err)
			}
		default:
			if err != nil || on != c.on {
				t.Errorf("%q: %v, %v; want %v", c.in, on, err, c.on)
			}
		}
	}
}

func FuzzParseLCUSStatus(f *testing.F) {
	f.Add(1, []byte("CH1:OFF\r\n"))
	f.Add(4, []byte("CH1:OFF\r\nCH4:ON\r\n"))
	f.Add(2, []byte("\xff\xa0"))
	f.Fuzz(func(t *testing.T, ch int, b []byte) {
		on, err := parseLCUSStatus(ch, b)
		if err == nil && !strings.Contains(strings.ToUpper(string(b)), "CH") {
			t.Fatalf("accepted %q as %v", b, on)
		}
		if errors.Is(err, serialboard.ErrNeedMore) && len(b) > lcusStatusLimit {
			t.Fatalf("wants more after %d bytes", len(b))
		}
	})
}
