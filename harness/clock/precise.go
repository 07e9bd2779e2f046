package clock

import (
	"context"
	"runtime"
	"time"
)

// preciseWindow is the tail of a precise wait not left to a Go timer. A Go
// timer fires a quarter of a millisecond late in the median on these
// hosts, 0.7 ms at p99 and up to 3.5 ms in the tail (2,000 sleeps on the
// quiet 2-core development machine); a window shorter than that tail made
// the release of one hold in a hundred late by up to 2.4 ms
// (BenchmarkHoldAccuracyVirtualRig).
const preciseWindow = 4 * time.Millisecond

// yieldWindow is the very end of a precise wait, spent re-reading the
// clock: a kernel sleep ends late by the thread's timer slack (50 µs) plus
// its wake-up, 80-100 µs typical and about 200 µs at p90 on a 2-core
// virtual machine.
const yieldWindow = 200 * time.Microsecond

// WaitPrecise waits d on c, ending as close after d as the host allows.
// With the real clock a Go timer fires milliseconds late (the runtime's
// poller sleeps in whole milliseconds, and a loaded host schedules it
// later), which alone would eat a sub-millisecond hold-accuracy budget. So
// the last preciseWindow is slept in the kernel (a nanosleep, precise to
// tens of microseconds) up to the last yieldWindow, which re-reads the
// clock, yielding the processor between reads. Sleeping rather than
// spinning matters on a loaded host: a thread that spins for milliseconds
// uses up its share of the CPU and is then preempted for milliseconds,
// right at the edge it was waiting for, while a sleeping one is woken
// promptly. It never ends early. Any other clock (a fake in tests) is
// waited on plainly.
func WaitPrecise(ctx context.Context, c Clock, d time.Duration) error {
	if _, real := c.(Real); !real {
		return Wait(ctx, c, d)
	}
	deadline := c.Now().Add(d)
	if d > preciseWindow {
		if err := Wait(ctx, c, d-preciseWindow); err != nil {
			return err
		}
	}
	for {
		left := deadline.Sub(c.Now())
		if left <= 0 {
			return nil
		}
		if ctx.Err() != nil {
			return context.Cause(ctx)
		}
		if left > yieldWindow && kernelSleep(left-yieldWindow) {
			continue
		}
		runtime.Gosched()
	}
}

// WaitUntilPrecise is WaitPrecise until the instant t (at once when t has
// passed).
func WaitUntilPrecise(ctx context.Context, c Clock, t time.Time) error {
	return WaitPrecise(ctx, c, t.Sub(c.Now()))
}
