package clock

import (
	"context"
	"runtime"
	"time"
)

// spinWindow is the tail of a precise wait spent re-reading the clock
// instead of waiting on a timer.
const spinWindow = time.Millisecond

// WaitPrecise waits d on c, ending as close after d as the host allows.
// With the real clock a Go timer can fire up to about a millisecond late
// (the runtime's poller sleeps in whole milliseconds), which alone would
// eat half of a 2 ms hold-accuracy budget; so the last spinWindow re-reads
// the clock, yielding the processor between reads: up to a millisecond of
// CPU per wait, traded for sub-millisecond edges. It never ends early. Any
// other clock (a fake in tests) is waited on plainly.
func WaitPrecise(ctx context.Context, c Clock, d time.Duration) error {
	if _, real := c.(Real); !real || d <= spinWindow {
		return Wait(ctx, c, d)
	}
	deadline := c.Now().Add(d)
	if err := Wait(ctx, c, d-spinWindow); err != nil {
		return err
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
