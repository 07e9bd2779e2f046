package kmtronic

import (
	"errors"
	"testing"

	"github.com/camrig/camrig/harness/power/serialboard"
)

func TestParseKMTronicStatus(t *testing.T) {
	cases := []struct {
		ch   int
		in   []byte
		on   bool
		more bool
		bad  bool
	}{
		{1, []byte{0xFF, 0x01, 0x01}, true, false, false},
		{1, []byte{0xFF, 0x01, 0x00}, false, false, false},
		{2, []byte{0xFF, 0x02}, false, true, false},
		{2, []byte{}, false, true, false},
		{2, []byte{0xFF, 0x01, 0x01}, false, false, true},
		{2, []byte{0x00}, false, false, true},
		{1, []byte{0xFF, 0x01, 0x07}, false, false, true},
		{1, []byte{0xFF, 0x01, 0x01, 0x00}, false, false, true},
	}
	for _, c := range cases {
		on, err := parseKMTronicStatus(c.ch, c.in)
		switch {
		case c.more:
			if !errors.Is(err, serialboard.ErrNeedMore) {
				t.Errorf("% x: err = %v, want more", c.in, err)
			}
		case c.bad:
			if err == nil || errors.Is(err, serialboard.ErrNeedMore) {
				t.Errorf("% x: err = %v, want a parse error", c.in, err)
			}
		default:
			if err != nil || on != c.on {
				t.Errorf("% x: %v, %v; want %v", c.in, on, err, c.on)
			}
		}
	}
}

func FuzzParseKMTronicStatus(f *testing.F) {
	f.Add(1, []byte{0xFF, 0x01, 0x01})
	f.Add(3, []byte{0xFF, 0x03})
	f.Fuzz(func(t *testing.T, ch int, b []byte) {
		_, err := parseKMTronicStatus(ch, b)
		if err == nil && (len(b) != 3 || b[0] != 0xFF || b[1] != byte(ch)) {
			t.Fatalf("accepted % x for channel %d", b, ch)
		}
		if errors.Is(err, serialboard.ErrNeedMore) && len(b) >= 3 {
			t.Fatalf("wants more after % x", b)
		}
	})
}
