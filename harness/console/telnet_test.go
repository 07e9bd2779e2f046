package console

import (
	"bytes"
	"fmt"
	"testing"
)

type recordedEvents struct{ got []string }

func (r *recordedEvents) negotiate(verb, opt byte) {
	r.got = append(r.got, fmt.Sprintf("neg %d %d", verb, opt))
}
func (r *recordedEvents) subneg(b []byte) { r.got = append(r.got, fmt.Sprintf("sb % x", b)) }

func TestTelnetParser(t *testing.T) {
	cases := []struct {
		name   string
		in     []byte
		raw    bool
		data   []byte
		events []string
	}{
		{"plain", []byte("U-Boot\r\n"), true, []byte("U-Boot\r\n"), nil},
		{"doubled IAC is data", []byte{'a', 255, 255, 'b'}, true, []byte{'a', 255, 'b'}, nil},
		{"negotiation", []byte{255, 251, 1, 'x', 255, 253, 44}, true, []byte("x"), []string{"neg 251 1", "neg 253 44"}},
		{"baud ack with escaped IAC", []byte{255, 250, 44, 101, 0, 0, 255, 255, 1, 255, 240, 'k'}, true, []byte("k"), []string{"sb 2c 65 00 00 ff 01"}},
		{"NOP dropped", []byte{'a', 255, 241, 'b'}, true, []byte("ab"), nil},
		{"CR NUL in NVT mode", []byte("a\r\x00b\r\n"), false, []byte("a\rb\r\n"), nil},
		{"CR NUL kept in binary mode", []byte("a\r\x00b"), true, []byte("a\r\x00b"), nil},
		{"malformed SB end", []byte{255, 250, 44, 1, 255, 251, 3, 'z'}, true, []byte("z"), []string{"neg 251 3"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			// Every split point must give the same result.
			for cut := 0; cut <= len(c.in); cut++ {
				tp := telnetParser{rawRecv: c.raw}
				ev := &recordedEvents{}
				out := tp.parse(c.in[:cut], nil, ev)
				out = tp.parse(c.in[cut:], out, ev)
				if !bytes.Equal(out, c.data) || fmt.Sprint(ev.got) != fmt.Sprint(c.events) {
					t.Fatalf("cut %d: data %q events %v, want %q %v", cut, out, ev.got, c.data, c.events)
				}
			}
		})
	}
}

func TestEscapeIAC(t *testing.T) {
	if got := escapeIAC([]byte{1, 255, '\r', 2}, true); !bytes.Equal(got, []byte{1, 255, 255, '\r', 2}) {
		t.Fatalf("binary: % x", got)
	}
	if got := escapeIAC([]byte{'\r', 'x'}, false); !bytes.Equal(got, []byte{'\r', 0, 'x'}) {
		t.Fatalf("NVT: % x", got)
	}
}

// FuzzTelnetParser: whatever a server sends, parsing never panics, bounds
// subnegotiations, and does not depend on how TCP split it; and any data
// escaped by escapeIAC parses back to itself.
func FuzzTelnetParser(f *testing.F) {
	f.Add([]byte{255, 250, 44, 101, 0, 0, 255, 255, 1, 255, 240}, []byte("U-Boot\xff"), uint8(3), true)
	f.Add([]byte("a\r\x00b"), []byte("\r\x00\r"), uint8(1), false)
	f.Fuzz(func(t *testing.T, stream, data []byte, cut uint8, raw bool) {
		whole := telnetParser{rawRecv: raw}
		ev1 := &recordedEvents{}
		want := whole.parse(stream, nil, ev1)
		split := telnetParser{rawRecv: raw}
		ev2 := &recordedEvents{}
		c := min(int(cut), len(stream))
		got := split.parse(stream[:c], nil, ev2)
		got = split.parse(stream[c:], got, ev2)
		if !bytes.Equal(got, want) || fmt.Sprint(ev1.got) != fmt.Sprint(ev2.got) {
			t.Fatalf("split at %d changed the result", c)
		}
		if len(whole.sb) > maxSubneg {
			t.Fatalf("subnegotiation grew to %d", len(whole.sb))
		}
		// Round trip. In NVT mode escapeIAC adds NUL after CR, which the
		// parser removes.
		rt := telnetParser{rawRecv: raw}
		back := rt.parse(escapeIAC(data, raw), nil, &recordedEvents{})
		if !bytes.Equal(back, data) {
			t.Fatalf("round trip % x -> % x", data, back)
		}
	})
}
