package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/camrig/camrig/harness/clock"
	"github.com/camrig/camrig/harness/power"
	"github.com/camrig/camrig/harness/press"
	"github.com/camrig/camrig/harness/rig"
	"github.com/camrig/camrig/harness/safety"
	"github.com/camrig/camrig/harness/timeline"
)

func init() {
	register(command{name: "press", summary: "press a unit's reset button for a timed hold", run: runPress})
}

const pressAbout = `Presses the unit's reset button with its solenoid for --hold (device time,
as in the vendor's procedure: on a rig with timescale 0.01, 5s is a 50 ms
press), then prints the requested hold and the hold measured from the
board's own acknowledgements. Holds above the press binding's max_hold are
refused before anything is energised. The solenoid is released whatever
ends the command (the hold, Ctrl-C, an error); the unit's power is left as
it is.`

func runPress(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	f := newFlags("press --rig R --unit U --hold D", pressAbout, stderr).withRig().withUnit()
	var hold deviceDuration
	f.durationVar(&hold, "hold", "how long to hold the button")
	pos, code, ok := f.parse(args)
	if !ok {
		return code
	}
	if len(pos) > 0 {
		return f.usageErr("unexpected arguments %q", pos)
	}
	if !hold.set {
		return f.usageErr("--hold is required (e.g. --hold 5s)")
	}
	r, name, code := f.rigAndUnit()
	if code != exitOK {
		return code
	}
	cfg, _ := r.Unit(name)
	if cfg.Press == nil {
		return f.needUnitField(r, name, "press")
	}
	if hold.d > cfg.Press.MaxHold {
		fmt.Fprintf(stderr, "camrig press: hold %v refused: unit %s allows at most max_hold %v (%s:%d); nothing was energised\n",
			hold.d, name, cfg.Press.MaxHold, r.File, cfg.Line)
		return exitFailed
	}
	sol, code := f.openSolenoid(ctx, r, name)
	if code != exitOK {
		return code
	}
	defer safety.OnPanic()
	rec, err := sol.Press(ctx, r.Timescale.Of(hold.d))
	code = exitOK
	if err != nil {
		code = f.failure(fmt.Errorf("unit %s: %w", name, err))
	} else {
		printPress(stdout, name, rec, hold.d, r.Timescale)
	}
	return sol.close(f, code)
}

func printPress(w io.Writer, unit string, rec press.Record, requested time.Duration, s clock.Scale) {
	fmt.Fprintf(w, "%s: pressed %s\n", unit, rec.Switch)
	fmt.Fprintf(w, "  requested %s\n", realTime(requested, s))
	fmt.Fprintf(w, "  measured  %s; the board acknowledged on in %v, off in %v\n",
		deviceTime(rec.Measured, s), rec.OnLatency.Round(time.Microsecond), rec.OffLatency.Round(time.Microsecond))
	if rec.AutoOff > 0 {
		fmt.Fprintf(w, "  auto-off backstop armed at %v\n", rec.AutoOff)
	}
}

// solenoid is a leased unit's press binding alone: pressing the button
// must not touch the unit's power, which rig.Unit.Close would turn off.
type solenoid struct {
	*press.Solenoid
	unit       string
	sw         power.Switch
	clk        clock.Clock
	lease      *rig.Lease
	unregister func()
}

// openSolenoid leases the unit and builds its solenoid as rig.Open does:
// max_hold scaled like the holds it bounds, and the line registered with
// the safety registry (released on a panic) for as long as it is open.
func (f *flags) openSolenoid(ctx context.Context, r *rig.Rig, name string) (*solenoid, int) {
	lease, err := r.Lease(name)
	if err != nil {
		return nil, f.failure(err)
	}
	cfg, _ := r.Unit(name)
	clk := r.Clock
	if clk == nil {
		clk = clock.Real{}
	}
	log := f.logger().With("unit", name)
	fail := func(err error, closers ...func() error) (*solenoid, int) {
		code := f.failure(fmt.Errorf("unit %s press: %w", name, err))
		for _, c := range closers {
			if cerr := c(); cerr != nil {
				fmt.Fprintf(f.stderr, "camrig %s: %v\n", f.Name(), cerr)
			}
		}
		return nil, code
	}
	sw, err := power.Open(ctx, *cfg.Press, power.Deps{Clock: clk, Log: log})
	if err != nil {
		return fail(err, lease.Release)
	}
	sol, err := press.New(sw, press.Options{MaxHold: r.Timescale.Of(cfg.Press.MaxHold), Clock: clk, Timeline: timeline.New(name), Log: log})
	if err != nil {
		return fail(err, func() error { return closeLine(sw) }, lease.Release)
	}
	return &solenoid{Solenoid: sol, unit: name, sw: sw, clk: clk, lease: lease, unregister: safety.RegisterSwitch(sw, false)}, exitOK
}

// releaseTimeout bounds the final release, as rig.Unit.Close bounds its
// restore: long enough for a slow network plug, short enough that a dead
// board does not hang the command.
const releaseTimeout = 5 * time.Second

// close releases the solenoid once more (its only safe state), closes the
// line and gives the lease back.
func (s *solenoid) close(f *flags, code int) int {
	ctx, cancel := clock.WithTimeout(context.Background(), s.clk, releaseTimeout, s.unit+" solenoid release")
	defer cancel()
	err := s.sw.Set(ctx, false)
	s.unregister()
	if err = errors.Join(err, closeLine(s.sw), s.lease.Release()); err != nil {
		fmt.Fprintf(f.stderr, "camrig %s: leaving unit %s: %v\n", f.Name(), s.unit, err)
		if code == exitOK {
			return exitFailed
		}
	}
	return code
}

// closeLine closes a switch that holds a port or connection.
func closeLine(sw power.Switch) error {
	if c, ok := sw.(power.Closer); ok {
		return c.Close()
	}
	return nil
}
