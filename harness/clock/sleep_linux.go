package clock

import (
	"time"

	"golang.org/x/sys/unix"
)

// kernelSleep sleeps d in the kernel, off the Go runtime's timers (see
// WaitPrecise). A signal may end it early: the caller loops on the clock.
func kernelSleep(d time.Duration) bool {
	ts := unix.NsecToTimespec(int64(d))
	_ = unix.Nanosleep(&ts, nil)
	return true
}
