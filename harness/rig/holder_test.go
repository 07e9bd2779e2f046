package rig

import (
	"strings"
	"testing"
	"time"
)

func TestHolderRoundTrip(t *testing.T) {
	h := Holder{PID: 42, Host: "elsewhere", Since: time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC), Command: "camrig run --rig x"}
	got, ok := parseHolder(h.marshal())
	if !ok || got != h {
		t.Fatalf("parsed %+v %v", got, ok)
	}
	want := "pid 42 on host elsewhere (camrig run --rig x) since 2026-01-02T03:04:05Z"
	if s := got.String(); s != want {
		t.Fatalf("String = %q, want %q", s, want)
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
	f.Fuzz(func(t *testing.T, data []byte) {
		h, ok := parseHolder(data)
		if !ok {
			return
		}
		if h.PID <= 0 || len(h.Command) > maxCommand+3 {
			t.Fatalf("accepted %+v", h)
		}
		_ = h.String()
	})
}
