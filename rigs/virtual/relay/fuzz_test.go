package relay

import (
	"bytes"
	"regexp"
	"testing"
)

var statusLines = regexp.MustCompile(`^(CH[1-8]:(ON|OFF)\r\n)+$`)

// FuzzNumato feeds arbitrary bytes to a Numato board and checks what must
// hold for any input: exactly one prompt per CR, the same output whether
// the bytes come at once or one by one, callbacks agreeing with the board.
func FuzzNumato(f *testing.F) {
	for _, s := range []string{
		"relay on 0\r", "relay read 0\r", "relay writeall ff\r", "relay readall\r",
		"gpio read 1\r", "ver\r\n", "id set 12345678\rid get\r", "\x7f\x7f\r", "relay on V\r",
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, in []byte) {
		cfg := DefaultNumatoConfig()
		cfg.Echo = false // so every '>' in the output is a prompt
		whole, seen := NewNumato(cfg), map[int]bool{}
		for ch := range cfg.Relays {
			whole.OnRelay(ch, func(on bool) {
				if seen[ch] == on {
					t.Fatalf("relay %d callback repeated state %v", ch, on)
				}
				seen[ch] = on
			})
		}
		whole.WireInput(0, func() bool { return true })
		out := whole.Feed(in)
		if got, want := bytes.Count(out, []byte(">")), bytes.Count(in, []byte("\r")); got != want {
			t.Fatalf("%d prompts for %d CRs; output %q", got, want, out)
		}
		split := NewNumato(cfg)
		split.WireInput(0, func() bool { return true })
		var out2 []byte
		for i := range in {
			out2 = append(out2, split.Feed(in[i:i+1])...)
		}
		if !bytes.Equal(out, out2) {
			t.Fatalf("byte-by-byte output %q differs from %q", out2, out)
		}
		for ch := range cfg.Relays {
			if whole.Relay(ch) != seen[ch] || split.Relay(ch) != whole.Relay(ch) {
				t.Fatalf("relay %d: board %v, callback %v, split board %v", ch, whole.Relay(ch), seen[ch], split.Relay(ch))
			}
		}
		echo := NewNumato(DefaultNumatoConfig())
		if e := echo.Feed(in); len(e) < len(bytes.ReplaceAll(in, []byte("\n"), nil)) {
			t.Fatalf("echoing board sent %d bytes for %d input bytes", len(e), len(in))
		}
	})
}

// FuzzLCUS feeds arbitrary bytes to an LCUS board: chunking must not
// matter, only 0xFF may produce output, and callbacks agree with the board.
func FuzzLCUS(f *testing.F) {
	for _, s := range [][]byte{
		{0xA0, 0x01, 0x01, 0xA2}, {0xA0, 0x01, 0x00, 0xA1}, {0xFF}, {0xA0, 0xA0, 0x01, 0x01, 0xA2},
		{0xA0, 0x02, 0x01, 0x00}, {0x00, 0xA0, 0xFF, 0x01, 0xA0},
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, in []byte) {
		cfg := LCUSConfig{Channels: 8, StatusQuery: true}
		whole, seen := NewLCUS(cfg), map[int]bool{}
		for ch := 1; ch <= 8; ch++ {
			whole.OnRelay(ch, func(on bool) { seen[ch] = on })
		}
		out := whole.Feed(in)
		split := NewLCUS(cfg)
		var out2 []byte
		for i := range in {
			out2 = append(out2, split.Feed(in[i:i+1])...)
		}
		if !bytes.Equal(out, out2) {
			t.Fatalf("byte-by-byte output %q differs from %q", out2, out)
		}
		if len(out) > 0 && bytes.IndexByte(in, 0xFF) < 0 {
			t.Fatalf("output %q without a status query", out)
		}
		if len(out) > 0 && !statusLines.Match(out) {
			t.Fatalf("malformed status %q", out)
		}
		for ch := 1; ch <= 8; ch++ {
			if whole.Relay(ch) != seen[ch] || split.Relay(ch) != whole.Relay(ch) {
				t.Fatalf("channel %d: board %v, callback %v, split %v", ch, whole.Relay(ch), seen[ch], split.Relay(ch))
			}
		}
	})
}
