package rig

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/camrig/camrig/harness/power"
	"github.com/camrig/camrig/harness/timeline"
)

// A unit is only as safe as the last run left it. A run killed mid-press
// (SIGKILL, the host losing power) leaves the solenoid energised: the
// button stays down, and a reset that should have been a 5 s reboot hold
// becomes a 37 s factory reset for whoever presses next. No signal handler
// can prevent that, so the next Open undoes it before doing anything else.

// makeSafe is the first thing Open does with a leased unit: it releases the
// solenoid, always, whatever parts the caller asked for; and when the lease
// was taken over from a holder that died holding it, it also sets the
// unit's power to its safe state and records the take-over on the timeline.
// It opens its own short-lived switches, so a caller that opens neither
// press nor power still gets a unit that is not being pressed.
func (u *Unit) makeSafe(ctx context.Context, lease *Lease, deps power.Deps) error {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), safeTimeout)
	defer cancel()
	prev := lease.pendingTakeOver()
	if u.Config.Press != nil {
		if err := u.setSafe(ctx, *u.Config.Press, false, prev != nil, timeline.Press, deps); err != nil {
			return fmt.Errorf("unit %s: releasing the solenoid before use: %w", u.Name, err)
		}
	}
	if prev == nil {
		return nil
	}
	if u.Config.Power != nil {
		if err := u.setSafe(ctx, *u.Config.Power, u.Config.Power.SafeOn, true, timeline.Power, deps); err != nil {
			return fmt.Errorf("unit %s: setting power to its safe state after taking over from %s: %w", u.Name, prev, err)
		}
	}
	lease.madeSafe()
	state := processState(*prev)
	u.Timeline.Add(timeline.Event{At: u.Clock.Now(), Source: timeline.Step, Kind: "take-over",
		Detail: fmt.Sprintf("took unit %s over from %s (%s), which ended without releasing it; solenoid released, power %s",
			u.Name, prev, state, safePowerState(u.Config.Power)),
		Attrs: map[string]string{
			"previous_pid": fmt.Sprint(prev.PID), "previous_host": prev.Host,
			"previous_command": prev.Command, "previous_since": prev.Since.Format(time.RFC3339Nano),
			"previous_process": state,
		}})
	u.Log.Warn("rig: took the unit over from a run that ended without releasing it; made it safe first",
		"previous", prev.String(), "process", state)
	return nil
}

// setSafe opens the binding, drives it to on and closes it again. When
// record is set the edge goes on the timeline as evidence of the take-over.
func (u *Unit) setSafe(ctx context.Context, cfg power.Config, on, record bool, src timeline.Source, deps power.Deps) error {
	sw, err := power.Open(ctx, cfg, deps)
	if err != nil {
		return err
	}
	start := u.Clock.Now()
	err = sw.Set(ctx, on)
	if record && err == nil {
		u.Timeline.Add(timeline.Event{At: u.Clock.Now(), Source: src, Kind: power.State(on), Detail: sw.String() + " (take-over)",
			Attrs: map[string]string{"requested_at": start.Format(time.RFC3339Nano)}})
	}
	return errors.Join(err, closeSwitch(sw))
}

func safePowerState(cfg *power.Config) string {
	if cfg == nil {
		return "not bound"
	}
	return power.State(cfg.SafeOn)
}
