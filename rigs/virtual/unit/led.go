package unit

import "time"

// The status LED: off without power, on while powered, and while a factory
// reset is armed (the button held inside the factory window, or the
// power-on window for a hold that began at power-on) it shows the profile's
// led.factory_armed: "blinking" at led.blink_hz, "on" or "off" ("" leaves it
// on). A blink starts with the LED going dark at the moment of arming, so
// the first edge marks the arming; the frequency is physical, not scaled by
// the timescale. The state is computed from the clock whenever it is read,
// so blinking costs no timers.

// LED reports whether the status LED is lit now.
func (u *Unit) LED() bool {
	u.mu.Lock()
	defer u.mu.Unlock()
	return u.ledLocked(u.clk.Now())
}

// LEDMode describes the LED now: "off", "on" or "blinking".
func (u *Unit) LEDMode() string {
	u.mu.Lock()
	defer u.mu.Unlock()
	if !u.powered {
		return "off"
	}
	if _, armed := u.armedLocked(u.clk.Now()); armed && u.prof.LED.FactoryArmed != "" {
		return u.prof.LED.FactoryArmed
	}
	return "on"
}

func (u *Unit) ledLocked(now time.Time) bool {
	if !u.powered {
		return false
	}
	since, armed := u.armedLocked(now)
	if !armed {
		return true
	}
	switch u.prof.LED.FactoryArmed {
	case "off":
		return false
	case "blinking":
		half := time.Duration(float64(time.Second) / (2 * u.prof.LED.BlinkHz))
		return half > 0 && int64(since/half)%2 == 1
	}
	return true
}

// armedLocked reports whether a factory reset is armed now, and since when.
func (u *Unit) armedLocked(now time.Time) (time.Duration, bool) {
	h := u.hold
	if h == nil || h.ignore != "" || h.arm == nil || u.defects.LEDNeverFlashes {
		return 0, false
	}
	from, until := h.start.Add(u.Scale(h.arm.Min)), h.start.Add(u.Scale(h.arm.Max))
	if now.Before(from) || now.After(until) {
		return 0, false
	}
	return now.Sub(from), true
}
