// Package powertest is an in-memory power.Switch for unit tests of callers.
package powertest

import (
	"context"
	"fmt"
	"sync"
)

// Fake is a power.Switch that remembers every edge.
type Fake struct {
	Name string
	// Err, when set, is returned by Set and Get.
	Err error

	mu    sync.Mutex
	on    bool
	edges []bool
	// OnSet, when set, is called after every successful Set (under no lock),
	// letting a test wire the switch to a simulated load.
	OnSet func(on bool)
}

// Set records the edge. Its errors name the switch, as power.Switch asks.
func (f *Fake) Set(ctx context.Context, on bool) error {
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("%s: %w", f, err)
	}
	if f.Err != nil {
		return fmt.Errorf("%s: %w", f, f.Err)
	}
	f.mu.Lock()
	f.on = on
	f.edges = append(f.edges, on)
	cb := f.OnSet
	f.mu.Unlock()
	if cb != nil {
		cb(on)
	}
	return nil
}

// Get returns the last state set.
func (f *Fake) Get(ctx context.Context) (bool, error) {
	if f.Err != nil {
		return false, fmt.Errorf("%s: %w", f, f.Err)
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.on, nil
}

// Edges returns every state set, in order.
func (f *Fake) Edges() []bool {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]bool(nil), f.edges...)
}

func (f *Fake) String() string {
	if f.Name == "" {
		return "fake"
	}
	return f.Name
}
