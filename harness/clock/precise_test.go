package clock_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/camrig/camrig/harness/clock"
)

// WaitPrecise never ends a wait early (whatever the host's load, it may
// only end late), and stops at once when ctx ends.
func TestWaitPreciseNeverEarly(t *testing.T) {
	for _, d := range []time.Duration{0, 500 * time.Microsecond, 3 * time.Millisecond, 20 * time.Millisecond} {
		start := time.Now()
		if err := clock.WaitPrecise(context.Background(), clock.Real{}, d); err != nil {
			t.Fatal(err)
		}
		if got := time.Since(start); got < d {
			t.Fatalf("waited %v of %v", got, d)
		}
	}
	at := time.Now().Add(5 * time.Millisecond)
	if err := clock.WaitUntilPrecise(context.Background(), clock.Real{}, at); err != nil || time.Now().Before(at) {
		t.Fatalf("WaitUntilPrecise ended before %v (err %v)", at, err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := clock.WaitPrecise(ctx, clock.Real{}, time.Hour); !errors.Is(err, context.Canceled) {
		t.Fatalf("err = %v", err)
	}
}
