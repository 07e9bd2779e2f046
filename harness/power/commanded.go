package power

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"sync/atomic"
)

// Some serial boards (LCUS, KMTronic) acknowledge nothing and only some of
// them answer a status query. commanded keeps what the binding last set, and
// whether the board has shown it cannot answer, so Get can fall back to the
// commanded state on such boards instead of failing every time.
type commanded struct {
	mu    sync.Mutex
	known bool
	on    bool

	silent atomic.Bool // the board ignored a status query once
}

func (c *commanded) set(on bool) {
	c.mu.Lock()
	c.known, c.on = true, on
	c.mu.Unlock()
}

func (c *commanded) get() (on, known bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.on, c.known
}

// errSilent is returned by a status exchange that got no byte at all.
var errSilent = errors.New("no answer to the status query")

// fallback is Get's answer once the board proved silent: the commanded
// state, or an error if nothing was commanded yet (a guess would be worse).
func (c *commanded) fallback(subject string) (bool, error) {
	on, known := c.get()
	if !known {
		return false, fmt.Errorf("%s: the board does not answer status queries and nothing was commanded yet: state unknown", subject)
	}
	return on, nil
}

// statusOrFallback runs query unless the board is known silent; a first
// silent query marks it so and falls back.
func (c *commanded) statusOrFallback(ctx context.Context, log *slog.Logger, subject string, query func(ctx context.Context) (bool, error)) (bool, error) {
	if c.silent.Load() {
		return c.fallback(subject)
	}
	on, err := query(ctx)
	if errors.Is(err, errSilent) && ctx.Err() == nil {
		if !c.silent.Swap(true) {
			log.Info("board does not answer status queries; Get reports the last commanded state", "board", subject)
		}
		return c.fallback(subject)
	}
	return on, err
}
