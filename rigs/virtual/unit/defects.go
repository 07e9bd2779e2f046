package unit

import (
	"context"
	"strings"
	"time"

	"github.com/camrig/camrig/rigs/virtual/simclock"
)

// Defects are faults a unit can be built with (the rig file's
// sim.units.<name>.defects), so each spec can be shown failing against the
// very defect it exists to catch. The zero value is a sound unit.
type Defects struct {
	// IgnoresFactoryHold: a hold inside a factory window (the button's or
	// the power-on variant's) does nothing. The LED still signals it.
	IgnoresFactoryHold bool
	// IgnoresRebootHold: a hold inside the reboot window does nothing.
	IgnoresRebootHold bool
	// ShortPressFactoryResets: a press shorter than every window's minimum
	// factory-resets the unit.
	ShortPressFactoryResets bool
	// AnyHoldFactoryResets: every counted hold, whatever its length,
	// factory-resets the unit.
	AnyHoldFactoryResets bool
	// FactoryResetOnPowerLoss: every boot from power-on carries out a
	// factory reset and says so (the factory marker).
	FactoryResetOnPowerLoss bool
	// WipesConfigOnPowerLoss: every boot from power-on wipes the config
	// silently (no marker): the unit comes back inactive.
	WipesConfigOnPowerLoss bool
	// LosesSettingsOnPowerLoss: every boot from power-on loses the
	// settings (what a basic reset would clear), silently; the unit stays
	// activated.
	LosesSettingsOnPowerLoss bool
	// ResetKeepsActivation: a full factory reset wipes the settings but
	// keeps activation and users, as a basic reset does.
	ResetKeepsActivation bool
	// NeverBoots: the boot hangs where the ready marker would be printed.
	NeverBoots bool
	// BootsLate: the ready marker comes a whole boot deadline (the
	// profile's boot.deadline) later than the script says.
	BootsLate bool
	// LEDNeverFlashes: the status LED stays lit while a factory reset is
	// armed.
	LEDNeverFlashes bool
}

// SetDefects switches the unit's defects; call it before the unit is
// powered (a boot in progress sees them from its next step).
func (u *Unit) SetDefects(d Defects) {
	u.mu.Lock()
	defer u.mu.Unlock()
	u.defects = d
}

func (u *Unit) defectsNow() Defects {
	u.mu.Lock()
	defer u.mu.Unlock()
	return u.defects
}

// verdict is what a defective unit does with a hold the sound
// unit judged as v.
func (d Defects) verdict(p *Profile, scale func(time.Duration) time.Duration, held time.Duration, v Verdict, why string) (Verdict, string) {
	switch {
	case v == VerdictFactory && d.IgnoresFactoryHold:
		return VerdictNone, "defect ignores_factory_hold: " + why
	case v == VerdictReboot && d.IgnoresRebootHold:
		return VerdictNone, "defect ignores_reboot_hold: " + why
	case d.AnyHoldFactoryResets && v != VerdictFactory:
		return VerdictFactory, "defect any_hold_factory_resets: " + why
	case d.ShortPressFactoryResets && held < scale(shortestMin(p)):
		return VerdictFactory, "defect short_press_factory_resets: shorter than every window"
	}
	return v, why
}

// shortestMin is the smallest minimum of the model's windows (0: none).
func shortestMin(p *Profile) time.Duration {
	var m time.Duration
	for _, w := range []*Window{p.Holds.Reboot, p.Holds.Factory, p.Holds.PowerOn} {
		if w != nil && (m == 0 || w.Min < m) {
			m = w.Min
		}
	}
	return m
}

// powerOnDefects plays the power-loss defects at the start of a boot from
// power-on.
func (u *Unit) powerOnDefects(io *bootIO) error {
	d := u.defectsNow()
	switch {
	case d.FactoryResetOnPowerLoss:
		if err := io.println("power loss detected -> " + u.factoryMarker()); err != nil {
			return err
		}
		return u.store.Set(factoryPendingKey, "full")
	case d.WipesConfigOnPowerLoss:
		return u.store.Wipe(u.keptKeys("full")...)
	case d.LosesSettingsOnPowerLoss:
		return u.store.Wipe(u.keptKeys("basic")...)
	}
	return nil
}

// hang is how long a unit that never boots waits where its ready marker
// would be.
const hang = 1000 * time.Hour

// readyDefects runs before the line with the ready marker: a unit that
// never boots hangs here, a late one waits a whole deadline first.
func (u *Unit) readyDefects(ctx context.Context) error {
	d := u.defectsNow()
	switch {
	case d.NeverBoots:
		// A hang: a wait on the clock that outlasts any test, ended only by
		// a power cut (and visible to a fake clock as a pending timer).
		return simclock.Sleep(ctx, u.clk, hang)
	case d.BootsLate:
		return simclock.Sleep(ctx, u.clk, u.Scale(u.prof.Boot.Deadline))
	}
	return nil
}

// keptKeys lists the config keys a factory reset of mode ("full" or
// "basic") keeps: the bootloader environment always, and for a basic
// reset what SetBasicResetKeep says (default: KeepOnBasicReset).
func (u *Unit) keptKeys(mode string) []string {
	keep := []string{EnvPrefix}
	var kept []string
	u.mu.Lock()
	basicKeep := u.basicKeep
	u.mu.Unlock()
	switch {
	case mode == "basic" && basicKeep != nil:
		kept = basicKeep(u.store)
	case mode == "basic":
		keep = append(keep, KeepOnBasicReset...)
	}
	for _, k := range u.store.Keys() {
		for _, p := range keep {
			if strings.HasPrefix(k, p) {
				kept = append(kept, k)
			}
		}
	}
	return kept
}
