package unit

import (
	"fmt"
	"time"

	"github.com/camrig/camrig/rigs/virtual/simclock"
)

// WriteConfig sets one config key as a write that takes dur of device
// time (scaled by the timescale). A power cut (or restart) before it ends
// returns ErrInterrupted, loses the value and leaves the store marked, so
// the next boot prints the profile's recovery markers.
func (u *Unit) WriteConfig(key, value string, dur time.Duration) error {
	return u.UpdateConfig(func(m map[string]string) { m[key] = value }, dur)
}

// UpdateConfig applies fn to the config as one write taking dur of device
// time (see WriteConfig). Writes are serialised.
func (u *Unit) UpdateConfig(fn func(map[string]string), dur time.Duration) error {
	u.writeMu.Lock()
	defer u.writeMu.Unlock()
	u.mu.Lock()
	if !u.powered || u.ctx == nil {
		u.mu.Unlock()
		return fmt.Errorf("unit %s: config write: %w", u.name, ErrNoPower)
	}
	ctx, gen := u.ctx, u.gen
	u.mu.Unlock()

	if err := u.store.Begin(); err != nil {
		return fmt.Errorf("unit %s: config write: %w", u.name, err)
	}
	if err := simclock.Sleep(ctx, u.clk, u.Scale(dur)); err != nil {
		return fmt.Errorf("unit %s: %w", u.name, ErrInterrupted)
	}
	// Under the unit lock, so a power cut is either before the commit (the
	// write is lost) or after it (the write is kept), never in between.
	u.mu.Lock()
	defer u.mu.Unlock()
	if u.gen != gen {
		return fmt.Errorf("unit %s: %w", u.name, ErrInterrupted)
	}
	if err := u.store.Update(fn); err != nil {
		return fmt.Errorf("unit %s: config write: %w", u.name, err)
	}
	return nil
}
