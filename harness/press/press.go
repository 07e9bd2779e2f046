// Package press drives the solenoid that presses a unit's reset button.
//
// A solenoid stuck down factory-resets a unit, so a Solenoid is fail safe:
// holds longer than the rig's max_hold are refused before anything is
// energised; the release runs whatever ended the hold (its end, ctx
// cancelled, a panic in a condition, a SIGINT/SIGTERM through
// harness/safety); and where the hardware has its own auto-off timer
// (AutoOff) the press arms it, so even a killed process releases.
//
// A hold is timed between the two commands' wire edges where the board
// reports them (power.EdgeTiming: the serial relay boards), else between the
// two requests: the "off" command goes on the wire the requested hold after
// the "on" command did, so a shared board that is slow to answer (another
// unit's transaction ahead in the queue) lengthens neither edge's delay
// alone, and the button sees the hold asked for. Record keeps the request,
// the hold the unit saw (Seen, between the wire edges) and the hold between
// the board's acknowledgements (Measured).
package press

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/camrig/camrig/harness/clock"
	"github.com/camrig/camrig/harness/power"
	"github.com/camrig/camrig/harness/safety"
	"github.com/camrig/camrig/harness/timeline"
)

// AutoOff is implemented by switches whose hardware can turn the line back
// by itself (Tasmota PulseTime, Shelly timer / toggle_after): it is
// power.Pulser, under the name this package's documentation uses.
//
// Pulse(ctx, on, after) sets the line to on and arms the device's own timer
// to return it to !on after `after`. For a press it is a backstop for a
// process that dies mid-hold: `after` is a lower bound (implementations
// round up to their granularity, never down), it must apply to this
// switching only (a device setting that persists must not shorten later
// presses), and a following Set(ctx, !on) must still switch at once. Pulse
// returns when the device acknowledged the switching, like Set.
type AutoOff = power.Pulser

// Presser is what procedures need of a solenoid; presstest.Fake implements
// it for their unit tests.
type Presser interface {
	Press(ctx context.Context, hold time.Duration) (Record, error)
	PressUntil(ctx context.Context, max time.Duration, until Until) (Record, error)
	String() string
}

// Record is one press.
type Record struct {
	// Switch names the solenoid's line ("numato:/dev/ttyACM0#1").
	Switch string
	// Requested is the hold asked for (PressUntil: the maximum).
	Requested time.Duration
	// Seen is the hold the unit saw: from the "on" command going on the
	// wire to the "off" command going on the wire (the board acts on each
	// command the same time after it is sent). A board that does not
	// report its wire edges gives Measured instead.
	Seen time.Duration
	// Measured is End - Start: acknowledged on to acknowledged off.
	Measured time.Duration
	// Start is when the board acknowledged "on"; End when it acknowledged
	// "off" (zero if the release failed).
	Start, End time.Time
	// OnLatency and OffLatency are the round trips of the two commands.
	OnLatency, OffLatency time.Duration
	// AutoOff is the hardware backstop armed with the press (0: none).
	AutoOff time.Duration
	// Met reports, for PressUntil, whether the condition ended the hold.
	Met bool
	// WakeLatency says whether the host's CPUs were kept quick to wake
	// through the press (Options.WakeLatency), and if not, why.
	WakeLatency WakeLatencyHeld
}

// WakeLatencyHeld is the outcome of a press's wake-up latency request.
type WakeLatencyHeld struct {
	// Held: the request was in force from before "on" to after the
	// release.
	Held bool
	// NotHeldBecause is why not (empty when Held).
	NotHeldBecause string
}

func (w WakeLatencyHeld) String() string {
	if w.Held {
		return "held"
	}
	return "not held: " + w.NotHeldBecause
}

// holdWakeLatency makes the press's wake-up latency request. A host that
// refuses it costs precision, not the press: the first refusal is logged.
func (s *Solenoid) holdWakeLatency() (WakeLatencyHeld, func()) {
	release, err := s.opts.WakeLatency.Hold()
	if err == nil {
		return WakeLatencyHeld{Held: true}, release
	}
	if !errors.Is(err, clock.ErrWakeLatencyOff) {
		s.wakeWarned.Do(func() {
			s.opts.Log.Warn("press: cannot keep the CPUs quick to wake through holds; an edge may be late by a CPU's wake-up (milliseconds on a virtual machine)",
				"switch", s.String(), "err", err)
		})
	}
	return WakeLatencyHeld{NotHeldBecause: err.Error()}, release
}

// Errors callers may test for with errors.Is.
var (
	// ErrHoldTooLong: the hold exceeds max_hold; nothing was energised.
	ErrHoldTooLong = errors.New("hold exceeds max_hold")
	// ErrNotMet: PressUntil reached its maximum without the condition.
	ErrNotMet = errors.New("condition not met before the maximum hold")
	// ErrBusy: the solenoid is already pressing.
	ErrBusy = errors.New("solenoid already pressing")
)

// Options configure a Solenoid.
type Options struct {
	// MaxHold is the longest hold allowed (the rig's max_hold, scaled like
	// the holds it bounds). Required.
	MaxHold time.Duration
	Clock   clock.Clock
	// Timeline receives the press spans (nil: none).
	Timeline *timeline.Timeline
	Log      *slog.Logger
	// ReleaseTimeout bounds the release, which runs on its own context so
	// that a cancelled ctx cannot prevent it. Default 2s.
	ReleaseTimeout time.Duration
	// AutoOffGrace is added to the hold for a hardware auto-off backstop,
	// so the device's timer never cuts a press short. Default 1s.
	AutoOffGrace time.Duration
	// ReleaseLead is how long before the release is due the solenoid asks
	// a board that times its edges (power.EdgeTiming) for it: the board is
	// taken then, and the "off" command waits there for its moment, so a
	// busy board's queue cannot make it late. Default 10ms.
	ReleaseLead time.Duration
	// WakeLatency is held through each press, so neither edge waits on a
	// CPU waking up (clock.WakeLatency). Default: the host's
	// (clock.HostWakeLatency) with the real clock, none with any other;
	// clock.NoWakeLatency turns it off.
	WakeLatency *clock.WakeLatency
}

// Solenoid presses through a power.Switch (a relay channel, a GPIO via the
// gpio backend, a smart plug).
type Solenoid struct {
	sw   power.Switch
	opts Options

	busy sync.Mutex
	// wakeWarned: a host that refuses the wake-up latency request is said
	// so once, not at every press.
	wakeWarned sync.Once
}

var _ Presser = (*Solenoid)(nil)

// New returns a Solenoid on sw.
func New(sw power.Switch, opts Options) (*Solenoid, error) {
	if sw == nil {
		return nil, errors.New("press: no switch")
	}
	if opts.MaxHold <= 0 {
		return nil, fmt.Errorf("press %s: max_hold must be set and positive (got %v)", sw, opts.MaxHold)
	}
	opts.Clock = clock.OrReal(opts.Clock)
	if opts.Log == nil {
		opts.Log = slog.Default()
	}
	if opts.ReleaseTimeout <= 0 {
		opts.ReleaseTimeout = 2 * time.Second
	}
	if opts.AutoOffGrace <= 0 {
		opts.AutoOffGrace = time.Second
	}
	if opts.ReleaseLead <= 0 {
		opts.ReleaseLead = 10 * time.Millisecond
	}
	if opts.WakeLatency == nil {
		opts.WakeLatency = clock.NoWakeLatency
		if _, real := opts.Clock.(clock.Real); real {
			opts.WakeLatency = clock.HostWakeLatency
		}
	}
	return &Solenoid{sw: sw, opts: opts}, nil
}

func (s *Solenoid) String() string { return s.sw.String() }

// MaxHold returns the longest hold the solenoid accepts.
func (s *Solenoid) MaxHold() time.Duration { return s.opts.MaxHold }

// Press holds the button for hold and releases it: the "off" command goes
// on the wire hold after the "on" command did (see the package comment).
//
// If ctx ends during the hold the button is released at once and the error
// says how long it was held. A failed release is reported as such and the
// line stays registered with harness/safety, which retries at exit.
func (s *Solenoid) Press(ctx context.Context, hold time.Duration) (Record, error) {
	return s.press(ctx, hold, nil)
}

// Until blocks until a condition holds (returning nil) or ctx ends
// (returning ctx's cause). PressUntil cancels ctx when it stops waiting.
type Until func(ctx context.Context) error

// UntilClosed is a condition met when ch is closed (or receives).
func UntilClosed(ch <-chan struct{}) Until {
	return func(ctx context.Context) error {
		select {
		case <-ch:
			return nil
		case <-ctx.Done():
			return context.Cause(ctx)
		}
	}
}

// UntilPolled checks cond every interval on clk, for conditions that have
// no event to wait on. An error from cond ends the press with that error.
func UntilPolled(clk clock.Clock, every time.Duration, cond func(ctx context.Context) (bool, error)) Until {
	return func(ctx context.Context) error {
		for {
			ok, err := cond(ctx)
			if err != nil {
				return err
			}
			if ok {
				return nil
			}
			if err := clock.Wait(ctx, clk, every); err != nil {
				return err
			}
		}
	}
}

// PressUntil holds the button until until is met or max has passed, then
// releases. Reaching max returns the record and an error wrapping ErrNotMet;
// an error from until releases and returns it.
func (s *Solenoid) PressUntil(ctx context.Context, max time.Duration, until Until) (Record, error) {
	if until == nil {
		return Record{Switch: s.String(), Requested: max}, fmt.Errorf("press %s: no condition given", s)
	}
	return s.press(ctx, max, until)
}

func (s *Solenoid) press(ctx context.Context, hold time.Duration, until Until) (rec Record, err error) {
	rec = Record{Switch: s.String(), Requested: hold}
	if hold <= 0 {
		return rec, fmt.Errorf("press %s: hold %v is not positive", s, hold)
	}
	if hold > s.opts.MaxHold {
		return rec, fmt.Errorf("press %s: hold %v refused: %w (%v); nothing was energised", s, hold, ErrHoldTooLong, s.opts.MaxHold)
	}
	if !s.busy.TryLock() {
		return rec, fmt.Errorf("press %s: %w", s, ErrBusy)
	}
	defer s.busy.Unlock()
	clk, tl := s.opts.Clock, s.opts.Timeline

	// The CPUs are kept quick to wake from before "on" to after the
	// release (Options.WakeLatency), not only from 10 ms before each edge:
	// in BenchmarkWakeLatencyPty the two did as well on a quiet host (1 pty
	// write of 1,000 read over 500 µs late either way, 11 with no
	// request), but with the host busy (make bench, 2026-12-03 16:40 UTC)
	// asking before each edge gave a p99 of 6.3-7.6 ms, no request 4.2-4.8
	// ms, held throughout 0.47-0.56 ms.
	var dropWakeLatency func()
	rec.WakeLatency, dropWakeLatency = s.holdWakeLatency()
	defer dropWakeLatency()

	// Everything from here on ends in a release, also a panic (in a
	// condition, say) and a SIGINT (through the safety registry, which
	// also cuts the hold short).
	holdCtx, abort := context.WithCancelCause(ctx)
	defer abort(nil)
	released := false
	var offEdge time.Time
	// release switches off, not on the wire before notBefore (zero: at
	// once).
	release := func(notBefore time.Time) error {
		rctx, cancel := clock.WithTimeout(context.WithoutCancel(ctx), clk, s.opts.ReleaseTimeout, "solenoid release")
		defer cancel()
		et := &power.EdgeTiming{NotBefore: notBefore}
		offAt := clk.Now()
		if err := s.sw.Set(power.WithEdgeTiming(rctx, et), false); err != nil {
			return err
		}
		rec.End = clk.Now()
		rec.OffLatency = rec.End.Sub(offAt)
		offEdge = et.Sent
		released = true
		return nil
	}
	unregister := safety.RegisterSwitchAction(s.sw, "solenoid release", func(rctx context.Context) error {
		abort(errors.New("released by the safety registry"))
		return s.sw.Set(rctx, false)
	})
	defer func() {
		if !released {
			if rerr := release(time.Time{}); rerr != nil {
				s.opts.Log.Error("press: RELEASE FAILED; left registered for the safety registry", "switch", s.String(), "err", rerr)
				tl.Mark(clk.Now(), timeline.Press, "release-failed", rerr.Error())
				err = errors.Join(err, fmt.Errorf("press: RELEASE FAILED: %w", rerr))
				return
			}
		}
		unregister()
	}()

	onAt := clk.Now()
	onTiming := &power.EdgeTiming{}
	onCtx := power.WithEdgeTiming(holdCtx, onTiming)
	if ao, ok := s.sw.(AutoOff); ok {
		rec.AutoOff = hold + s.opts.AutoOffGrace
		err = ao.Pulse(onCtx, true, rec.AutoOff)
	} else {
		err = s.sw.Set(onCtx, true)
	}
	if err != nil {
		// The board may have switched and lost the acknowledgement: the
		// deferred release runs regardless.
		tl.Mark(onAt, timeline.Press, "error", fmt.Sprintf("on: %v", err))
		return rec, fmt.Errorf("press: on: %w", err)
	}
	rec.Start = clk.Now()
	rec.OnLatency = rec.Start.Sub(onAt)

	// The release is due hold after the "on" edge: its wire edge where the
	// board reports it (the "off" command then waits on the board for its
	// moment, asked for ReleaseLead early), else its request.
	onEdge, timed := onTiming.Sent, !onTiming.Sent.IsZero()
	if !timed {
		onEdge = onAt
	}
	due := onEdge.Add(hold)
	ask := due
	if timed {
		ask = due.Add(-s.opts.ReleaseLead)
	}
	var waitErr error
	switch {
	case until == nil && timed:
		// Only to be on the board early: the board's own wait until due
		// is the precise one.
		waitErr = clock.Wait(holdCtx, clk, ask.Sub(clk.Now()))
	case until == nil:
		waitErr = clock.WaitUntilPrecise(holdCtx, clk, ask)
	default:
		rec.Met, waitErr = s.waitUntil(holdCtx, ask.Sub(clk.Now()), until)
	}
	notBefore := due
	if waitErr != nil || rec.Met {
		notBefore = time.Time{} // interrupted, or the condition came: at once
	}
	if rerr := release(notBefore); rerr != nil {
		// The deferred release tries once more and reports if that fails
		// too.
		return rec, fmt.Errorf("press: release: %w", rerr)
	}
	rec.Measured = rec.End.Sub(rec.Start)
	rec.Seen = rec.Measured
	if timed && !offEdge.IsZero() {
		rec.Seen = offEdge.Sub(onEdge)
	}
	s.record(rec, until != nil, waitErr)
	switch {
	case waitErr != nil:
		return rec, fmt.Errorf("press %s: interrupted after %v of %v, released: %w", s, rec.Measured, hold, waitErr)
	case until != nil && !rec.Met:
		return rec, fmt.Errorf("press %s: held %v: %w", s, rec.Measured, ErrNotMet)
	}
	return rec, nil
}

// waitUntil waits for until or for d, whichever first.
func (s *Solenoid) waitUntil(ctx context.Context, d time.Duration, until Until) (bool, error) {
	cctx, cancel := context.WithCancel(ctx)
	defer cancel()
	res := make(chan error, 1)
	go func() {
		defer func() {
			if r := recover(); r != nil {
				res <- fmt.Errorf("condition panicked: %v", r)
			}
		}()
		res <- until(cctx)
	}()
	t := s.opts.Clock.NewTimer(d)
	defer t.Stop()
	select {
	case err := <-res:
		if err != nil {
			if ctx.Err() != nil {
				return false, context.Cause(ctx)
			}
			return false, fmt.Errorf("condition: %w", err)
		}
		return true, nil
	case <-t.C():
		return false, nil
	case <-ctx.Done():
		return false, context.Cause(ctx)
	}
}

func (s *Solenoid) record(rec Record, until bool, interrupted error) {
	kind := "hold"
	if until {
		kind = "hold-until"
	}
	attrs := map[string]string{
		"requested":   rec.Requested.String(),
		"seen":        rec.Seen.String(),
		"measured":    rec.Measured.String(),
		"on_latency":  rec.OnLatency.String(),
		"off_latency": rec.OffLatency.String(),
		"cpu_wake":    rec.WakeLatency.String(),
	}
	if rec.AutoOff > 0 {
		attrs["auto_off"] = rec.AutoOff.String()
	}
	if until {
		attrs["met"] = fmt.Sprint(rec.Met)
	}
	if interrupted != nil {
		kind += "-interrupted"
		attrs["interrupted_by"] = interrupted.Error()
	}
	s.opts.Timeline.Add(timeline.Event{At: rec.Start, Dur: rec.Measured, Source: timeline.Press, Kind: kind,
		Detail: fmt.Sprintf("%s held %v (requested %v)", s, rec.Seen, rec.Requested), Attrs: attrs})
}
