package virtual

import (
	"time"

	"log/slog"

	"github.com/camrig/camrig/rigs/virtual/simclock"
	"github.com/camrig/camrig/rigs/virtual/unit"
)

// Option changes how Start builds the rig.
type Option func(*options)

type options struct {
	log       *slog.Logger
	stateDir  string
	timescale float64
	clock     simclock.Clock
	unitHooks []func(*unit.Unit) error
	attach    []func(*Rig) error
	uartTap   func(unit string, p []byte, at time.Time)
}

func collect(opts []Option) options {
	var o options
	for _, opt := range opts {
		opt(&o)
	}
	return o
}

// WithUARTTap calls fn after each chunk a unit's UART put on its pty, with
// the time it was written: benchmarks use it to time "the last byte of a
// marker" at the device. fn must be quick and must not keep p.
func WithUARTTap(fn func(unit string, p []byte, at time.Time)) Option {
	return func(o *options) { o.uartTap = fn }
}

// WithLogger sends the simulator's logs to l (default: discarded).
func WithLogger(l *slog.Logger) Option { return func(o *options) { o.log = l } }

// WithStateDir overrides state_dir (and $CAMRIG_STATE_DIR).
func WithStateDir(dir string) Option { return func(o *options) { o.stateDir = dir } }

// WithTimescale overrides the rig file's timescale.
func WithTimescale(ts float64) Option { return func(o *options) { o.timescale = ts } }

// WithClock gives every unit this clock (default: the wall clock).
func WithClock(c simclock.Clock) Option { return func(o *options) { o.clock = c } }

// WithUnitHook calls fn for every unit after it is built and before any
// relay board answers or any unit powers up: the place to add bootloader
// commands, services (an ISAPI server) and a firmware check. An error
// aborts Start.
func WithUnitHook(fn func(*unit.Unit) error) Option {
	return func(o *options) { o.unitHooks = append(o.unitHooks, fn) }
}

// WithAttach calls fn once the rig is running, before Run describes it:
// the place to start simulators that span units (the NVR) and to register
// their devices (AddDevice) and shutdown (AddCloser). An error aborts
// Start.
func WithAttach(fn func(*Rig) error) Option {
	return func(o *options) { o.attach = append(o.attach, fn) }
}
