package relay

import (
	"bytes"
	"os"
	"sync"
	"testing"
	"time"

	"github.com/camrig/camrig/rigs/virtual/pty"
	"golang.org/x/sys/unix"
)

// servePty runs eng on a fresh pty and returns the slave end, opened as
// the harness opens a tty.
func servePty(t *testing.T, eng Engine) *os.File {
	t.Helper()
	p, err := pty.Open("")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { p.Close() })
	srv, err := Serve(p.Master, eng, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { srv.Close() })
	s, err := os.OpenFile(p.SlavePath, os.O_RDWR|unix.O_NOCTTY|unix.O_NONBLOCK, 0)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

// exchange writes send and reads exactly len(want) bytes.
func exchange(t *testing.T, s *os.File, send, want string) {
	t.Helper()
	if _, err := s.Write([]byte(send)); err != nil {
		t.Fatal(err)
	}
	got := make([]byte, 0, len(want))
	buf := make([]byte, 256)
	s.SetReadDeadline(time.Now().Add(5 * time.Second))
	for len(got) < len(want) {
		n, err := s.Read(buf[:len(want)-len(got)])
		got = append(got, buf[:n]...)
		if err != nil {
			t.Fatalf("send %q: got %q then %v; want %q", send, got, err, want)
		}
	}
	if string(got) != want {
		t.Fatalf("send %q:\n got %q\nwant %q", send, got, want)
	}
}

// quiet checks that nothing more arrives for a moment.
func quiet(t *testing.T, s *os.File) {
	t.Helper()
	s.SetReadDeadline(time.Now().Add(30 * time.Millisecond))
	buf := make([]byte, 64)
	if n, _ := s.Read(buf); n > 0 {
		t.Fatalf("unexpected extra bytes %q", buf[:n])
	}
}

// relayLog records relay callbacks.
type relayLog struct {
	mu  sync.Mutex
	got []string
}

func (r *relayLog) fn(name string) func(bool) {
	return func(on bool) {
		r.mu.Lock()
		defer r.mu.Unlock()
		s := "off"
		if on {
			s = "on"
		}
		r.got = append(r.got, name+"="+s)
	}
}

func (r *relayLog) take() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	g := r.got
	r.got = nil
	return g
}

func TestNumatoByteExactOverPty(t *testing.T) {
	b := NewNumato(DefaultNumatoConfig())
	var log relayLog
	for ch := range 8 {
		if err := b.OnRelay(ch, log.fn(string(rune('0'+ch)))); err != nil {
			t.Fatal(err)
		}
	}
	var led bool
	var ledMu sync.Mutex
	if err := b.WireInput(0, func() bool { ledMu.Lock(); defer ledMu.Unlock(); return led }); err != nil {
		t.Fatal(err)
	}
	s := servePty(t, b)

	steps := []struct {
		name, send, want string
		relays           []string
		before           func()
	}{
		{name: "version", send: "ver\r", want: "ver\n\r00000008\n\r>"},
		{name: "relay on", send: "relay on 1\r", want: "relay on 1\n\r>", relays: []string{"1=on"}},
		{name: "relay on again changes nothing", send: "relay on 1\r", want: "relay on 1\n\r>"},
		{name: "relay read on", send: "relay read 1\r", want: "relay read 1\n\ron\n\r>"},
		{name: "relay read off", send: "relay read 2\r", want: "relay read 2\n\roff\n\r>"},
		{name: "readall", send: "relay readall\r", want: "relay readall\n\r02\n\r>"},
		{name: "writeall", send: "relay writeall 81\r", want: "relay writeall 81\n\r>", relays: []string{"0=on", "1=off", "7=on"}},
		{name: "writeall too wide", send: "relay writeall 181\r", want: "relay writeall 181\n\rInvalid command\n\r>"},
		{name: "relay off", send: "relay off 7\r", want: "relay off 7\n\r>", relays: []string{"7=off"}},
		{name: "gpio read wired low", send: "gpio read 0\r", want: "gpio read 0\n\r0\n\r>"},
		{name: "gpio read wired high", send: "gpio read 0\r", want: "gpio read 0\n\r1\n\r>",
			before: func() { ledMu.Lock(); led = true; ledMu.Unlock() }},
		{name: "gpio read unwired", send: "gpio read 1\r", want: "gpio read 1\n\r0\n\r>"},
		{name: "gpio set", send: "gpio set 1\r", want: "gpio set 1\n\r>"},
		{name: "gpio read latch", send: "gpio read 1\r", want: "gpio read 1\n\r1\n\r>"},
		{name: "gpio readall", send: "gpio readall\r", want: "gpio readall\n\r03\n\r>"},
		{name: "gpio clear", send: "gpio clear 1\r", want: "gpio clear 1\n\r>"},
		{name: "id get", send: "id get\r", want: "id get\n\r00000000\n\r>"},
		{name: "id set", send: "id set cam-rig1\r", want: "id set cam-rig1\n\r>"},
		{name: "id get after set", send: "id get\r", want: "id get\n\rcam-rig1\n\r>"},
		{name: "id set wrong length", send: "id set abc\r", want: "id set abc\n\rInvalid command\n\r>"},
		{name: "empty line", send: "\r", want: "\n\r>"},
		{name: "unknown verb", send: "relay toggle 1\r", want: "relay toggle 1\n\rInvalid command\n\r>"},
		{name: "unknown command", send: "reboot\r", want: "reboot\n\rInvalid command\n\r>"},
		{name: "index out of range", send: "relay on 9\r", want: "relay on 9\n\rInvalid command\n\r>"},
		{name: "lower-case letter index", send: "relay on a\r", want: "relay on a\n\rInvalid command\n\r>"},
		{name: "only the first index char counts", send: "relay on 23\r", want: "relay on 23\n\r>", relays: []string{"2=on"}},
		{name: "CR LF is one command", send: "relay off 2\r\n", want: "relay off 2\n\r>", relays: []string{"2=off"}},
		{name: "backspace edits", send: "relay on 4\x7f5\r", want: "relay on 4\x7f5\n\r>", relays: []string{"5=on"}},
		{name: "split across writes (1)", send: "relay o", want: "relay o"},
		{name: "split across writes (2)", send: "ff 5\r", want: "ff 5\n\r>", relays: []string{"5=off"}},
	}
	for _, st := range steps {
		t.Run(st.name, func(t *testing.T) {
			if st.before != nil {
				st.before()
			}
			exchange(t, s, st.send, st.want)
			got := log.take()
			if len(got) != len(st.relays) {
				t.Fatalf("relay callbacks %v, want %v", got, st.relays)
			}
			for i := range got {
				if got[i] != st.relays[i] {
					t.Fatalf("relay callbacks %v, want %v", got, st.relays)
				}
			}
		})
	}
	quiet(t, s)
}

func TestNumatoWithoutEchoOrPrompt(t *testing.T) {
	cfg := DefaultNumatoConfig()
	cfg.Echo, cfg.Prompt, cfg.EOL = false, "", "\r\n"
	s := servePty(t, NewNumato(cfg))
	exchange(t, s, "relay on 0\r", "")
	exchange(t, s, "relay read 0\r", "on\r\n")
	exchange(t, s, "nope\r", "Invalid command\r\n")
	quiet(t, s)
}

func TestNumatoOverlongLine(t *testing.T) {
	cfg := DefaultNumatoConfig()
	cfg.Echo = false
	b := NewNumato(cfg)
	out := b.Feed([]byte("relay on 1" + string(bytes.Repeat([]byte(" "), 80)) + "\r"))
	if string(out) != "Invalid command\n\r>" {
		t.Fatalf("overlong line: %q", out)
	}
	if b.Relay(1) {
		t.Fatal("overlong line switched the relay")
	}
	if out := b.Feed([]byte("relay on 1\r")); string(out) != "\n\r>" && string(out) != ">" {
		t.Fatalf("line after an overlong one: %q", out)
	}
	if !b.Relay(1) {
		t.Fatal("the board did not recover after an overlong line")
	}
}

func TestNumatoWiringRange(t *testing.T) {
	b := NewNumato(DefaultNumatoConfig())
	if err := b.OnRelay(8, func(bool) {}); err == nil {
		t.Error("OnRelay(8) on an 8-relay board accepted")
	}
	if err := b.WireInput(-1, func() bool { return false }); err == nil {
		t.Error("WireInput(-1) accepted")
	}
}

func TestLCUSByteExactOverPty(t *testing.T) {
	b := NewLCUS(LCUSConfig{Channels: 4, StatusQuery: true})
	var log relayLog
	for ch := 1; ch <= 4; ch++ {
		if err := b.OnRelay(ch, log.fn(string(rune('0'+ch)))); err != nil {
			t.Fatal(err)
		}
	}
	s := servePty(t, b)
	steps := []struct {
		name   string
		send   []byte
		want   string
		relays []string
	}{
		{"ch1 on", []byte{0xA0, 0x01, 0x01, 0xA2}, "", []string{"1=on"}},
		{"status", []byte{0xFF}, "CH1:ON\r\nCH2:OFF\r\nCH3:OFF\r\nCH4:OFF\r\n", nil},
		{"bad checksum ignored", []byte{0xA0, 0x02, 0x01, 0xA4}, "", nil},
		{"resync after a stray A0", []byte{0xA0, 0xA0, 0x03, 0x01, 0xA4}, "", []string{"3=on"}},
		{"ch1 off", []byte{0xA0, 0x01, 0x00, 0xA1}, "", []string{"1=off"}},
		{"channel 0 ignored", []byte{0xA0, 0x00, 0x01, 0xA1}, "", nil},
		{"channel 5 on a 4-channel board ignored", []byte{0xA0, 0x05, 0x01, 0xA6}, "", nil},
		{"state 2 ignored", []byte{0xA0, 0x02, 0x02, 0xA4}, "", nil},
		{"noise then frame", []byte{0x00, 0x13, 0xA0, 0x04, 0x01, 0xA5}, "", []string{"4=on"}},
		{"status after all that", []byte{0xFF}, "CH1:OFF\r\nCH2:OFF\r\nCH3:ON\r\nCH4:ON\r\n", nil},
	}
	model := make([]bool, 5) // what the relays must be after each step
	for _, st := range steps {
		t.Run(st.name, func(t *testing.T) {
			for _, r := range st.relays {
				model[r[0]-'0'] = r[2:] == "on"
			}
			if st.want == "" {
				// No reply expected: follow with a status query, whose
				// answer proves the frame was processed (or ignored).
				exchange(t, s, string(st.send), "")
				exchange(t, s, "\xff", lcusStatus(model))
			} else {
				exchange(t, s, string(st.send), st.want)
			}
			got := log.take()
			if len(got) != len(st.relays) {
				t.Fatalf("relay callbacks %v, want %v", got, st.relays)
			}
			for i := range got {
				if got[i] != st.relays[i] {
					t.Fatalf("relay callbacks %v, want %v", got, st.relays)
				}
			}
		})
	}
	quiet(t, s)
}

func lcusStatus(model []bool) string {
	var out []byte
	for ch := 1; ch < len(model); ch++ {
		s := "OFF"
		if model[ch] {
			s = "ON"
		}
		out = append(out, "CH"+string(rune('0'+ch))+":"+s+"\r\n"...)
	}
	return string(out)
}

func TestLCUSWithoutStatusQueryIsSilent(t *testing.T) {
	b := NewLCUS(LCUSConfig{})
	if out := b.Feed([]byte{0xFF, 0xA0, 0x08, 0x01, 0xA9}); len(out) != 0 {
		t.Fatalf("board without status query answered %q", out)
	}
	if !b.Relay(8) {
		t.Fatal("channel 8 not on")
	}
	if err := b.OnRelay(9, func(bool) {}); err == nil {
		t.Fatal("OnRelay(9) on an 8-channel board accepted")
	}
}

// A board that hangs mid-press answers the press's "relay on", then loses
// everything after it, the relay left on; other relays switched on before
// do not hang it.
func TestNumatoSilentAfterOn(t *testing.T) {
	cfg := DefaultNumatoConfig()
	cfg.Echo = false
	b := NewNumato(cfg)
	b.SetSilentAfterOn(3)
	for _, step := range []struct{ in, want string }{
		{"relay on 1\r", ">"},
		{"relay off 1\r", ">"},
		{"relay on 3\r", ">"},
		{"relay off 3\r", ""},
		{"relay read 3\r", ""},
	} {
		if out := b.Feed([]byte(step.in)); string(out) != step.want {
			t.Fatalf("%q: got %q, want %q", step.in, out, step.want)
		}
	}
	if !b.Relay(3) {
		t.Fatal("the relay moved while the board was silent")
	}
	b.SetSilent(false)
	if out := b.Feed([]byte("relay off 3\r")); string(out) != ">" || b.Relay(3) {
		t.Fatalf("after the hang: %q, relay on=%v", out, b.Relay(3))
	}
}
