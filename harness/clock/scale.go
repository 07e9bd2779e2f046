package clock

import (
	"fmt"
	"time"
)

// Scale is a rig's timescale: the factor every profile duration is multiplied
// by before it becomes a wait. Real benches run at 1; the virtual rig runs
// faster (0.01 makes a 30 s hold 300 ms).
type Scale float64

// Validate accepts 0 < s <= 1.
func (s Scale) Validate() error {
	if !(s > 0 && s <= 1) {
		return fmt.Errorf("timescale %v out of range: want 0 < timescale <= 1", float64(s))
	}
	return nil
}

// Of returns d scaled. A zero Scale is treated as 1 so a zero-valued config
// behaves like a real bench rather than collapsing every wait to nothing.
func (s Scale) Of(d time.Duration) time.Duration {
	if s <= 0 || s == 1 {
		return d
	}
	return time.Duration(float64(d) * float64(s))
}

// Unscale converts a measured real duration back to profile time, for
// reports that quote "held 10.2 s" on a rig running at 0.01.
func (s Scale) Unscale(d time.Duration) time.Duration {
	if s <= 0 || s == 1 {
		return d
	}
	return time.Duration(float64(d) / float64(s))
}
