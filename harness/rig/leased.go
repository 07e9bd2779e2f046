package rig

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/camrig/camrig/harness/power"
	"github.com/camrig/camrig/harness/timeline"
)

// No unit is driven without a live lease. A lab lease can be lost while a
// run holds it (the host lost the network, the cluster went down): from
// then on another holder may take the unit over, so the run must stop
// driving it and leave it safe. The unit's switches are wrapped so that a
// switch is driven anywhere but its safe state only under a live lease
// (the error names why the lease was lost, and so does the spec that
// wanted the edge), and a watcher drives them to their safe state the
// moment the lease is lost.

// leaseGuard serialises every edge of a unit's guarded switches with the
// watcher, so the watcher's safe edge is never overtaken by a run's.
type leaseGuard struct {
	mu    sync.Mutex
	lease *Lease
}

type guardedSwitch struct {
	sw   power.Switch
	safe bool
	g    *leaseGuard
}

func (g *leaseGuard) wrap(sw power.Switch, safe bool) power.Switch {
	gs := &guardedSwitch{sw: sw, safe: safe, g: g}
	if p, ok := sw.(power.Pulser); ok {
		return guardedPulser{gs, p}
	}
	return gs
}

// allowed refuses an edge away from the safe state once the lease is lost.
func (s *guardedSwitch) allowed(on bool) error {
	if on == s.safe {
		return nil
	}
	if err := s.g.lease.Err(); err != nil {
		return fmt.Errorf("%s: not switched %s: %w", s.sw, power.State(on), err)
	}
	return nil
}

func (s *guardedSwitch) Set(ctx context.Context, on bool) error {
	s.g.mu.Lock()
	defer s.g.mu.Unlock()
	if err := s.allowed(on); err != nil {
		return err
	}
	return s.sw.Set(ctx, on)
}

func (s *guardedSwitch) Get(ctx context.Context) (bool, error) { return s.sw.Get(ctx) }
func (s *guardedSwitch) String() string                        { return s.sw.String() }

type guardedPulser struct {
	*guardedSwitch
	p power.Pulser
}

func (s guardedPulser) Pulse(ctx context.Context, on bool, after time.Duration) error {
	s.g.mu.Lock()
	defer s.g.mu.Unlock()
	if err := s.allowed(on); err != nil {
		return err
	}
	return s.p.Pulse(ctx, on, after)
}

// LeaseErr is nil while the unit's lease is live; after a lab lease was
// lost it says why (errors.Is(err, lab.ErrLost)).
func (u *Unit) LeaseErr() error {
	if u.guard == nil {
		return nil
	}
	return u.guard.lease.Err()
}

// LeaseLost is closed when the unit's lab lease is lost (never for a lock
// file lease).
func (u *Unit) LeaseLost() <-chan struct{} {
	if u.guard == nil {
		return nil
	}
	return u.guard.lease.Lost()
}

// watchLease starts the watcher that leaves the unit safe when its lease
// is lost. It returns the closer that stops it.
func (u *Unit) watchLease(deps power.Deps, pressSw, powerSw power.Switch) func(context.Context) error {
	stop, done := make(chan struct{}), make(chan struct{})
	lease := u.guard.lease
	go func() {
		defer close(done)
		select {
		case <-stop:
			return
		case <-lease.Lost():
		}
		err := lease.Err()
		u.Log.Error("rig: the unit's lease was lost; leaving the unit safe and driving it no more", "err", err)
		u.Timeline.Add(timeline.Event{At: u.Clock.Now(), Source: timeline.Step, Kind: "lease-lost",
			Detail: fmt.Sprintf("%v; solenoid released, power %s", err, safePowerState(u.Config.Power))})
		ctx, cancel := context.WithTimeout(context.Background(), safeTimeout)
		defer cancel()
		u.guard.mu.Lock()
		defer u.guard.mu.Unlock()
		var errs []error
		if u.Config.Press != nil {
			errs = append(errs, u.driveSafe(ctx, pressSw, *u.Config.Press, false, timeline.Press, deps))
		}
		if u.Config.Power != nil {
			errs = append(errs, u.driveSafe(ctx, powerSw, *u.Config.Power, u.Config.Power.SafeOn, timeline.Power, deps))
		}
		if err := errors.Join(errs...); err != nil {
			u.Log.Error("rig: leaving the unit safe after its lease was lost", "err", err)
		}
	}()
	return func(context.Context) error {
		close(stop)
		<-done
		return nil
	}
}

// driveSafe sets an open switch to its safe state, or opens the binding
// for it when the caller did not open that part.
func (u *Unit) driveSafe(ctx context.Context, sw power.Switch, cfg power.Config, on bool, src timeline.Source, deps power.Deps) error {
	if sw == nil {
		return u.setSafe(ctx, cfg, on, true, src, deps)
	}
	start := u.Clock.Now()
	err := sw.Set(ctx, on)
	if err == nil {
		u.Timeline.Add(timeline.Event{At: u.Clock.Now(), Source: src, Kind: power.State(on), Detail: sw.String() + " (lease lost)",
			Attrs: map[string]string{"requested_at": start.Format(time.RFC3339Nano)}})
	}
	return err
}
