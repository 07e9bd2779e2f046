// Package presstest is an in-memory press.Presser for unit tests of
// procedures: it "holds" on the injected clock and records every press.
package presstest

import (
	"context"
	"fmt"
	"sync"
	"time"

	"github.com/camrig/camrig/harness/clock"
	"github.com/camrig/camrig/harness/press"
)

// Fake is a press.Presser.
type Fake struct {
	Name string
	// Clock paces the holds (nil: real time).
	Clock clock.Clock
	// MaxHold, when set, refuses longer holds as the real Solenoid does.
	MaxHold time.Duration
	// Err, when set, is returned by every press before anything "moves".
	Err error
	// Pressed, when set, is called with true when the button goes down and
	// false when it comes up, letting a test wire the fake to a simulated
	// unit.
	Pressed func(down bool)
	// Extra lengthens every hold, as a slow board's late release does.
	Extra time.Duration

	mu      sync.Mutex
	records []press.Record
}

var _ press.Presser = (*Fake)(nil)

func (f *Fake) String() string {
	if f.Name == "" {
		return "fake-solenoid"
	}
	return f.Name
}

func (f *Fake) clock() clock.Clock { return clock.OrReal(f.Clock) }

// Press holds for hold on the clock.
func (f *Fake) Press(ctx context.Context, hold time.Duration) (press.Record, error) {
	return f.press(ctx, hold, nil)
}

// PressUntil holds until until is met or max passes.
func (f *Fake) PressUntil(ctx context.Context, max time.Duration, until press.Until) (press.Record, error) {
	return f.press(ctx, max, until)
}

func (f *Fake) press(ctx context.Context, hold time.Duration, until press.Until) (press.Record, error) {
	rec := press.Record{Switch: f.String(), Requested: hold}
	if f.Err != nil {
		return rec, f.Err
	}
	if f.MaxHold > 0 && hold > f.MaxHold {
		return rec, fmt.Errorf("press %s: hold %v refused: %w (%v)", f, hold, press.ErrHoldTooLong, f.MaxHold)
	}
	clk := f.clock()
	rec.Start = clk.Now()
	if f.Pressed != nil {
		f.Pressed(true)
	}
	var err error
	if until == nil {
		err = clock.Wait(ctx, clk, hold+f.Extra)
	} else {
		cctx, cancel := clock.WithTimeout(ctx, clk, hold, "presstest max hold")
		uerr := until(cctx)
		rec.Met = uerr == nil
		cancel()
		if !rec.Met && ctx.Err() != nil {
			err = context.Cause(ctx)
		}
	}
	if f.Pressed != nil {
		f.Pressed(false)
	}
	rec.End = clk.Now()
	rec.Measured = rec.End.Sub(rec.Start)
	rec.Seen = rec.Measured
	f.mu.Lock()
	f.records = append(f.records, rec)
	f.mu.Unlock()
	switch {
	case err != nil:
		return rec, fmt.Errorf("press %s: interrupted after %v: %w", f, rec.Measured, err)
	case until != nil && !rec.Met:
		return rec, fmt.Errorf("press %s: %w", f, press.ErrNotMet)
	}
	return rec, nil
}

// Records returns every completed press.
func (f *Fake) Records() []press.Record {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]press.Record(nil), f.records...)
}
