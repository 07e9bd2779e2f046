package main

import (
	"context"
	"fmt"
	"io"
	"time"

	"github.com/camrig/camrig/harness/clock"
	"github.com/camrig/camrig/harness/press"
	"github.com/camrig/camrig/harness/rig"
	"github.com/camrig/camrig/harness/safety"
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
	// Only the solenoid: a reboot hold must not be followed by a power cut
	// when the command ends. Close releases the solenoid whatever happens.
	u, code := f.openUnit(ctx, r, name, rig.Only(rig.PartPress))
	if code != exitOK {
		return code
	}
	defer safety.OnPanic()
	rec, err := u.Press.Press(ctx, u.Scale.Of(hold.d))
	if err != nil {
		return f.closeUnit(u, f.failure(fmt.Errorf("unit %s: %w", name, err)))
	}
	printPress(stdout, name, rec, hold.d, u.Scale)
	return f.closeUnit(u, exitOK)
}

func printPress(w io.Writer, unit string, rec press.Record, requested time.Duration, s clock.Scale) {
	fmt.Fprintf(w, "%s: pressed %s\n", unit, rec.Switch)
	fmt.Fprintf(w, "  requested %s\n", realTime(requested, s))
	fmt.Fprintf(w, "  seen      %s by the unit (from the on command on the wire to the off command)\n", deviceTime(rec.Seen, s))
	fmt.Fprintf(w, "  measured  %s between the acknowledgements; the board acknowledged on in %v, off in %v\n",
		deviceTime(rec.Measured, s), rec.OnLatency.Round(time.Microsecond), rec.OffLatency.Round(time.Microsecond))
	if rec.AutoOff > 0 {
		fmt.Fprintf(w, "  auto-off backstop armed at %v\n", rec.AutoOff)
	}
	fmt.Fprintf(w, "  CPU wake-up latency around the edges: %v\n", rec.WakeLatency)
}
