package ubootsim

import (
	"context"
	"time"
)

// Timing holds U-Boot's waits. They are device time: a rig may scale them,
// but the protocol needs CharTimeout well above the line's worst latency
// (keep it at 200 ms or more).
type Timing struct {
	// CharTimeout is xyzModem's per-character timeout (2 s).
	CharTimeout time.Duration
	// HeaderTimeoutDelay follows a header that timed out (250 ms).
	HeaderTimeoutDelay time.Duration
	// OpenRetryDelay is the extra wait before the next 'C' while waiting
	// for the first header (500 ms).
	OpenRetryDelay time.Duration
	// TerminateDelay follows a transfer, for terminal programs (250 ms).
	TerminateDelay time.Duration
	// SwitchDelay is waited before and after a baud change (50 ms).
	SwitchDelay time.Duration
}

// DefaultTiming is U-Boot's.
func DefaultTiming() Timing {
	return Timing{
		CharTimeout:        2 * time.Second,
		HeaderTimeoutDelay: 250 * time.Millisecond,
		OpenRetryDelay:     500 * time.Millisecond,
		TerminateDelay:     250 * time.Millisecond,
		SwitchDelay:        50 * time.Millisecond,
	}
}

// Scaled multiplies every wait by f (a rig's timescale).
func (t Timing) Scaled(f float64) Timing {
	s := func(d time.Duration) time.Duration { return time.Duration(float64(d) * f) }
	return Timing{
		CharTimeout:        s(t.CharTimeout),
		HeaderTimeoutDelay: s(t.HeaderTimeoutDelay),
		OpenRetryDelay:     s(t.OpenRetryDelay),
		TerminateDelay:     s(t.TerminateDelay),
		SwitchDelay:        s(t.SwitchDelay),
	}
}

// pause is U-Boot's udelay: device pacing, cut short by power loss.
func pause(ctx context.Context, d time.Duration) error {
	if d <= 0 {
		return ctx.Err()
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return context.Cause(ctx)
	}
}
