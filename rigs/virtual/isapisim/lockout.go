package isapisim

import (
	"math"
	"sync"
	"time"
)

// lockout counts failed logins per key (a source IP or an account) and
// locks the key for a while after too many. Durations here are real
// (already scaled); the device reports them in its own time.
type lockout struct {
	attempts int
	dur      time.Duration
	now      func() time.Time

	mu   sync.Mutex
	keys map[string]*lockState
}

type lockState struct {
	fails int
	until time.Time
}

// verdict is what userCheck reports for a key.
type verdict struct {
	locked      bool
	left        time.Duration // real time until unlock
	retriesLeft int           // -1: no lockout configured
}

func newLockout(attempts int, dur time.Duration, now func() time.Time) *lockout {
	return &lockout{attempts: attempts, dur: dur, now: now, keys: map[string]*lockState{}}
}

// stateLocked returns the key's state, expiring an elapsed lock.
func (l *lockout) stateLocked(key string) *lockState {
	st := l.keys[key]
	if st == nil {
		st = &lockState{}
		l.keys[key] = st
	}
	if !st.until.IsZero() && !l.now().Before(st.until) {
		*st = lockState{}
	}
	return st
}

func (l *lockout) verdictLocked(st *lockState) verdict {
	if l.attempts == 0 {
		return verdict{retriesLeft: -1}
	}
	if !st.until.IsZero() {
		return verdict{locked: true, left: st.until.Sub(l.now())}
	}
	return verdict{retriesLeft: l.attempts - st.fails}
}

// check reports the key's state without counting anything.
func (l *lockout) check(key string) verdict {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.verdictLocked(l.stateLocked(key))
}

// fail counts a failed login; the attempts-th failure locks.
func (l *lockout) fail(key string) verdict {
	l.mu.Lock()
	defer l.mu.Unlock()
	st := l.stateLocked(key)
	if l.attempts > 0 && st.until.IsZero() {
		st.fails++
		if st.fails >= l.attempts {
			st.until = l.now().Add(l.dur)
		}
	}
	return l.verdictLocked(st)
}

// success clears the failure count (not a lock).
func (l *lockout) success(key string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if st := l.stateLocked(key); st.until.IsZero() {
		st.fails = 0
	}
}

// deviceSeconds converts a real remaining time to the whole seconds the
// device reports (its own time: real / timescale), rounded up so a lock
// never reads 0 while it still holds.
func deviceSeconds(real time.Duration, timescale float64) int {
	if real <= 0 {
		return 0
	}
	// The epsilon keeps float error from adding a second to an exact value.
	return int(math.Ceil(real.Seconds()/timescale - 1e-9))
}
