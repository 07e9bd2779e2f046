package clock

import (
	"encoding/binary"
	"errors"
	"fmt"
	"os"
	"sync"
)

// WakeLatency is a request to the host to keep its CPUs quick to wake up,
// held while a timed edge is due (a press: its "on", its release, and the
// board reading each). An idle CPU that halts takes a wake-up to run the
// next thread, and on a virtual machine that wake-up goes through the
// hypervisor. On the quiet 2-core development machine (KVM, haltpoll
// idle) the board of BenchmarkHoldAccuracyPty saw p99 errors of 2.7, 3.8
// and 11 ms without the request and 0.29, 0.46 and 0.27 ms with it held
// by the whole process, the six runs taking turns. It is what cyclictest
// does for the same reason.
//
// On Linux the request is the PM QoS CPU latency device: a zero written
// to /dev/cpu_dma_latency keeps every CPU out of idle states slower than
// 0 µs to leave (polling instead of halting) for as long as the file stays
// open; the kernel closes it for a process that dies, so no request
// outlives its holder. The device is root's by default; a lab that runs
// camrig as another user grants it with a udev rule (README). Where the
// device is missing (macOS) or refused, Hold says why and nothing else
// changes: the holds are then as late as the host's wake-ups make them.
//
// Holds are counted: the request is made by the first and dropped with the
// last, so two solenoids pressing at once share one.
type WakeLatency struct {
	path string

	mu      sync.Mutex
	holders int
	f       *os.File
}

// HostWakeLatencyPath is the Linux PM QoS CPU latency device.
const HostWakeLatencyPath = "/dev/cpu_dma_latency"

// HostWakeLatency is this host's request, shared by everything in the
// process that times edges on the real clock.
var HostWakeLatency = NewWakeLatency(HostWakeLatencyPath)

// NoWakeLatency never asks (Hold returns ErrWakeLatencyOff): for
// measuring what the request is worth, and for hosts whose owner wants the
// CPUs left to idle.
var NoWakeLatency = &WakeLatency{}

// ErrWakeLatencyOff: the WakeLatency is NoWakeLatency.
var ErrWakeLatencyOff = errors.New("the CPU wake-up latency request is turned off")

// NewWakeLatency returns a request made through the PM QoS device at path
// (tests use a regular file).
func NewWakeLatency(path string) *WakeLatency { return &WakeLatency{path: path} }

// Hold requests a wake-up latency of zero until release is called. release
// is safe to call more than once and is never nil, also when err says the
// request could not be made.
func (w *WakeLatency) Hold() (release func(), err error) {
	nop := func() {}
	if w.path == "" {
		return nop, ErrWakeLatencyOff
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.holders == 0 {
		f, err := os.OpenFile(w.path, os.O_WRONLY, 0)
		if err != nil {
			return nop, fmt.Errorf("CPU wake-up latency request: %w", err)
		}
		// The device takes a binary s32, in microseconds.
		var zero [4]byte
		binary.NativeEndian.PutUint32(zero[:], 0)
		if _, err := f.Write(zero[:]); err != nil {
			f.Close()
			return nop, fmt.Errorf("CPU wake-up latency request: %w", err)
		}
		w.f = f
	}
	w.holders++
	var once sync.Once
	return func() { once.Do(w.drop) }, nil
}

// Held reports whether a request is in force.
func (w *WakeLatency) Held() bool {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.holders > 0
}

func (w *WakeLatency) drop() {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.holders--
	if w.holders == 0 {
		// Closing the file is what ends the request.
		w.f.Close()
		w.f = nil
	}
}
