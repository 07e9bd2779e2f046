package unit

import (
	"fmt"
	"time"
)

// The reset button is judged by how long it was held while powered:
//
//   - a press starts counting when it is pressed with power on, or when
//     power comes on while it is held (the hold-through-power-on variant);
//   - a power cut during a hold voids it;
//   - on release the hold is judged against the profile's windows (device
//     time, scaled): holds.power_on for a hold that began at power-on (if
//     the model has that window), else holds.reboot, then holds.factory.
//     Each window is inclusive [min, max];
//   - a hold inside no window does nothing. In particular a hold past the
//     factory max does nothing: the LED stops signalling at max and the
//     release is ignored (the profile says the unit accepts [min, max]);
//   - holds.after_boot models (the generic IPC) ignore a press that began
//     before the unit was up; models without reset_button ignore every press.
//
// Reboot: the unit prints "reset key held N.Ns -> <reboot_marker>" and
// restarts keeping its config. Factory: it prints "reset key held N.Ns ->
// <factory_marker>" at once, marks a full factory reset pending and
// restarts; the next boot wipes the config at %factory.

// ButtonEdge is one change of the button input as the unit saw it.
type ButtonEdge struct {
	At      time.Time
	Pressed bool
	// Powered is whether the unit had power at that moment.
	Powered bool
}

// Verdict is what a hold did.
type Verdict string

const (
	VerdictNone    Verdict = "none"    // judged, no effect
	VerdictReboot  Verdict = "reboot"  // restarted keeping the config
	VerdictFactory Verdict = "factory" // factory reset
	VerdictIgnored Verdict = "ignored" // did not count at all (see Why)
)

// Hold is one judged hold.
type Hold struct {
	Start, End time.Time
	// Held is the powered hold time; DeviceHeld is Held in device time
	// (divided by the timescale), what the windows are compared with.
	Held, DeviceHeld time.Duration
	// PowerOn is set when the hold began at power-on.
	PowerOn bool
	Verdict Verdict
	Why     string
}

type activeHold struct {
	start   time.Time
	powerOn bool
	ignore  string
	arm     *Window // the factory-type window the LED signals
}

// SetButton moves the reset button input (the solenoid).
func (u *Unit) SetButton(pressed bool) {
	u.mu.Lock()
	defer u.mu.Unlock()
	if pressed == u.btnDown {
		return
	}
	now := u.clk.Now()
	u.btnDown = pressed
	u.edges = append(u.edges, ButtonEdge{At: now, Pressed: pressed, Powered: u.powered})
	switch {
	case pressed && u.powered:
		u.beginHoldLocked(now, false)
	case !pressed && u.hold != nil:
		u.releaseLocked(now)
	}
}

// Button reports whether the button is held now.
func (u *Unit) Button() bool {
	u.mu.Lock()
	defer u.mu.Unlock()
	return u.btnDown
}

// ButtonEdges is every button edge so far, for comparing the harness's
// measured hold with what the device saw.
func (u *Unit) ButtonEdges() []ButtonEdge {
	u.mu.Lock()
	defer u.mu.Unlock()
	return append([]ButtonEdge(nil), u.edges...)
}

// Holds is every judged hold so far.
func (u *Unit) Holds() []Hold {
	u.mu.Lock()
	defer u.mu.Unlock()
	return append([]Hold(nil), u.holds...)
}

func (u *Unit) beginHoldLocked(now time.Time, powerOn bool) {
	h := &activeHold{start: now, powerOn: powerOn}
	p := u.prof
	switch {
	case !p.ResetButton:
		h.ignore = "the model has no reset button"
	case powerOn && p.Holds.PowerOn != nil:
		h.arm = p.Holds.PowerOn
	case p.Holds.AfterBoot && u.state != StateUp:
		h.ignore = fmt.Sprintf("pressed while %v; the model counts presses only once it is up", u.state)
	default:
		h.arm = p.Holds.Factory
	}
	u.hold = h
}

func (u *Unit) releaseLocked(now time.Time) {
	h := u.hold
	if h.ignore != "" {
		u.finishHoldLocked(now, VerdictIgnored, h.ignore)
		return
	}
	held := now.Sub(h.start)
	v, why := judgeHold(u.prof, u.Scale, held, h.powerOn)
	v, why = u.defects.verdict(u.prof, u.Scale, held, v, why)
	u.finishHoldLocked(now, v, why)
	dev := fmt.Sprintf("%.1fs", (time.Duration(float64(held) / u.ts)).Seconds())
	switch v {
	case VerdictReboot:
		u.log.Info("reset button: reboot", "held", held)
		u.restartLocked(fmt.Sprintf("reset key held %s -> %s", dev, u.rebootLine("")), "")
	case VerdictFactory:
		u.log.Info("reset button: factory reset", "held", held)
		u.restartLocked(fmt.Sprintf("reset key held %s -> %s", dev, u.factoryMarker()), "full")
	}
}

func (u *Unit) finishHoldLocked(now time.Time, v Verdict, why string) {
	h := u.hold
	u.hold = nil
	held := now.Sub(h.start)
	u.holds = append(u.holds, Hold{
		Start: h.start, End: now, Held: held, DeviceHeld: time.Duration(float64(held) / u.ts),
		PowerOn: h.powerOn, Verdict: v, Why: why,
	})
}

// judgeHold decides what a powered hold of held (real time) does; scale
// converts the profile's device-time windows to real time.
func judgeHold(p *Profile, scale func(time.Duration) time.Duration, held time.Duration, powerOn bool) (Verdict, string) {
	in := func(w *Window) bool { return w != nil && held >= scale(w.Min) && held <= scale(w.Max) }
	if powerOn && p.Holds.PowerOn != nil {
		if in(p.Holds.PowerOn) {
			return VerdictFactory, "held through power-on within holds.power_on"
		}
		return VerdictNone, "held through power-on outside holds.power_on"
	}
	switch {
	case in(p.Holds.Reboot):
		return VerdictReboot, "within holds.reboot"
	case in(p.Holds.Factory):
		return VerdictFactory, "within holds.factory"
	case p.Holds.Factory != nil && held > scale(p.Holds.Factory.Max):
		return VerdictNone, "held past holds.factory max"
	}
	return VerdictNone, "outside every window"
}
