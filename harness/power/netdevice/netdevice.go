// Package netdevice is what the network power backends (the HTTP plugs and
// the SNMP PoE switch) share: the per-attempt deadline and retry budget a
// binding may set, and an error type whose text is scrubbed of credentials
// while its cause stays testable with errors.Is.
package netdevice

import (
	"context"
	"fmt"
	"log/slog"
	"time"

	"github.com/camrig/camrig/harness/clock"
	"github.com/camrig/camrig/harness/internal/bindcheck"
	"github.com/camrig/camrig/harness/power"
)

// Defaults when the rig file leaves timeout or retries at zero.
const (
	DefaultTimeout = 3 * time.Second
	DefaultRetries = 2
	MaxRetries     = 10
)

// Budget validates and defaults the timeout and retry fields of cfg.
func Budget(cfg power.Config) (time.Duration, int, error) {
	timeout, retries := cfg.Timeout, cfg.Retries
	if timeout < 0 {
		return 0, 0, fmt.Errorf("timeout %v is negative", timeout)
	}
	if timeout == 0 {
		timeout = DefaultTimeout
	}
	if retries < 0 || retries > MaxRetries {
		return 0, 0, fmt.Errorf("retries %d out of range 0..%d (0 means the default %d)", retries, MaxRetries, DefaultRetries)
	}
	if retries == 0 {
		retries = DefaultRetries
	}
	return timeout, retries, nil
}

// CheckBudget reports, at its key, the timeout or retries Budget would
// refuse.
func CheckBudget(ps *bindcheck.Problems, cfg power.Config) {
	if _, _, err := Budget(cfg); err != nil {
		key := "retries"
		if cfg.Timeout < 0 {
			key = "timeout"
		}
		ps.Err(key, err)
	}
}

// Retry runs attempt, and again after a network failure, at most 1+retries
// times in all. attempt returns an error only when nothing complete came
// back (refused, reset, its own deadline): a device that answered wrongly
// is answered by the caller, never retried, since asking again gets the
// same answer. Between tries it pauses attempt*50ms on clk, which lets a
// device that dropped the connection (an ESP8266 serving one client at a
// time) recover. The caller's own deadline or cancel is not retried.
//
// It returns nil, or the last attempt's error; interrupted is set when ctx
// ended during a pause (then last is what the try before it said).
func Retry(ctx context.Context, clk clock.Clock, log *slog.Logger, name, op string, retries int, attempt func() error) (last, interrupted error) {
	for n := 0; n <= retries; n++ {
		if n > 0 {
			log.Warn("power: retrying after network error", "board", name, "op", op, "attempt", n, "err", last)
			if err := clock.Wait(ctx, clk, time.Duration(n)*50*time.Millisecond); err != nil {
				return last, err
			}
		}
		if last = attempt(); last == nil || ctx.Err() != nil {
			return last, nil
		}
	}
	return last, nil
}

// Error carries a text already scrubbed of every credential; Unwrap exposes
// only a cause that holds no URL (a context deadline, power.ErrDeviceReply,
// a syscall error).
type Error struct {
	Text  string
	Cause error
}

func (e *Error) Error() string { return e.Text }
func (e *Error) Unwrap() error { return e.Cause }
