package profile

import "time"

// HoldKind names one of the reset-button holds a profile documents.
type HoldKind string

// The holds, named as in the profile's holds section.
const (
	RebootHold  HoldKind = "reboot"
	FactoryHold HoldKind = "factory"
	PowerOnHold HoldKind = "power_on"
)

// HoldKinds lists every hold, in the order a profile documents them.
var HoldKinds = []HoldKind{RebootHold, FactoryHold, PowerOnHold}

// Press is how a procedure presses the button for one hold, in profile
// time (the caller scales it by the rig's timescale).
type Press struct {
	Kind   HoldKind
	Window Window
	// UntilLED: the press ends at the status LED's first change after it
	// began (the vendor's "release when the LED starts flashing"), and at
	// Longest at the latest. Otherwise it lasts Window.Hold, or, for the
	// power-on variant, until power is on and then Window.Hold.
	UntilLED bool
	// Longest is the longest the solenoid stays energised: the most a
	// procedure asks of the rig's max_hold for this hold.
	Longest time.Duration
}

// Press says how a procedure presses for hold kind on a unit of this model
// (ok false: the model has no such hold). ledWired says whether the unit's
// rig binds an LED sensor: a model that releases on the LED can only do so
// with one, and holds the documented time without.
//
// It is the one place the longest press is decided: the procedures press
// by it, and rig.Load refuses a max_hold shorter than its Longest, so a
// too-short max_hold is a load error at its line, not a failure mid-suite.
func (h Holds) Press(kind HoldKind, ledWired bool) (Press, bool) {
	var w *Window
	switch kind {
	case RebootHold:
		w = h.Reboot
	case FactoryHold:
		w = h.Factory
	case PowerOnHold:
		w = h.PowerOn
	}
	if w == nil {
		return Press{}, false
	}
	p := Press{Kind: kind, Window: *w, Longest: w.Hold}
	switch {
	case kind == FactoryHold && h.ReleaseOnLED && ledWired:
		// Released on the LED, or at the window's max if it never changes.
		p.UntilLED, p.Longest = true, w.Max
	case kind == PowerOnHold:
		// The press starts with the unit off and holds through power-on
		// before the hold proper: the power-on itself is allowed as long
		// again as the hold (a relay or a plug answers within it).
		p.Longest = 2 * w.Hold
	}
	return p, true
}

// QuietPress is a press a sound unit must ignore: the model documents no
// effect for it, and a unit that reacts (restarts, factory-resets) is
// defective. Profile time.
type QuietPress struct {
	// Hold is what to ask of the solenoid.
	Hold time.Duration
	// The hold the unit sees must lie strictly between Above and Below to
	// be this press (Below is the next window's minimum).
	Above, Below time.Duration
}

// ShortPress is a brief, accidental press: a quarter of the shortest
// minimum of the holds a running unit knows (reboot, factory). ok is false
// when the model has no factory hold.
func (h Holds) ShortPress() (QuietPress, bool) {
	if h.Factory == nil {
		return QuietPress{}, false
	}
	shortest := h.Factory.Min
	if h.Reboot != nil {
		shortest = min(shortest, h.Reboot.Min)
	}
	return QuietPress{Hold: shortest / 4, Below: shortest}, shortest > 0
}

// BelowFactory is a hold that falls short of the factory minimum: midway
// between the hold below it (the reboot window's max, or nothing) and the
// factory minimum, so it lies in no window with as much room as there is
// on either side. ok is false when no such gap exists (the reboot window
// reaches the factory minimum).
func (h Holds) BelowFactory() (QuietPress, bool) {
	if h.Factory == nil {
		return QuietPress{}, false
	}
	var floor time.Duration
	if h.Reboot != nil {
		floor = h.Reboot.Max
	}
	if floor >= h.Factory.Min {
		return QuietPress{}, false
	}
	return QuietPress{Hold: floor + (h.Factory.Min-floor)/2, Above: floor, Below: h.Factory.Min}, true
}
