package press_test

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/camrig/camrig/harness/clock"
	"github.com/camrig/camrig/harness/clock/clocktest"
	"github.com/camrig/camrig/harness/power/powertest"
	"github.com/camrig/camrig/harness/press"
	"github.com/camrig/camrig/harness/timeline"
)

// heldAtEdges notes, at each switching, whether the wake-up latency
// request was in force.
type heldAtEdges struct {
	powertest.Fake
	w    *clock.WakeLatency
	mu   sync.Mutex
	held []bool
}

func (h *heldAtEdges) Set(ctx context.Context, on bool) error {
	h.mu.Lock()
	h.held = append(h.held, h.w.Held())
	h.mu.Unlock()
	return h.Fake.Set(ctx, on)
}

// A press holds the CPU wake-up latency request from before its "on" to
// after its release, says so in its record and timeline, and drops it
// after; where the request is refused the press goes on and says why.
func TestPressHoldsTheWakeLatencyThroughTheHold(t *testing.T) {
	dir := t.TempDir()
	device := filepath.Join(dir, "cpu_dma_latency")
	if err := os.WriteFile(device, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name     string
		w        *clock.WakeLatency
		wantHeld bool
		wantAttr string
	}{
		{"granted", clock.NewWakeLatency(device), true, "held"},
		{"refused", clock.NewWakeLatency(filepath.Join(dir, "missing")), false, "not held: CPU wake-up latency request: open "},
		{"turned off", clock.NoWakeLatency, false, "not held: the CPU wake-up latency request is turned off"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			sw := &heldAtEdges{Fake: powertest.Fake{Name: "relay#1"}, w: tc.w}
			f := clocktest.New(time.Unix(1000, 0))
			tl := timeline.New("cam1")
			s, err := press.New(sw, press.Options{MaxHold: time.Minute, Clock: f, Timeline: tl, WakeLatency: tc.w})
			if err != nil {
				t.Fatal(err)
			}
			done := make(chan result, 1)
			go func() { r, err := s.Press(context.Background(), time.Second); done <- result{r, err} }()
			<-f.Waiters()
			if tc.w.Held() != tc.wantHeld {
				t.Fatalf("request in force in mid-hold: %v, want %v", tc.w.Held(), tc.wantHeld)
			}
			f.Advance(time.Second)
			r := <-done
			if r.err != nil {
				t.Fatal(r.err)
			}
			sw.mu.Lock()
			held := sw.held
			sw.mu.Unlock()
			if len(held) != 2 || held[0] != tc.wantHeld || held[1] != tc.wantHeld {
				t.Fatalf("request in force at on, off = %v, want %v at both", held, tc.wantHeld)
			}
			if tc.w.Held() {
				t.Fatal("request still in force after the press")
			}
			if r.rec.WakeLatency.Held != tc.wantHeld {
				t.Fatalf("record says %v", r.rec.WakeLatency)
			}
			if ev := tl.Events(); len(ev) != 1 || !strings.HasPrefix(ev[0].Attrs["cpu_wake"], tc.wantAttr) {
				t.Fatalf("timeline cpu_wake = %q, want %q…", tl.Events()[0].Attrs["cpu_wake"], tc.wantAttr)
			}
		})
	}
}
