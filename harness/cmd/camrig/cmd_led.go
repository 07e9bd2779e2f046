package main

import (
	"context"
	"fmt"
	"io"
	"time"

	"github.com/camrig/camrig/harness/clock"
	"github.com/camrig/camrig/harness/led"
	"github.com/camrig/camrig/harness/rig"
)

func init() {
	register(command{name: "led", summary: "read a unit's status LED: on, off or blinking (Hz)", run: runLED})
}

const ledAbout = `Watches the unit's status LED through its led binding and prints what it
does: steady on, steady off, or blinking with the measured frequency.

--watch is the observation window, in real time (an LED blinks at its
physical rate whatever the rig's timescale): a level must hold for a whole
window to count as steady, and a blink needs a full period inside it. The
command prints the first decided state, within two windows. The unit's
power is left as it is.`

func runLED(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	f := newFlags("led --rig R --unit U [--watch D]", ledAbout, stderr).withRig().withUnit()
	watch := f.Duration("watch", led.DefaultWindow, "observation window (real time)")
	pos, code, ok := f.parse(args)
	if !ok {
		return code
	}
	if len(pos) > 0 {
		return f.usageErr("unexpected arguments %q", pos)
	}
	if *watch <= 0 {
		return f.usageErr("--watch %v is not positive", *watch)
	}
	r, name, code := f.rigAndUnit()
	if code != exitOK {
		return code
	}
	cfg, _ := r.Unit(name)
	if cfg.LED == nil {
		return f.needUnitField(r, name, "led")
	}
	// The sensor alone: reading the LED leaves the unit's power as it is.
	u, code := f.openUnit(ctx, r, name, rig.Only(rig.PartLED), rig.WithLEDWindow(*watch))
	if code != exitOK {
		return code
	}
	return f.closeUnit(u, watchLED(ctx, f, u, *watch, stdout))
}

func watchLED(ctx context.Context, f *flags, u *rig.Unit, watch time.Duration, stdout io.Writer) int {
	wctx, cancel := clock.WithTimeout(ctx, u.Clock, 2*watch, fmt.Sprintf("%s to show a steady level or a blink", u.LED))
	defer cancel()
	st, err := waitDecided(wctx, u.LED)
	if err != nil {
		return f.failure(err)
	}
	fmt.Fprintf(stdout, "%s: led %s\n", u.Name, st)
	return exitOK
}

// decided are the states a sensor reports once it has seen enough.
var decided = []led.Kind{led.On, led.Off, led.Blinking}

// waitDecided waits for the sensor's first decided state: one WaitFor per
// kind, the first to return wins.
func waitDecided(ctx context.Context, s *led.Sensor) (led.State, error) {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	type result struct {
		st  led.State
		err error
	}
	results := make(chan result, len(decided))
	for _, k := range decided {
		go func() {
			st, err := s.WaitFor(ctx, k)
			results <- result{st, err}
		}()
	}
	var errs []error
	for range decided {
		r := <-results
		if r.err == nil {
			return r.st, nil
		}
		errs = append(errs, r.err)
		cancel() // one failed: the others would only fail the same way
	}
	// Every waiter names the last state; the first error says why.
	return led.State{Kind: led.Unknown}, errs[0]
}
