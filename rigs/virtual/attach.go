package virtual

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"syscall"
	"time"

	"github.com/camrig/camrig/rigs/virtual/device"
	"github.com/camrig/camrig/rigs/virtual/flashsim"
	"github.com/camrig/camrig/rigs/virtual/nvrsim"
)

// sims is what Start attaches to the units and boards by default: an
// ISAPI server per unit, the NVR, smart plugs. Their lifetime is the
// rig's: Close stops them and waits until every listener is closed, so the
// next rig can bind the same addresses at once.
type sims struct {
	ctx    context.Context // ends when the rig closes
	cancel context.CancelFunc

	mu      sync.Mutex
	closed  bool
	running sync.WaitGroup // unit services in flight
	nvr     *nvrsim.NVR
	flash   map[string]*unitFlash
	// bindDeadline ends the wait for busy addresses (set at the first).
	bindDeadline time.Time
}

// bindPatience is how long a simulator waits for a loopback address that
// is in use (another rig on the same addresses, closing) before it gives
// up on serving it. Giving up is not fatal: the rest of the rig runs, and
// the note says what is not served.
var bindPatience = 3 * time.Second

// bindRetry is the pause between attempts to bind a busy address.
const bindRetry = 50 * time.Millisecond

func newSims() *sims {
	ctx, cancel := context.WithCancel(context.Background())
	return &sims{ctx: ctx, cancel: cancel, flash: map[string]*unitFlash{}}
}

// close ends every service and waits for them.
func (s *sims) close() error {
	s.mu.Lock()
	s.closed = true
	s.mu.Unlock()
	s.cancel()
	s.running.Wait()
	return nil
}

// kick asks the NVR (if any) to look at its ports now.
func (s *sims) kick() {
	s.mu.Lock()
	n := s.nvr
	s.mu.Unlock()
	if n != nil {
		n.Kick()
	}
}

// service wraps a unit service so the rig can stop it and wait for it on
// Close, retries it while its address is busy, and tells the NVR when it
// ends (the unit went down: power loss, reboot, reset).
func (s *sims) service(r *Rig, unit string, run device.Service) device.Service {
	return func(ctx context.Context, h device.Host) error {
		s.mu.Lock()
		if s.closed {
			s.mu.Unlock()
			return nil
		}
		s.running.Add(1)
		s.mu.Unlock()
		defer s.running.Done()
		defer s.kick()
		ctx, cancel := context.WithCancel(ctx)
		defer cancel()
		defer context.AfterFunc(s.ctx, cancel)()
		failing := false
		for {
			err := run(ctx, h)
			if err == nil || ctx.Err() != nil {
				return nil
			}
			if !failing {
				r.log.Warn("unit service failed; retrying while the unit is up", "unit", unit, "err", err)
				if errors.Is(err, syscall.EADDRINUSE) {
					// Someone else answers on this unit's address: a
					// run must not take their replies for the unit's.
					r.notServed("%s service not served: %v", unit, err)
				}
				failing = true
			}
			if !pause(ctx, bindRetry) {
				return nil
			}
		}
	}
}

// pause waits d or until ctx ends (false).
func pause(ctx context.Context, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-ctx.Done():
		return false
	}
}

// bind calls listen until it succeeds, fails with something other than
// an address in use, or the rig's bind deadline (or ctx) passes. The
// deadline is one for the whole start, so a rig whose every address is
// taken waits bindPatience once, not once per device.
func (s *sims) bind(ctx context.Context, listen func() error) error {
	s.mu.Lock()
	if s.bindDeadline.IsZero() {
		s.bindDeadline = time.Now().Add(bindPatience)
	}
	deadline := s.bindDeadline
	s.mu.Unlock()
	for {
		err := listen()
		if err == nil || !errors.Is(err, syscall.EADDRINUSE) || time.Now().After(deadline) {
			return err
		}
		if !pause(ctx, bindRetry) {
			return fmt.Errorf("%w (gave up: %v)", err, ctx.Err())
		}
	}
}

// attachUnits gives every unit its default devices before anything
// powers up: the firmware flash and the network API. Called by Start.
func (r *Rig) attachUnits() error {
	r.sims = newSims()
	r.AddCloser(r.sims.close)
	if err := r.syncCameraPasswords(); err != nil {
		return err
	}
	for _, u := range r.units {
		if ds := r.file.Sim.Units[u.Name()].Defects; len(ds) > 0 {
			u.SetDefects(ds.unit())
			r.note("%s is DEFECTIVE on purpose (sim.units.%s.defects): %s", u.Name(), u.Name(), names(ds))
		}
		if h := r.file.Sim.Units[u.Name()].Hush; h != nil && !*h {
			u.SetSimpleShell(true)
		}
		if err := r.attachFlash(u); err != nil {
			return err
		}
		if err := r.attachAPI(u); err != nil {
			return err
		}
	}
	return nil
}

// attachNetwork starts the simulators that live beside the units once the
// boards run: the NVR and the smart plugs. Called by Start.
func (r *Rig) attachNetwork(ctx context.Context, o options) error {
	if err := r.attachNVR(ctx); err != nil {
		return err
	}
	return r.attachPlugs(ctx, o)
}

// Flash is the emulated flash chip of a unit (nil: none simulated).
func (r *Rig) Flash(unit string) *flashsim.Chip {
	if r.sims == nil {
		return nil
	}
	r.sims.mu.Lock()
	defer r.sims.mu.Unlock()
	if fl := r.sims.flash[unit]; fl != nil {
		return fl.chip
	}
	return nil
}
