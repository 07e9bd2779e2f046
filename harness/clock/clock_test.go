package clock_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/camrig/camrig/harness/clock"
	"github.com/camrig/camrig/harness/clock/clocktest"
)

func TestScale(t *testing.T) {
	cases := []struct {
		s    clock.Scale
		in   time.Duration
		want time.Duration
		ok   bool
	}{
		{1, 30 * time.Second, 30 * time.Second, true},
		{0.01, 30 * time.Second, 300 * time.Millisecond, true},
		{0.5, 10 * time.Second, 5 * time.Second, true},
		{0, time.Second, time.Second, false},
		{1.5, time.Second, 1500 * time.Millisecond, false},
		{-1, time.Second, time.Second, false},
	}
	for _, c := range cases {
		if got := c.s.Of(c.in); got != c.want {
			t.Errorf("Scale(%v).Of(%v) = %v, want %v", c.s, c.in, got, c.want)
		}
		if err := c.s.Validate(); (err == nil) != c.ok {
			t.Errorf("Scale(%v).Validate() = %v, want ok=%v", c.s, err, c.ok)
		}
	}
	if got := clock.Scale(0.01).Unscale(300 * time.Millisecond); got != 30*time.Second {
		t.Errorf("Unscale = %v", got)
	}
}

func TestWithTimeoutFiresOnFakeClock(t *testing.T) {
	f := clocktest.New(time.Unix(0, 0))
	ctx, cancel := clock.WithTimeout(context.Background(), f, 5*time.Second, "boot marker")
	defer cancel()
	<-f.Waiters()
	f.Advance(4 * time.Second)
	select {
	case <-ctx.Done():
		t.Fatal("ended early")
	default:
	}
	f.Advance(time.Second)
	<-ctx.Done()
	err := context.Cause(ctx)
	var de *clock.DeadlineError
	if !errors.As(err, &de) || de.What != "boot marker" || !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("cause = %v", err)
	}
}

func TestWithTimeoutCancelIsNotDeadline(t *testing.T) {
	f := clocktest.New(time.Unix(0, 0))
	ctx, cancel := clock.WithTimeout(context.Background(), f, time.Second, "x")
	cancel()
	<-ctx.Done()
	if errors.Is(context.Cause(ctx), context.DeadlineExceeded) {
		t.Fatal("cancel reported as deadline")
	}
}

// Both waits end when the fake clock is advanced by their duration; on a
// fake clock WaitPrecise is a plain Wait (no spinning on a clock that only
// moves when told).
func TestWaitOnFakeClock(t *testing.T) {
	for _, w := range []struct {
		name string
		wait func(context.Context, clock.Clock, time.Duration) error
	}{{"Wait", clock.Wait}, {"WaitPrecise", clock.WaitPrecise}} {
		t.Run(w.name, func(t *testing.T) {
			f := clocktest.New(time.Unix(0, 0))
			done := make(chan error, 1)
			go func() { done <- w.wait(context.Background(), f, 2*time.Second) }()
			<-f.Waiters()
			f.Advance(2 * time.Second)
			if err := <-done; err != nil {
				t.Fatal(err)
			}
			if f.Now() != time.Unix(2, 0) {
				t.Fatalf("now = %v", f.Now())
			}
		})
	}
}

func TestWaitCancelled(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := clock.Wait(ctx, clock.Real{}, time.Hour); !errors.Is(err, context.Canceled) {
		t.Fatalf("err = %v", err)
	}
}

func TestOrReal(t *testing.T) {
	if _, ok := clock.OrReal(nil).(clock.Real); !ok {
		t.Fatalf("OrReal(nil) = %T, want the wall clock", clock.OrReal(nil))
	}
	f := clocktest.New(time.Unix(0, 0))
	if got := clock.OrReal(f); got != clock.Clock(f) {
		t.Fatalf("OrReal(fake) = %T, want the fake itself", got)
	}
}
