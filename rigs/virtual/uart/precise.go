package uart

import (
	"runtime"
	"time"

	"golang.org/x/sys/unix"
)

// preciseBelow is the shortest wait given to a Go timer. Go's timers on
// Linux fire up to about a millisecond late (the runtime's poller sleeps in
// whole milliseconds), so a 1-byte ACK (87 µs at 115200) would leave the
// "wire" a millisecond late: a YMODEM transfer would lose ~2 ms a block to
// the simulator, not to the protocol. Shorter waits use sleepUntil; they
// are rare (a short write after an idle line, the end of an input burst).
const preciseBelow = time.Millisecond

// preciseTail is how much of an input burst's end a reader waits for with
// sleepUntil (see ReadByteUntil): a Go timer set for preciseTail before the
// end fires late by less than preciseBelow, so the reader is back in time
// to take the last byte when it arrives.
const preciseTail = 2 * preciseBelow

// sleepMargin is how long before due sleepUntil stops sleeping in the
// kernel and yields on the clock instead: a nanosleep ends late by the
// thread's timer slack (50 µs) plus the wake-up, 80-100 µs typical and
// ~200 µs at p90 on a 2-core virtual machine.
const sleepMargin = 200 * time.Microsecond

// sleepUntil returns at due, late by microseconds, never early. The thread
// sleeps in the kernel until just before due, then yields on the clock.
// Sleeping matters on a loaded machine: a thread spinning for milliseconds
// uses up its share of the CPU and is then preempted for milliseconds,
// while one that sleeps is woken promptly.
func sleepUntil(due time.Time) {
	for {
		d := time.Until(due)
		switch {
		case d <= 0:
			return
		case d > sleepMargin:
			ts := unix.NsecToTimespec(int64(d - sleepMargin))
			_ = unix.Nanosleep(&ts, nil) // EINTR (a signal): the loop goes on
		default:
			runtime.Gosched()
		}
	}
}
