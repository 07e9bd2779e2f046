package clock

import (
	"context"
	"runtime"
	"time"
)

// spinWindow is the tail of a precise wait spent re-reading the clock
// instead of waiting on a timer. A Go timer fires a quarter of a
// millisecond late in the median on these hosts, 0.7 ms at p99 and up to
// 3.5 ms in the tail (2,000 sleeps on the quiet 2-core development machine); a window shorter
// than that tail made the release of one hold in a hundred late by up to
// 2.4 ms (BenchmarkHoldAccuracyVirtualRig).
const spinWindow = 4 * time.Millisecond

// WaitPrecise waits d on c, ending as close after d as the host allows.
// With the real clock a Go timer can fire milliseconds late (the
// runtime's poller sleeps in whole milliseconds, and the host schedules it
// late), which alone would eat a sub-millisecond hold-accuracy budget; so
// the last spinWindow re-reads the clock, yielding the processor between
// reads: up to spinWindow of CPU per wait, traded for sub-millisecond
// edges; a wait shorter than spinWindow is spun whole. It never ends
// early. Any other clock (a fake in tests) is waited on plainly.
func WaitPrecise(ctx context.Context, c Clock, d time.Duration) error {
	if _, real := c.(Real); !real {
		return Wait(ctx, c, d)
	}
	deadline := c.Now().Add(d)
	if d > spinWindow {
		if err := Wait(ctx, c, d-spinWindow); err != nil {
			return err
		}
	}
	for c.Now().Before(deadline) {
		if ctx.Err() != nil {
			return context.Cause(ctx)
		}
		runtime.Gosched()
	}
	return nil
}

// WaitUntilPrecise is WaitPrecise until the instant t (at once when t has
// passed).
func WaitUntilPrecise(ctx context.Context, c Clock, t time.Time) error {
	return WaitPrecise(ctx, c, t.Sub(c.Now()))
}
