package power

import (
	"errors"
	"strings"
	"testing"
)

func TestParseNumatoReply(t *testing.T) {
	cases := []struct {
		name      string
		cmd, in   string
		wantValue bool
		done      bool // prompt seen
		ready     bool // complete but for the prompt
		value     string
		bad       bool
	}{
		{"set acked", "relay on 1", "relay on 1\n\r>", false, true, true, "", false},
		{"set partial echo", "relay on 1", "relay o", false, false, false, "", false},
		{"set echo no eol", "relay on 1", "relay on 1", false, false, false, "", false},
		{"set no prompt yet", "relay on 1", "relay on 1\n\r", false, false, true, "", false},
		{"read acked", "relay read 1", "relay read 1\n\ron\n\r>", true, true, true, "on", false},
		{"read value arriving", "relay read 1", "relay read 1\n\ro", true, false, false, "", false},
		{"read no echo", "relay read 1", "\n\roff\n\r>", true, true, true, "off", false},
		{"stale prompt before echo", "relay on 1", ">relay on 1\n\r>", false, true, true, "", false},
		{"lone stale prompt", "relay on 1", ">", false, false, false, "", false},
		{"set with junk", "relay on 1", "relay on 1\n\rERR\n\r>", false, true, true, "", true},
		{"read two values", "gpio read 1", "gpio read 1\n\r1\n\r0\n\r>", true, true, true, "", true},
		{"read no value", "gpio read 1", "gpio read 1\n\r>", true, true, false, "", true},
		{"late reply to an earlier command", "relay off 1", "relay on 1\n\r>", false, false, false, "", false},
		{"late reply, then ours", "relay off 1", "relay on 1\n\r>relay off 1\n\r>", false, true, true, "", false},
		{"late reply, then ours without echo", "relay read 1", "relay on 1\n\r>\n\ron\n\r>", true, true, true, "on", false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r := parseNumatoReply(c.cmd, []byte(c.in))
			if r.prompt != c.done || r.ready(c.wantValue) != c.ready {
				t.Fatalf("%+v: prompt=%v ready=%v, want %v %v", r, r.prompt, r.ready(c.wantValue), c.done, c.ready)
			}
			if !c.done {
				return
			}
			v, err := numatoValue(r, c.wantValue)
			if (err != nil) != c.bad || v != c.value {
				t.Fatalf("value %q, %v; want %q bad=%v", v, err, c.value, c.bad)
			}
		})
	}
}

func FuzzParseNumatoReply(f *testing.F) {
	for _, s := range []string{"relay on 1\n\r>", "relay read 1\n\ron\n\r>", ">", "\n\r0\n\r>", "relay read 1\r\noff", "\x00>\n"} {
		f.Add("relay read 1", []byte(s))
	}
	f.Fuzz(func(t *testing.T, cmd string, b []byte) {
		r := parseNumatoReply(cmd, b)
		for _, l := range r.lines {
			if l == "" || strings.ContainsAny(l, "\r\n") {
				t.Fatalf("bad line %q", l)
			}
		}
		if r.prompt && !strings.Contains(string(b), ">") {
			t.Fatal("prompt without '>'")
		}
		if v, err := numatoValue(r, true); err == nil {
			if _, err := parseNumatoLevel(v); err != nil && v == "" {
				t.Fatal("empty value accepted")
			}
		}
	})
}

func TestNumatoIndex(t *testing.T) {
	for n, want := range map[int]string{0: "0", 9: "9", 10: "A", 15: "F", 31: "V"} {
		if got, err := numatoIndex(n); err != nil || got != want {
			t.Errorf("numatoIndex(%d) = %q, %v", n, got, err)
		}
	}
	for _, n := range []int{-1, 32} {
		if _, err := numatoIndex(n); err == nil {
			t.Errorf("numatoIndex(%d) accepted", n)
		}
	}
}

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
			if !errors.Is(err, errNeedMore) {
				t.Errorf("%q: err = %v, want more", c.in, err)
			}
		case c.bad:
			if err == nil || errors.Is(err, errNeedMore) {
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
		if errors.Is(err, errNeedMore) && len(b) > lcusStatusLimit {
			t.Fatalf("wants more after %d bytes", len(b))
		}
	})
}

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
			if !errors.Is(err, errNeedMore) {
				t.Errorf("% x: err = %v, want more", c.in, err)
			}
		case c.bad:
			if err == nil || errors.Is(err, errNeedMore) {
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
		if errors.Is(err, errNeedMore) && len(b) >= 3 {
			t.Fatalf("wants more after % x", b)
		}
	})
}

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

func TestQuoteBytesTruncates(t *testing.T) {
	long := strings.Repeat("x", 200)
	got := quoteBytes([]byte(long))
	if !strings.Contains(got, "(120 more bytes)") || len(got) > 120 {
		t.Fatalf("quoteBytes = %q", got)
	}
	if hexBytes(nil) != "nothing" || hexBytes([]byte{0xff, 1}) != "ff 01" {
		t.Fatal("hexBytes")
	}
}
