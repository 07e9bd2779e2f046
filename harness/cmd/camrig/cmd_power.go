package main

import (
	"context"
	"errors"
	"fmt"
	"io"

	"github.com/camrig/camrig/harness/clock"
	"github.com/camrig/camrig/harness/power"
	"github.com/camrig/camrig/harness/rig"
	"github.com/camrig/camrig/harness/timeline"
)

func init() {
	register(command{name: "power", summary: "switch a unit's power: on, off, cycle, status", run: runPower})
}

const powerAbout = `Switches or reads the power line of one unit through its rig binding.
The unit is leased for the command; its power stays as the command left
it (on after "on" and "cycle"). cycle keeps the power off for --off, by
default the profile's boot.off_time.`

func runPower(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	f := newFlags("power on|off|cycle|status --rig R --unit U [--off D]", powerAbout, stderr).withRig().withUnit()
	var off deviceDuration
	f.durationVar(&off, "off", "how long cycle keeps the power off (default: the profile's boot.off_time)")
	pos, code, ok := f.parse(args)
	if !ok {
		return code
	}
	if len(pos) != 1 {
		return f.usageErr("want exactly one action (on, off, cycle or status), got %d words", len(pos))
	}
	action := pos[0]
	switch action {
	case "on", "off", "cycle", "status":
	default:
		return f.usageErr("unknown action %q: want on, off, cycle or status", action)
	}
	if off.set && action != "cycle" {
		return f.usageErr("--off only applies to cycle")
	}
	r, name, code := f.rigAndUnit()
	if code != exitOK {
		return code
	}
	cfg, _ := r.Unit(name)
	if cfg.Power == nil {
		return f.needUnitField(r, name, "power")
	}
	line, code := f.openPowerLine(ctx, r, name)
	if code != exitOK {
		return code
	}
	return line.close(f, line.run(ctx, f, action, off, stdout))
}

// powerLine is a leased unit's power switch alone. The power commands need
// nothing else of the unit, and must not restore the safe state on exit as
// rig.Unit.Close does: `power on` means the unit stays on. The lease still
// keeps every other run off the unit while the command works.
type powerLine struct {
	unit  string
	r     *rig.Rig
	sw    power.Switch
	lease *rig.Lease
	clk   clock.Clock
}

func (f *flags) openPowerLine(ctx context.Context, r *rig.Rig, name string) (*powerLine, int) {
	lease, err := r.Lease(name)
	if err != nil {
		return nil, f.failure(err)
	}
	cfg, _ := r.Unit(name)
	clk := r.Clock
	if clk == nil {
		clk = clock.Real{}
	}
	sw, err := power.Open(ctx, *cfg.Power, power.Deps{Clock: clk, Log: f.logger().With("unit", name)})
	if err != nil {
		code := f.failure(fmt.Errorf("unit %s power: %w", name, err))
		if rerr := lease.Release(); rerr != nil {
			fmt.Fprintf(f.stderr, "camrig %s: releasing unit %s: %v\n", f.Name(), name, rerr)
		}
		return nil, code
	}
	return &powerLine{unit: name, r: r, sw: sw, lease: lease, clk: clk}, exitOK
}

func (l *powerLine) run(ctx context.Context, f *flags, action string, off deviceDuration, stdout io.Writer) int {
	switch action {
	case "on", "off":
		want := action == "on"
		if err := l.sw.Set(ctx, want); err != nil {
			return f.failure(fmt.Errorf("unit %s: power %s: %w", l.unit, action, err))
		}
		return l.status(ctx, f, stdout)
	case "cycle":
		d := l.r.Profile(l.unit).Boot.OffTime
		if off.set {
			d = off.d
		}
		if d <= 0 {
			return f.failure(fmt.Errorf("unit %s: profile %s has no boot.off_time; give --off", l.unit, l.r.Profile(l.unit).Model))
		}
		if err := power.Cycle(ctx, l.sw, l.r.Timescale.Of(d), l.clk, timeline.New(l.unit)); err != nil {
			return f.failure(fmt.Errorf("unit %s: %w", l.unit, err))
		}
		fmt.Fprintf(stdout, "%s: power cycled, off for %s\n", l.unit, realTime(d, l.r.Timescale))
		return l.status(ctx, f, stdout)
	}
	return l.status(ctx, f, stdout)
}

// status reads the line back from the board, so what is printed is what
// the board says, not what was asked.
func (l *powerLine) status(ctx context.Context, f *flags, stdout io.Writer) int {
	on, err := l.sw.Get(ctx)
	if err != nil {
		return f.failure(fmt.Errorf("unit %s: reading power state: %w", l.unit, err))
	}
	fmt.Fprintf(stdout, "%s: power %s (%s)\n", l.unit, power.State(on), l.sw)
	return exitOK
}

func (l *powerLine) close(f *flags, code int) int {
	if err := errors.Join(closeLine(l.sw), l.lease.Release()); err != nil {
		fmt.Fprintf(f.stderr, "camrig %s: leaving unit %s: %v\n", f.Name(), l.unit, err)
		if code == exitOK {
			return exitFailed
		}
	}
	return code
}
