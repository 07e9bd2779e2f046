package power

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"sync/atomic"
)

// Commanded is for backends whose device may not report its state: some
// serial boards (LCUS, KMTronic) acknowledge nothing and only some of them
// answer a status query, and an exec binding may have no status command. It
// keeps what the binding last set, and whether the device has shown it
// cannot answer, so Get can fall back to the commanded state instead of
// failing every time. The zero value is ready.
type Commanded struct {
	mu    sync.Mutex
	known bool
	on    bool

	silent atomic.Bool // the board ignored a status query once
}

// Remember records a state the device acknowledged (or accepted
// silently).
func (c *Commanded) Remember(on bool) {
	c.mu.Lock()
	c.known, c.on = true, on
	c.mu.Unlock()
}

// Last returns the last state set, and whether there was one.
func (c *Commanded) Last() (on, known bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.on, c.known
}

// ErrSilent is what a status query returns when it got no byte at all.
var ErrSilent = errors.New("no answer to the status query")

// fallback is Get's answer once the board proved silent: the commanded
// state, or an error if nothing was commanded yet (a guess would be worse).
func (c *Commanded) fallback(subject string) (bool, error) {
	on, known := c.Last()
	if !known {
		return false, fmt.Errorf("%s: the board does not answer status queries and nothing was commanded yet: state unknown", subject)
	}
	return on, nil
}

// StatusOrFallback runs query unless the board is known silent; a first
// silent query (ErrSilent) marks it so and falls back.
func (c *Commanded) StatusOrFallback(ctx context.Context, log *slog.Logger, subject string, query func(ctx context.Context) (bool, error)) (bool, error) {
	if c.silent.Load() {
		return c.fallback(subject)
	}
	on, err := query(ctx)
	if errors.Is(err, ErrSilent) && ctx.Err() == nil {
		if !c.silent.Swap(true) {
			log.Info("board does not answer status queries; Get reports the last commanded state", "board", subject)
		}
		return c.fallback(subject)
	}
	return on, err
}
