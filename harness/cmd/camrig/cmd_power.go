package main

import (
	"context"
	"fmt"
	"io"

	"github.com/camrig/camrig/harness/power"
	"github.com/camrig/camrig/harness/rig"
)

func init() {
	register(command{name: "power", summary: "switch a unit's power: on, off, cycle, status", run: runPower})
}

const powerAbout = `Switches or reads the power line of one unit through its rig binding.
The unit is leased for the command and only its power line is opened; the
power stays as the command left it (on after "on" and "cycle"). cycle keeps the power off for --off, by
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
	// Every action leaves the power as it set or found it: the safe state
	// Close would restore is off, which would undo "on" and "cycle", and a
	// binding whose safe state is on would undo "off".
	u, code := f.openUnit(ctx, r, name, rig.Only(rig.PartPower))
	if code != exitOK {
		return code
	}
	return f.closeUnit(u, powerAction(ctx, f, u, action, off, stdout))
}

func powerAction(ctx context.Context, f *flags, u *rig.Unit, action string, off deviceDuration, stdout io.Writer) int {
	name, sw := u.Name, u.Power
	switch action {
	case "on", "off":
		if err := sw.Set(ctx, action == "on"); err != nil {
			return f.failure(fmt.Errorf("unit %s: power %s: %w", name, action, err))
		}
	case "cycle":
		d := u.Profile.Boot.OffTime
		if off.set {
			d = off.d
		}
		if d <= 0 {
			return f.failure(fmt.Errorf("unit %s: profile %s has no boot.off_time; give --off", name, u.Profile.Model))
		}
		if err := power.Cycle(ctx, sw, u.Scale.Of(d), u.Clock, u.Timeline); err != nil {
			return f.failure(fmt.Errorf("unit %s: %w", name, err))
		}
		fmt.Fprintf(stdout, "%s: power cycled, off for %s\n", name, realTime(d, u.Scale))
	}
	// Read the line back from the board, so what is printed is what the
	// board says, not what was asked.
	on, err := sw.Get(ctx)
	if err != nil {
		return f.failure(fmt.Errorf("unit %s: reading power state: %w", name, err))
	}
	fmt.Fprintf(stdout, "%s: power %s (%s)\n", name, power.State(on), sw)
	return exitOK
}
