package virtual

import (
	"context"
	"fmt"
	"slices"
	"sync"

	"github.com/camrig/camrig/rigs/virtual/pty"
	"github.com/camrig/camrig/rigs/virtual/simclock"
)

// armUARTUnplugs sets up sim.units.<name>.uart_unplug_during_boot: once,
// After into the first boot that lasts that long, the unit's console
// adapter is pulled (its pty closed and its symlink removed: the harness's
// open port sees a hangup, and what the unit prints meanwhile is lost), and
// For later a new one is plugged in at the same path (a new pty behind the
// same symlink, as udev re-creates a by-id link), the boot carrying on
// throughout. Both waits are on the unit's clock, scaled by the timescale.
func (r *Rig) armUARTUnplugs() {
	for _, uf := range r.file.Units {
		plan := r.file.Sim.Units[uf.Name].UARTUnplug
		if plan == nil {
			continue
		}
		u, name := r.byName[uf.Name], uf.Name
		var (
			mu     sync.Mutex
			fired  bool
			replug simclock.Timer
		)
		r.AddCloser(func() error {
			mu.Lock()
			defer mu.Unlock()
			fired = true // no later boot may pull it
			if replug != nil {
				replug.Stop()
			}
			return nil
		})
		u.OnBoot(func(ctx context.Context) {
			mu.Lock()
			done := fired
			mu.Unlock()
			if done || simclock.Sleep(ctx, u.Clock(), u.Scale(plan.After)) != nil {
				return // pulled already, or this boot ended first: the next one gets it
			}
			mu.Lock()
			defer mu.Unlock()
			if fired {
				return
			}
			fired = true
			if !r.unplugConsole(name) {
				return
			}
			replug = u.Clock().AfterFunc(u.Scale(plan.For), func() { r.replugConsole(name) })
		})
		r.note("%s's console adapter is pulled %v into its first boot that lasts so long and plugged in again %v later (sim.units.%s.uart_unplug_during_boot)",
			name, plan.After, plan.For, name)
	}
}

// unplugConsole pulls the unit's console adapter; false if the rig closed.
func (r *Rig) unplugConsole(name string) bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	pair := r.consoles[name]
	if r.closed || pair == nil {
		return false
	}
	line := r.byName[name].UART()
	line.Unplug()
	if err := pair.Unplug(); err != nil {
		r.log.Warn("virtual rig: unplugging a console", "unit", name, "err", err)
	}
	r.pairs = slices.DeleteFunc(r.pairs, func(p *pty.Pair) bool { return p == pair })
	delete(r.consoles, name)
	r.log.Info("virtual rig: console adapter pulled", "unit", name, "port", pair.Link)
	return true
}

// replugConsole plugs a new adapter in at the unit's console path.
func (r *Rig) replugConsole(name string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.closed || r.consoles[name] != nil {
		return
	}
	uf := r.unitFiles[name]
	pair, err := pty.Open(uf.Console.Port)
	if err == nil {
		err = r.byName[name].UART().Plug(pair.Master)
		if err != nil {
			pair.Close()
		}
	}
	if err != nil {
		// The adapter stays away: the harness sees a console that never
		// returns, which is what such a lab would show it.
		r.log.Error("virtual rig: plugging a console back in", "unit", name, "err", fmt.Errorf("%s: %w", uf.Console.Port, err))
		return
	}
	r.pairs = append(r.pairs, pair)
	r.consoles[name] = pair
	r.log.Info("virtual rig: console adapter plugged in again", "unit", name, "port", pair.Link, "tty", pair.SlavePath)
}
