// Package ttyread opens a serial device for reading through Go's runtime
// poller.
//
// go.bug.st/serial reads by parking an OS thread in select(2): when a byte
// arrives that thread wakes and must win back a processor before the
// reader goroutine runs, which on a busy two-core host costs up to the
// runtime's 10 ms retake period. A non-blocking descriptor is watched by the
// runtime's epoll instead, so the byte wakes the reader goroutine on
// whichever processor is idle. The serial package still opens the device
// (it sets the line's termios, which every descriptor of the tty shares)
// and writes; this descriptor only reads.
package ttyread

import (
	"os"
	"syscall"
)

// Open opens path for reading through the poller. Call it before
// go.bug.st/serial opens the same path: the serial package marks the tty
// exclusive (TIOCEXCL), after which only root may open it again.
func Open(path string) (*os.File, error) {
	return os.OpenFile(path, os.O_RDWR|syscall.O_NOCTTY|syscall.O_NONBLOCK, 0)
}
