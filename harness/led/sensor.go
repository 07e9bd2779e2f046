// Package led watches a unit's status LED through a digital input (a
// photodiode or the LED's own drive line on a GPIO, or a Numato board's
// GPIO input) and reports it as steady on, steady off, or blinking with its
// measured frequency.
//
// Two sources: a periph gpio.PinIn with edge detection (NewEdge; edges are
// timestamped as they arrive), or any Reader polled on the injected clock
// (NewPolled; a Numato board's "gpio read N"). A level must hold for a whole
// Window to count as steady; four level changes inside a Window whose full
// periods agree (within 1.5x) make a blink, its frequency measured over
// whole periods. So Window must cover at least one and a half blink periods
// (default 2 s: blinks of 0.75 Hz and faster), and a polled source must
// sample well inside a half period (default poll 20 ms: blinks up to about
// 10 Hz with a few percent error). Both are real time: scale them with the
// rig's timescale when the blink is scaled too. WaitEdge answers sooner
// than WaitFor(Blinking) when only "the LED started changing" matters.
//
// State changes go on the timeline (source LED).
package led

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/camrig/camrig/harness/clock"
	"github.com/camrig/camrig/harness/timeline"
)

// Defaults for Options.
const (
	DefaultWindow = 2 * time.Second
	DefaultPoll   = 20 * time.Millisecond
)

// Reader is a digital input that can be read on demand (true = high).
// numato.GPIO implements it.
type Reader interface {
	Read(ctx context.Context) (bool, error)
	String() string
}

// Options configure a Sensor.
type Options struct {
	// Name labels the sensor in errors and on the timeline (default: the
	// source's own name).
	Name     string
	Clock    clock.Clock
	Timeline *timeline.Timeline
	Log      *slog.Logger
	// ActiveLow: the LED is lit when the input is low.
	ActiveLow bool
	// Window and Poll: see the package comment.
	Window time.Duration
	Poll   time.Duration
}

func (o *Options) defaults(source string) {
	if o.Name == "" {
		o.Name = source
	}
	o.Clock = clock.OrReal(o.Clock)
	if o.Log == nil {
		o.Log = slog.Default()
	}
	if o.Window <= 0 {
		o.Window = DefaultWindow
	}
	if o.Poll <= 0 {
		o.Poll = DefaultPoll
	}
}

// failLimit is how many reads in a row may fail before WaitFor gives up on
// the sensor instead of waiting for its deadline.
const failLimit = 3

// Sensor reports an LED's state. Its methods are safe for concurrent use.
type Sensor struct {
	opts Options

	mu      sync.Mutex
	cls     classifier
	changed chan struct{} // closed and replaced on every state change
	edged   chan struct{} // closed and replaced on every level change
	fails   int
	lastErr error

	stop    chan struct{}
	done    chan struct{}
	closeFn func() error
	once    sync.Once
}

func newSensor(opts Options) *Sensor {
	return &Sensor{
		opts:    opts,
		cls:     classifier{window: opts.Window, state: State{Kind: Unknown}},
		changed: make(chan struct{}),
		edged:   make(chan struct{}),
		stop:    make(chan struct{}),
		done:    make(chan struct{}),
	}
}

func (s *Sensor) String() string { return s.opts.Name }

// State returns the current state.
func (s *Sensor) State() State {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.cls.state
}

// observe feeds one level (already corrected for ActiveLow) and publishes a
// change.
func (s *Sensor) observe(at time.Time, lit bool) {
	s.mu.Lock()
	s.fails, s.lastErr = 0, nil
	before := s.cls.lastEdge
	s.cls.observe(at, lit)
	var wake chan struct{}
	if s.cls.lastEdge != before {
		wake = s.edged
		s.edged = make(chan struct{})
	}
	s.mu.Unlock()
	if wake != nil {
		close(wake)
		// Every edge is evidence: a report shows the LED lane edge by edge,
		// and a procedure can point at the edge that released a press.
		kind := "edge-off"
		if lit {
			kind = "edge-on"
		}
		s.opts.Timeline.Add(timeline.Event{At: at, Source: timeline.LED, Kind: kind, Detail: s.opts.Name})
	}
	s.evaluate(at)
}

// Edge is one level change of the LED.
type Edge struct {
	At  time.Time
	Lit bool
}

// WaitEdge blocks until the LED changes level at or after after, and
// returns that change. It answers "has the LED started doing something"
// faster than WaitFor(Blinking) can (a blink needs two whole periods to be
// told from a power cycle): a reset procedure releases the button on the
// first change after the press and checks the blink afterwards.
func (s *Sensor) WaitEdge(ctx context.Context, after time.Time) (Edge, error) {
	for {
		s.mu.Lock()
		e := Edge{At: s.cls.lastEdge, Lit: s.cls.level}
		ch := s.edged
		fails, lastErr := s.fails, s.lastErr
		s.mu.Unlock()
		if !e.At.IsZero() && !e.At.Before(after) {
			return e, nil
		}
		if fails >= failLimit {
			return e, fmt.Errorf("led %s: waiting for a change: the sensor failed %d reads in a row: %w", s.opts.Name, fails, lastErr)
		}
		select {
		case <-ch:
		case <-ctx.Done():
			return e, fmt.Errorf("led %s: waiting for a change after %s: %w", s.opts.Name, after.Format("15:04:05.000"), context.Cause(ctx))
		case <-s.done:
			return e, fmt.Errorf("led %s: waiting for a change: %w", s.opts.Name, ErrClosed)
		}
	}
}

// evaluate re-decides the state at now.
func (s *Sensor) evaluate(now time.Time) {
	s.mu.Lock()
	st, changed := s.cls.classify(now)
	var wake chan struct{}
	if changed {
		wake = s.changed
		s.changed = make(chan struct{})
	}
	s.mu.Unlock()
	if !changed {
		return
	}
	close(wake)
	detail := s.opts.Name
	attrs := map[string]string{}
	if st.Kind == Blinking {
		detail = fmt.Sprintf("%s %.2f Hz", s.opts.Name, st.Hz)
		attrs["hz"] = fmt.Sprintf("%.3f", st.Hz)
	}
	s.opts.Timeline.Add(timeline.Event{At: st.Since, Source: timeline.LED, Kind: string(st.Kind), Detail: detail, Attrs: attrs})
	s.opts.Log.Debug("led state", "sensor", s.opts.Name, "state", st.String())
}

// failed records a read error; WaitFor gives up after failLimit in a row.
func (s *Sensor) failed(err error) {
	s.mu.Lock()
	s.fails++
	s.lastErr = err
	first := s.fails == 1
	var wake chan struct{}
	if s.fails == failLimit { // wake WaitFor so it can give up
		wake = s.changed
		s.changed = make(chan struct{})
	}
	s.mu.Unlock()
	if first {
		s.opts.Log.Warn("led: read failed", "sensor", s.opts.Name, "err", err)
	}
	if wake != nil {
		close(wake)
	}
}

// WaitFor blocks until the LED is in state want (returning that state), or
// ctx ends, or the source has failed failLimit reads in a row. Bound ctx
// with clock.WithTimeout: the error then says what was awaited.
func (s *Sensor) WaitFor(ctx context.Context, want Kind) (State, error) {
	for {
		s.mu.Lock()
		st, ch := s.cls.state, s.changed
		fails, lastErr := s.fails, s.lastErr
		s.mu.Unlock()
		if st.Kind == want {
			return st, nil
		}
		if fails >= failLimit {
			return st, fmt.Errorf("led %s: waiting for %s: the sensor failed %d reads in a row: %w", s.opts.Name, want, fails, lastErr)
		}
		select {
		case <-ch:
		case <-ctx.Done():
			return st, fmt.Errorf("led %s: waiting for %s (last state %s): %w", s.opts.Name, want, st, context.Cause(ctx))
		case <-s.done:
			return st, fmt.Errorf("led %s: waiting for %s: %w", s.opts.Name, want, ErrClosed)
		}
	}
}

// ErrClosed is returned by WaitFor on a closed sensor.
var ErrClosed = errors.New("sensor closed")

// Close stops the sensor and closes its source if it owns one.
func (s *Sensor) Close() error {
	var err error
	s.once.Do(func() {
		close(s.stop)
		<-s.done
		if s.closeFn != nil {
			err = s.closeFn()
		}
	})
	return err
}

// NewPolled watches r, reading it every opts.Poll on opts.Clock. If r has a
// Close method, the sensor's Close calls it.
func NewPolled(r Reader, opts Options) *Sensor {
	opts.defaults(r.String())
	s := newSensor(opts)
	if c, ok := r.(interface{ Close() error }); ok {
		s.closeFn = c.Close
	}
	go s.poll(r)
	return s
}

func (s *Sensor) poll(r Reader) {
	defer close(s.done)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go func() {
		select {
		case <-s.stop:
			cancel()
		case <-ctx.Done():
		}
	}()
	clk := s.opts.Clock
	for {
		high, err := r.Read(ctx)
		now := clk.Now()
		switch {
		case ctx.Err() != nil:
			return
		case err != nil:
			s.failed(err)
			s.evaluate(now)
		default:
			s.observe(now, high != s.opts.ActiveLow)
		}
		if clock.Wait(ctx, clk, s.opts.Poll) != nil {
			return
		}
	}
}

// Until returns a condition for press.PressUntil: met when the LED is in
// state want ("hold until the LED starts flashing").
func (s *Sensor) Until(want Kind) func(ctx context.Context) error {
	return func(ctx context.Context) error {
		_, err := s.WaitFor(ctx, want)
		return err
	}
}
