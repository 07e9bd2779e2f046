// Package ledtest provides LED sources for tests: Signal, a led.Reader whose
// level is a function of the (fake) clock (steady or blinking at a known
// frequency), and, with periph, Wire: a GPIO output wired to a GPIO input,
// as a relay output wired to an LED input on a bench.
package ledtest

import (
	"context"
	"math"
	"sync"
	"time"

	"github.com/camrig/camrig/harness/clock"
)

// Signal is a led.Reader driven by the clock. It starts steady low.
type Signal struct {
	Name string

	mu     sync.Mutex
	clk    clock.Clock
	steady bool
	level  bool
	hz     float64
	duty   float64
	start  time.Time
	err    error
	reads  int
}

// NewSignal returns a steady-low signal on clk.
func NewSignal(clk clock.Clock) *Signal {
	return &Signal{clk: clk, steady: true}
}

// Steady holds the level from now on.
func (s *Signal) Steady(level bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.steady, s.level = true, level
}

// Blink starts blinking now at hz with the given duty cycle (0 < duty < 1;
// 0 means 0.5), starting high.
func (s *Signal) Blink(hz, duty float64) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if duty <= 0 || duty >= 1 {
		duty = 0.5
	}
	s.steady, s.hz, s.duty, s.start = false, hz, duty, s.clk.Now()
}

// Fail makes every Read return err (nil: reads work again).
func (s *Signal) Fail(err error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.err = err
}

// Level is the level at t.
func (s *Signal) Level(t time.Time) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.levelLocked(t)
}

func (s *Signal) levelLocked(t time.Time) bool {
	if s.steady {
		return s.level
	}
	periods := t.Sub(s.start).Seconds() * s.hz
	return periods-math.Floor(periods) < s.duty
}

// Read implements led.Reader.
func (s *Signal) Read(ctx context.Context) (bool, error) {
	if err := ctx.Err(); err != nil {
		return false, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.reads++
	if s.err != nil {
		return false, s.err
	}
	return s.levelLocked(s.clk.Now()), nil
}

// Reads counts Read calls.
func (s *Signal) Reads() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.reads
}

func (s *Signal) String() string {
	if s.Name == "" {
		return "ledtest-signal"
	}
	return s.Name
}
