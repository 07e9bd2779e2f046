// Package uart is a simulated UART on the master end of a pseudo-terminal.
//
// Output is delivered at line rate: each byte takes (start + data + parity +
// stop) bits at the configured baud. Bytes are handed to the pty in small
// chunks at computed due times (one timer per chunk, never a sleep per
// byte), so a reader on the slave sees them no earlier than a real UART
// would deliver them. Input is paced the same way: a byte the harness sent
// becomes readable when it would have finished arriving on the wire.
//
// Power matters: a cut drops every byte not yet on the wire and ignores
// input until power returns, as a dead SoC would.
//
// The pty is the USB adapter on the unit's console pins: Unplug takes it
// away (the line keeps running, what it sends meanwhile is lost) and Plug
// puts a new one there.
//
// A UART is the unit's device.BootIO (see ReadByteContext).
package uart

import (
	"errors"
	"fmt"
	"log/slog"
	"os"
	"strings"
	"sync"
	"syscall"
	"time"
)

// ErrPowerOff is returned for output that was dropped (or refused) because
// the unit has no power.
var ErrPowerOff = errors.New("uart: unit is powered off")

// ErrClosed is returned after Close.
var ErrClosed = errors.New("uart: closed")

// Config is the line setup.
type Config struct {
	// Baud is the line rate (default 115200).
	Baud int
	// DataBits (default 8), Parity ("", "none", "n": none; "even", "odd",
	// "mark", "space" or their first letters: one bit) and StopBits (default
	// 1) set how many bits one byte takes on the wire.
	DataBits int
	Parity   string
	StopBits int
	// Chunk is how much line time one write to the pty covers (default
	// 2ms): smaller is smoother, larger costs less CPU.
	Chunk time.Duration
	// RxBuffer bounds the input waiting to be read (default 64 KiB); more
	// is dropped, as a UART FIFO overruns.
	RxBuffer int
	// Tap, if set, is called after each chunk reached the pty, with the
	// bytes (valid only during the call) and the time they were written.
	// Benchmarks use it to time "the last byte of a marker".
	Tap func(p []byte, at time.Time)
	// Logger gets unexpected I/O errors (default: discarded).
	Logger *slog.Logger
}

// UART is one simulated serial port.
type UART struct {
	cfg    Config
	log    *slog.Logger
	bits   int
	chunkN time.Duration

	mu   sync.Mutex
	baud int
	on   bool

	// f and raw are the pty master the adapter is; nil while unplugged.
	// rxDone closes when the receiver of f has stopped.
	f      *os.File
	raw    syscall.RawConn
	rxDone chan struct{}
	// lost counts output bytes sent while unplugged.
	lost uint64

	// transmit side
	queue    []*segment
	headOff  int // bytes of queue[0] already on the wire
	epoch    uint64
	lineFree time.Time
	txWake   chan struct{}
	sent     uint64
	overruns uint64

	// receive side
	rx        []rxChunk
	rxLen     int
	rxNext    time.Time
	rxChanged chan struct{}
	rxDropped uint64
	received  uint64

	closed bool
	done   chan struct{}
	wg     sync.WaitGroup
}

type segment struct {
	data []byte
	done chan error
}

type rxChunk struct {
	data  []byte
	start time.Time // when data[0] started arriving
	bits  int64     // bits per byte at arrival
	baud  int64
}

// avail is when byte i of the chunk has fully arrived.
func (c rxChunk) avail(i int) time.Time {
	return c.start.Add(time.Duration(int64(i+1) * c.bits * int64(time.Second) / c.baud))
}

// availLast is when the chunk's last byte has fully arrived.
func (c rxChunk) availLast() time.Time { return c.avail(len(c.data) - 1) }

// New starts a UART on master (a pty master opened non-blocking, so
// deadlines work). The UART starts powered off. Close stops it; master
// stays open (its owner closes it).
func New(master *os.File, cfg Config) (*UART, error) {
	if cfg.Baud == 0 {
		cfg.Baud = 115200
	}
	if cfg.DataBits == 0 {
		cfg.DataBits = 8
	}
	if cfg.StopBits == 0 {
		cfg.StopBits = 1
	}
	if cfg.Chunk <= 0 {
		cfg.Chunk = 2 * time.Millisecond
	}
	if cfg.RxBuffer <= 0 {
		cfg.RxBuffer = 64 << 10
	}
	if cfg.Baud < 0 || cfg.DataBits < 5 || cfg.DataBits > 8 || cfg.StopBits > 2 || cfg.StopBits < 1 {
		return nil, fmt.Errorf("uart: bad line setup: %d baud, %d data bits, %d stop bits", cfg.Baud, cfg.DataBits, cfg.StopBits)
	}
	parity, err := parityBits(cfg.Parity)
	if err != nil {
		return nil, err
	}
	log := cfg.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	u := &UART{
		cfg: cfg, log: log,
		bits:      1 + cfg.DataBits + parity + cfg.StopBits,
		chunkN:    cfg.Chunk,
		baud:      cfg.Baud,
		txWake:    make(chan struct{}, 1),
		rxChanged: make(chan struct{}),
		done:      make(chan struct{}),
	}
	u.mu.Lock()
	err = u.plugLocked(master)
	u.mu.Unlock()
	if err != nil {
		return nil, err
	}
	u.wg.Add(1)
	go u.transmit()
	return u, nil
}

// plugLocked makes master the adapter and starts its receiver.
func (u *UART) plugLocked(master *os.File) error {
	raw, err := master.SyscallConn()
	if err != nil {
		return fmt.Errorf("uart: %w", err)
	}
	u.f, u.raw, u.rxDone = master, raw, make(chan struct{})
	u.wg.Add(1)
	go u.receive(master, u.rxDone)
	return nil
}

// ErrPlugged is Plug's error while an adapter is attached.
var ErrPlugged = errors.New("uart: an adapter is plugged in already")

// Unplug is the console's USB adapter pulled: the unit does not notice
// (its line keeps running at line rate, so output is paced as before), but
// every byte it sends until Plug is lost and nothing arrives from the
// harness. It returns once the UART no longer touches the pty master; the
// caller then closes it, which is what the harness's open port sees (a
// hangup). Unplugging an unplugged or closed UART does nothing.
func (u *UART) Unplug() {
	u.mu.Lock()
	f, done := u.f, u.rxDone
	u.f, u.raw, u.rxDone = nil, nil, nil
	u.mu.Unlock()
	if f == nil {
		return
	}
	// The receiver sees the deadline, finds f no longer its adapter and
	// stops without a warning.
	if err := f.SetReadDeadline(time.Now()); err != nil && !errors.Is(err, os.ErrClosed) {
		u.log.Warn("uart: set deadline", "err", err)
	}
	<-done
}

// Plug attaches master (a new adapter's pty master, opened non-blocking)
// after Unplug: output from now on reaches it, and input is read from it.
// Nothing sent meanwhile is replayed. The caller keeps owning master.
func (u *UART) Plug(master *os.File) error {
	u.mu.Lock()
	defer u.mu.Unlock()
	switch {
	case u.closed:
		return ErrClosed
	case u.f != nil:
		return ErrPlugged
	}
	return u.plugLocked(master)
}

// Plugged reports whether an adapter is attached.
func (u *UART) Plugged() bool {
	u.mu.Lock()
	defer u.mu.Unlock()
	return u.f != nil
}

// Lost is how many output bytes went out while no adapter was plugged in.
func (u *UART) Lost() uint64 {
	u.mu.Lock()
	defer u.mu.Unlock()
	return u.lost
}

func parityBits(p string) (int, error) {
	switch strings.ToLower(p) {
	case "", "n", "none":
		return 0, nil
	case "e", "even", "o", "odd", "m", "mark", "s", "space":
		return 1, nil
	}
	return 0, fmt.Errorf("uart: unknown parity %q", p)
}

// Close stops the UART's goroutines and fails pending writes. The pty is
// left open.
func (u *UART) Close() error {
	u.mu.Lock()
	if u.closed {
		u.mu.Unlock()
		return nil
	}
	u.closed = true
	u.dropQueueLocked(ErrClosed)
	close(u.done)
	f := u.f
	u.mu.Unlock()
	// Unblock the reader; the poller returns at once.
	if f != nil {
		if err := f.SetReadDeadline(time.Now()); err != nil && !errors.Is(err, os.ErrClosed) {
			u.log.Warn("uart: set deadline", "err", err)
		}
	}
	u.wg.Wait()
	return nil
}

// PowerOn powers the UART: input is accepted from now on, output flows.
func (u *UART) PowerOn() {
	u.mu.Lock()
	defer u.mu.Unlock()
	if u.on {
		return
	}
	u.on = true
	u.clearRxLocked()
	now := time.Now()
	u.lineFree, u.rxNext = now, now
}

// PowerOff is a power cut: every byte not yet on the wire is dropped at
// once, pending writes fail with ErrPowerOff, and input is ignored.
func (u *UART) PowerOff() {
	u.mu.Lock()
	defer u.mu.Unlock()
	if !u.on {
		return
	}
	u.on = false
	u.dropQueueLocked(ErrPowerOff)
	u.clearRxLocked()
}

// Powered reports whether the UART has power.
func (u *UART) Powered() bool {
	u.mu.Lock()
	defer u.mu.Unlock()
	return u.on
}

func (u *UART) dropQueueLocked(err error) {
	for _, s := range u.queue {
		s.done <- err
	}
	u.queue, u.headOff = nil, 0
	u.epoch++
	select {
	case u.txWake <- struct{}{}:
	default:
	}
}

// Baud is the current line rate.
func (u *UART) Baud() int {
	u.mu.Lock()
	defer u.mu.Unlock()
	return u.baud
}

// SetBaud changes the line rate for both directions from now on (as
// U-Boot's `loady addr baud` does). Bytes already queued go out at the new
// rate. A non-positive baud is ignored.
func (u *UART) SetBaud(baud int) {
	if baud <= 0 {
		return
	}
	u.mu.Lock()
	defer u.mu.Unlock()
	u.baud = baud
}

// Sent is how many bytes reached the pty so far.
func (u *UART) Sent() uint64 {
	u.mu.Lock()
	defer u.mu.Unlock()
	return u.sent
}

// Overruns is how many output bytes were lost because the pty buffer was
// full (nobody reading the slave), plus input bytes dropped because the
// receive buffer was full.
func (u *UART) Overruns() uint64 {
	u.mu.Lock()
	defer u.mu.Unlock()
	return u.overruns + u.rxDropped
}

// lineTime is how long n bytes take on the wire at baud.
func (u *UART) lineTimeLocked(n int) time.Duration {
	return time.Duration(int64(n) * int64(u.bits) * int64(time.Second) / int64(u.baud))
}
