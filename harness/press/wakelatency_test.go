package press_test

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/camrig/camrig/harness/clock"
	"github.com/camrig/camrig/harness/clock/clocktest"
	"github.com/camrig/camrig/harness/power/powertest"
	"github.com/camrig/camrig/harness/press"
	"github.com/camrig/camrig/harness/timeline"
	"github.com/camrig/camrig/rigs/virtual/pty"
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
				t.Fatalf("timeline = %+v, want one press with cpu_wake %q…", ev, tc.wantAttr)
			}
		})
	}
}

// BenchmarkWakeLatencyPty measures the request where a press meets it, a
// pty reader waking up, and why a press holds it throughout rather than
// around each edge: a byte is written to a pty every 5-24 ms (the CPUs go
// idle between) and a goroutine reading the master end notes its arrival,
// with the request off ("off-"), held throughout ("held-") and asked for
// 10 ms before each write and dropped after it was read ("edge-"), the
// three taking turns in blocks of 100 writes so a stretch of host noise
// falls on each. Reported per mode: p50 and p99 of write-to-read in µs, and
// how many of its 1,000 writes were read over 500 µs late.
func BenchmarkWakeLatencyPty(b *testing.B) {
	if !wakeRequestGranted(b) {
		b.Skip("this host refuses the request: nothing to compare")
	}
	p, err := pty.Open("")
	if err != nil {
		b.Fatal(err)
	}
	defer p.Close()
	slave, err := os.OpenFile(p.SlavePath, os.O_RDWR|syscall.O_NOCTTY, 0)
	if err != nil {
		b.Fatal(err)
	}
	defer slave.Close()
	arrived := make(chan time.Time, 1)
	go func() {
		buf := make([]byte, 16)
		for {
			n, err := p.Master.Read(buf)
			if err != nil {
				return
			}
			if n > 0 {
				arrived <- time.Now()
			}
		}
	}()
	ctx := context.Background()
	const lead, block, writes = 10 * time.Millisecond, 100, 1000
	modes := []string{"off-", "held-", "edge-"}
	for range b.N {
		lat := make([][]float64, len(modes)) // µs
		release := func() {}
		for i := range len(modes) * writes {
			m := i / block % len(modes)
			gap := time.Duration(5+i*7%20) * time.Millisecond
			switch {
			case m == 1 && i%block == 0:
				release, _ = clock.HostWakeLatency.Hold() // for the block
			case m == 2:
				clock.Wait(ctx, clock.Real{}, gap)
				release, _ = clock.HostWakeLatency.Hold() // for this write
				gap = lead
			}
			clock.Wait(ctx, clock.Real{}, gap)
			sent := time.Now()
			if _, err := slave.Write([]byte{'x'}); err != nil {
				b.Fatal(err)
			}
			lat[m] = append(lat[m], absMicros((<-arrived).Sub(sent)))
			if m == 2 || (m == 1 && i%block == block-1) {
				release()
			}
		}
		for m, l := range lat {
			late := 0
			for _, us := range l {
				if us > 500 {
					late++
				}
			}
			b.ReportMetric(pct(l, 50), modes[m]+"p50-µs")
			b.ReportMetric(pct(l, 99), modes[m]+"p99-µs")
			b.ReportMetric(float64(late), modes[m]+"over-500µs/1000")
		}
	}
}
