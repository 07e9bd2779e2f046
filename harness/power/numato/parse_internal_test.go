package numato

import (
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
