package main

import (
	"context"
	"fmt"
	"io"
	"time"

	"github.com/camrig/camrig/harness/clock"
	"github.com/camrig/camrig/harness/press"
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
	sess, code := f.lease(r, name)
	if code != exitOK {
		return code
	}
	sol, err := openSolenoid(ctx, sess)
	if err != nil {
		return sess.close(f.failure(err))
	}
	defer safety.OnPanic()
	rec, err := sol.Press(ctx, r.Timescale.Of(hold.d))
	if err != nil {
		return sess.close(f.failure(fmt.Errorf("unit %s: %w", name, err)))
	}
	printPress(stdout, name, rec, hold.d, r.Timescale)
	return sess.close(exitOK)
}

// openSolenoid builds the unit's solenoid as rig.Open does: max_hold scaled
// like the holds it bounds, and the line registered with the safety
// registry (released on a panic) while the session is open. Closing the
// session releases it once more: released is a solenoid's only safe state.
func openSolenoid(ctx context.Context, s *session) (*press.Solenoid, error) {
	sw, err := s.openLine(ctx, "press", *s.cfg.Press)
	if err != nil {
		return nil, err
	}
	sol, err := press.New(sw, press.Options{MaxHold: s.r.Timescale.Of(s.cfg.Press.MaxHold), Clock: s.clk,
		Timeline: timeline.New(s.name), Log: s.log})
	if err != nil {
		return nil, fmt.Errorf("unit %s press: %w", s.name, err)
	}
	unregister := safety.RegisterSwitch(sw, false)
	s.onClose(func(ctx context.Context) error {
		defer unregister()
		return sw.Set(ctx, false)
	})
	return sol, nil
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
