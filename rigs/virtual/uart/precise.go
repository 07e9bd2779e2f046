package uart

import (
	"runtime"
	"time"
)

// spinBelow is the shortest wait given to a timer. Go's timers on Linux
// fire up to about a millisecond late, so a 1-byte ACK (87 µs at 115200)
// would leave the "wire" a millisecond late: a YMODEM transfer would lose
// ~2 ms a block to the simulator, not to the protocol. Waits shorter than
// this spin on the clock instead; they are rare (a short write after an idle
// line, the last byte of a burst), so the CPU cost is bounded.
const spinBelow = time.Millisecond

// spinUntil yields until due.
func spinUntil(due time.Time) {
	for time.Now().Before(due) {
		runtime.Gosched()
	}
}
