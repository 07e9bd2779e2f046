package rig

import (
	"context"
	"errors"
	"fmt"

	"github.com/camrig/camrig/harness/lab"
)

// RunByOtherError says another runner of a shared run has (or had) a unit:
// the unit is skipped with this reason.
type RunByOtherError struct {
	Unit string
	// Runner is who claimed the unit last (nil when its record is not
	// readable).
	Runner *Holder
	// Done: that runner finished the unit; Running: it is at it now;
	// neither: it was given up after lab.MaxAttempts.
	Done, Running bool
}

func (e *RunByOtherError) Error() string {
	host := "another runner"
	if e.Runner != nil {
		host = e.Runner.Host
	}
	switch {
	case e.Done || e.Running:
		return "run by " + host
	default:
		return fmt.Sprintf("not run: its runners died %d times (last %s)", lab.MaxAttempts, host)
	}
}

// RunClaim is this runner's claim on a unit of a shared run.
type RunClaim struct {
	*lab.Claim
	previous *Holder
}

// RetryOf names the runner that died running the unit when this claim is
// the retry ("" for a first attempt).
func (c *RunClaim) RetryOf() string {
	if !c.Retry {
		return ""
	}
	if c.previous == nil {
		return "a runner that died"
	}
	return c.previous.String()
}

// ClaimRun claims unit for this runner in the shared run id on the rig's
// lab, or fails with a *RunByOtherError.
func (r *Rig) ClaimRun(ctx context.Context, run, unit string) (*RunClaim, error) {
	return r.claimRun(ctx, run, unit, (*lab.Store).ClaimRun)
}

// AwaitRun is ClaimRun for a runner with nothing else left to do: while
// another runner is at the unit it waits, and takes the unit as the retry
// if that runner dies.
func (r *Rig) AwaitRun(ctx context.Context, run, unit string) (*RunClaim, error) {
	return r.claimRun(ctx, run, unit, (*lab.Store).AwaitClaim)
}

func (r *Rig) claimRun(ctx context.Context, run, unit string,
	claim func(*lab.Store, context.Context, string, string, []byte) (*lab.Claim, error)) (*RunClaim, error) {
	store, err := r.LabStore()
	if err != nil {
		return nil, err
	}
	c, err := claim(store, ctx, run, unit, currentHolder(r.clock().Now()).marshal())
	var not *lab.NotOursError
	if errors.As(err, &not) {
		e := &RunByOtherError{Unit: unit, Done: not.State.Done, Running: not.Running}
		if h, ok := parseHolder(not.State.Runner); ok {
			e.Runner = &h
		}
		return nil, e
	}
	if err != nil {
		return nil, fmt.Errorf("rig %s: run %s: %w", r.Name, run, err)
	}
	rc := &RunClaim{Claim: c}
	if h, ok := parseHolder(c.Previous); ok {
		rc.previous = &h
	}
	return rc, nil
}
