//go:build !linux

package clock

import "time"

// kernelSleep is not used off Linux: WaitPrecise yields on the clock for
// the whole of its precise window there.
func kernelSleep(time.Duration) bool { return false }
