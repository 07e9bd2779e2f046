// Package netdevice is what the network power backends (the HTTP plugs and
// the SNMP PoE switch) share: the per-attempt deadline and retry budget a
// binding may set, and an error type whose text is scrubbed of credentials
// while its cause stays testable with errors.Is.
package netdevice

import (
	"fmt"
	"time"

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

// Error carries a text already scrubbed of every credential; Unwrap exposes
// only a cause that holds no URL (a context deadline, power.ErrDeviceReply,
// a syscall error).
type Error struct {
	Text  string
	Cause error
}

func (e *Error) Error() string { return e.Text }
func (e *Error) Unwrap() error { return e.Cause }
