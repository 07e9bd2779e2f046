// Package clock is the one source of time in camrig. Every wait in the
// harness goes through a Clock so unit tests can drive time by hand and the
// rig's timescale is applied in exactly one place.
package clock

import (
	"context"
	"time"
)

// Clock tells the time and makes timers.
type Clock interface {
	Now() time.Time
	NewTimer(d time.Duration) Timer
}

// Timer is the part of *time.Timer that callers need, behind an interface so
// a fake clock can fire it.
type Timer interface {
	C() <-chan time.Time
	Stop() bool
	Reset(d time.Duration) bool
}

// Real is the wall clock.
type Real struct{}

// Now returns time.Now().
func (Real) Now() time.Time { return time.Now() }

// NewTimer wraps time.NewTimer.
func (Real) NewTimer(d time.Duration) Timer { return realTimer{time.NewTimer(d)} }

type realTimer struct{ t *time.Timer }

func (r realTimer) C() <-chan time.Time        { return r.t.C }
func (r realTimer) Stop() bool                 { return r.t.Stop() }
func (r realTimer) Reset(d time.Duration) bool { return r.t.Reset(d) }

// OrReal returns c, or the wall clock when c is nil. It is the one place
// where "no clock given" is decided: every constructor and option that
// takes an optional clock passes it through here, so WithClock(nil) and a
// zero Options mean the same thing everywhere.
func OrReal(c Clock) Clock {
	if c == nil {
		return Real{}
	}
	return c
}

// Since is c.Now().Sub(t).
func Since(c Clock, t time.Time) time.Duration { return c.Now().Sub(t) }

// Wait blocks for d on c, or until ctx ends. It is for pacing that is itself
// the point (a solenoid hold, a power-off interval), never for waiting on an
// event: those use an event channel with a deadline from WithTimeout.
func Wait(ctx context.Context, c Clock, d time.Duration) error {
	if d <= 0 {
		return ctx.Err()
	}
	t := c.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C():
		return nil
	case <-ctx.Done():
		return context.Cause(ctx)
	}
}

// DeadlineError is the cause of a context ended by WithTimeout: it names what
// was being waited for and the (scaled) duration allowed.
type DeadlineError struct {
	What    string
	Allowed time.Duration
}

func (e *DeadlineError) Error() string {
	return "deadline of " + e.Allowed.String() + " passed waiting for " + e.What
}

// Is lets errors.Is(err, context.DeadlineExceeded) hold for callers that only
// care that time ran out.
func (e *DeadlineError) Is(target error) bool { return target == context.DeadlineExceeded }

// WithTimeout is context.WithTimeout on clock c: the context is cancelled
// with a *DeadlineError when c's timer for d fires. what names the awaited
// event for the error message.
func WithTimeout(ctx context.Context, c Clock, d time.Duration, what string) (context.Context, context.CancelFunc) {
	ctx, cancel := context.WithCancelCause(ctx)
	t := c.NewTimer(d)
	done := make(chan struct{})
	go func() {
		defer t.Stop()
		select {
		case <-t.C():
			cancel(&DeadlineError{What: what, Allowed: d})
		case <-ctx.Done():
		case <-done:
		}
	}()
	return ctx, func() {
		select {
		case <-done:
		default:
			close(done)
		}
		cancel(context.Canceled)
	}
}
