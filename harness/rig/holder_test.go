package rig

import (
	"strings"
	"testing"
	"time"
)

func TestHolderRoundTrip(t *testing.T) {
	h := Holder{PID: 42, Host: "elsewhere", Since: time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC), Command: "camrig run --rig …"}
	got, ok := parseHolder(h.marshal())
	if !ok || got != h {
		t.Fatalf("parsed %+v %v", got, ok)
	}
	want := "pid 42 on host elsewhere (camrig run --rig …) since 2026-01-02T03:04:05Z"
	if s := got.String(); s != want {
		t.Fatalf("String = %q, want %q", s, want)
	}
}

// The recorded command is its shape: program, subcommand and flag names.
// No value survives, whatever form it takes (a separate word, --k=v, a
// positional, after --); a lock file holding values (an older camrig, a hand
// edit) is shaped again when read.
func TestCommandShapeDropsEveryValue(t *testing.T) {
	tests := []struct {
		args []string
		want string
	}{
		{[]string{"/usr/local/bin/camrig", "console", "--rig", "r.yaml", "--unit", "cam1", "--send", "s3cr3tPassw0rd"},
			"camrig console --rig … --unit … --send …"},
		{[]string{"camrig", "console", "--send=s3cr3tPassw0rd", "-v"}, "camrig console --send=… -v"},
		{[]string{"camrig", "power", "on", "--unit", "cam1"}, "camrig power … --unit …"},
		{[]string{"camrig", "S3cr3t!", "x"}, "camrig …"},
		{[]string{"camrig", "press", "--", "--hold", "s3cr3t"}, "camrig press -- …"},
		{[]string{"camrig", "press", "-s3cr3t/Passw0rd"}, "camrig press …"},
		{[]string{"/tmp/go-build1/b001/specs.test", "-test.run=^X$", "--", "--rig=x"}, "specs.test -test.run=… -- …"},
		{[]string{"/tmp/odd name/\x00"}, "…"},
		{nil, ""},
	}
	for _, tt := range tests {
		if got := commandShape(tt.args); got != tt.want {
			t.Errorf("commandShape(%q) = %q, want %q", tt.args, got, tt.want)
		}
	}
	old := []byte(`{"pid": 7, "host": "h", "command": "/opt/camrig console --send s3cr3tPassw0rd"}`)
	h, ok := parseHolder(old)
	if !ok || h.Command != "camrig console --send …" {
		t.Fatalf("parsed an old lock file as %+v %v", h, ok)
	}
}

func TestParseHolderRejects(t *testing.T) {
	for _, in := range []string{"", "{", "{}", `{"pid": -1}`, `{"pid": "x"}`, "pid 12\n", "\x00\x00"} {
		if _, ok := parseHolder([]byte(in)); ok {
			t.Errorf("accepted %q", in)
		}
	}
}

func FuzzParseHolder(f *testing.F) {
	f.Add(Holder{PID: 1, Host: "h", Command: "c"}.marshal())
	f.Add([]byte(`{"pid": 7, "command": "` + strings.Repeat("x", 400) + `"}`))
	f.Add([]byte("garbage"))
	f.Add([]byte(`{"pid": 7, "command": "camrig x` + strings.Repeat(" --k=v", 60) + `"}`))
	f.Add([]byte(`{"pid": 7, "command": "camrig x` + strings.Repeat(" --kk=v", 60) + `"}`))
	f.Add([]byte(`{"pid": 7, "command": "camrig x` + strings.Repeat(" --kkk=v", 60) + `"}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		h, ok := parseHolder(data)
		if !ok {
			return
		}
		if h.PID <= 0 || len(h.Command) > maxCommand {
			t.Fatalf("accepted %+v", h)
		}
		// Shaping is stable: what is printed is what would be recorded.
		if again := commandShape(strings.Fields(h.Command)); again != h.Command {
			t.Fatalf("shape of %q is %q", h.Command, again)
		}
		_ = h.String()
	})
}
