package serialboard

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"path/filepath"
	"sync"
	"time"

	"go.bug.st/serial"

	"github.com/camrig/camrig/harness/clock"
	"github.com/camrig/camrig/harness/internal/ttyread"
	"github.com/camrig/camrig/harness/power"
)

// One relay board usually carries several bindings of a rig (a unit's power
// on channel 0, its solenoid on channel 1, its LED on GPIO 0), all behind one
// tty. A tty can only be opened once sensibly, and two bindings talking at
// the same time would interleave their commands and steal each other's
// replies. So every serial backend goes through this pool: one open port per
// path, reference counted, and one transaction at a time on it.

// rxLimit caps the bytes a port keeps between transactions; a chatty board
// cannot grow memory without bound.
const rxLimit = 64 << 10

var (
	poolMu sync.Mutex
	pool   = map[string]*sharedPort{}
)

// sharedPort is one tty shared by every binding that names it.
type sharedPort struct {
	key  string // cleaned path: the pool key
	path string // as configured: what is opened
	baud int
	refs int // guarded by poolMu

	// sem is the transaction lock; a channel so waiting for it honours ctx.
	sem chan struct{}
	// link is the open port; only the sem holder touches it.
	link *Link
	log  *slog.Logger
}

// acquirePort returns the pool's port for path (a new reference). It does not
// open the tty; the first transaction does (backends run an empty one from
// their Open so a wrong path fails at rig.Open, not mid-procedure).
// A binding that names no baud (0) shares the port at whatever rate it is
// open at, or opens it at defaultBaud; one that names a different rate than
// the open port is refused.
func acquirePort(path string, baud, defaultBaud int, log *slog.Logger) (*sharedPort, error) {
	if path == "" {
		return nil, errors.New("no port given")
	}
	key := filepath.Clean(path)
	poolMu.Lock()
	defer poolMu.Unlock()
	if p, ok := pool[key]; ok {
		if baud != 0 && p.baud != baud {
			return nil, fmt.Errorf("port %s is already open at %d baud; a binding asks for %d", path, p.baud, baud)
		}
		p.refs++
		return p, nil
	}
	if baud == 0 {
		baud = defaultBaud
	}
	p := &sharedPort{key: key, path: path, baud: baud, refs: 1, sem: make(chan struct{}, 1), log: log}
	pool[key] = p
	return p, nil
}

// release drops one reference; the last one closes the port.
func (p *sharedPort) release() error {
	poolMu.Lock()
	p.refs--
	last := p.refs == 0
	if last {
		delete(pool, p.key)
	}
	poolMu.Unlock()
	if !last {
		return nil
	}
	// The last user is gone, but a transaction of it may still be running
	// (Close racing a Set): wait for the lock, briefly.
	p.sem <- struct{}{}
	defer func() { <-p.sem }()
	if p.link != nil {
		err := p.link.close()
		p.link = nil
		return err
	}
	return nil
}

// lockWait bounds how long a transaction waits for another binding's
// transaction on the same port, as a multiple of the exchange timeout.
const lockWaitFactor = 4

// transact runs fn with the port open and locked. board names the caller in
// logs; errors do not name it (the switch that called names itself once). Stale bytes (late replies, unsolicited output) are dropped first
// and logged. If fn leaves the link broken, or the reader found the port
// gone, the port is closed and the next transaction reopens it.
func (p *sharedPort) transact(ctx context.Context, clk clock.Clock, timeout time.Duration, board string, fn func(*Link) error) error {
	lctx, cancel := clock.WithTimeout(ctx, clk, lockWaitFactor*timeout, "the port (another binding of this process is using it)")
	select {
	case p.sem <- struct{}{}:
		cancel()
	case <-lctx.Done():
		cancel()
		return fmt.Errorf("port busy: %w", context.Cause(lctx))
	}
	defer func() { <-p.sem }()
	lockCtx, cancelLock := clock.WithTimeout(ctx, clk, lockWaitFactor*timeout, "the board lock (another process is using the board)")
	unlock, err := lockDevice(lockCtx, p.path)
	cancelLock()
	if err != nil {
		return fmt.Errorf("board busy: %w", err)
	}
	defer unlock()
	// The tty is open only for this transaction: another process may be
	// the next to talk to the board.
	defer func() {
		if p.link != nil {
			p.link.close()
			p.link = nil
		}
	}()

	if p.link != nil && p.link.failed() != nil {
		p.log.Warn("serial port failed; reopening", "board", board, "err", p.link.failed())
		p.link.close()
		p.link = nil
	}
	if p.link == nil {
		l, err := openLink(p.path, p.baud)
		if err != nil {
			return fmt.Errorf("open: %w", err)
		}
		p.link = l
	}
	if stale := p.link.Take(); len(stale) > 0 {
		p.log.Debug("dropped unsolicited bytes", "board", board, "bytes", power.QuoteBytes(stale))
	}
	return fn(p.link)
}

// Link is one open port plus a reader goroutine that collects
// everything the board sends, so a transaction waits for bytes as events
// (no polling, no read timeouts) and can give up the moment ctx ends.
type Link struct {
	port serial.Port
	rx   io.ReadCloser

	mu      sync.Mutex
	buf     []byte
	err     error         // why the reader stopped
	changed chan struct{} // closed and replaced whenever buf or err changes
	bad     bool          // a write went wrong: close after this transaction
	done    chan struct{} // closed when the reader exits
}

func openLink(path string, baud int) (*Link, error) {
	// Replies are read through the runtime's poller (harness/internal/
	// ttyread), opened before the serial package makes the tty exclusive:
	// a reader parked in select(2) can leave the board's reply, and on the
	// virtual rig the board itself, waiting for a processor.
	rx, err := ttyread.Open(path)
	if err != nil {
		return nil, err
	}
	port, err := serial.Open(path, &serial.Mode{BaudRate: baud, DataBits: 8, Parity: serial.NoParity, StopBits: serial.OneStopBit})
	if err != nil {
		rx.Close()
		return nil, err
	}
	// Whatever the board said while nobody had the port open (the tail of
	// another process's exchange) is not a reply to us. Best effort: the
	// stale-byte check of transact still drops what a flush missed.
	_ = port.ResetInputBuffer()
	l := &Link{port: port, rx: rx, changed: make(chan struct{}), done: make(chan struct{})}
	go l.readLoop()
	return l, nil
}

func (l *Link) readLoop() {
	defer close(l.done)
	b := make([]byte, 512)
	for {
		n, err := l.rx.Read(b)
		if n == 0 && err == nil {
			// Only a read timeout returns (0, nil) and none is set; treat
			// it as the port going away rather than spin.
			err = errors.New("read returned nothing")
		}
		l.mu.Lock()
		if n > 0 {
			l.buf = append(l.buf, b[:n]...)
			if over := len(l.buf) - rxLimit; over > 0 {
				l.buf = append(l.buf[:0], l.buf[over:]...)
			}
		}
		if err != nil {
			l.err = fmt.Errorf("read: %w", err)
		}
		ch := l.changed
		l.changed = make(chan struct{})
		l.mu.Unlock()
		close(ch)
		if err != nil {
			return
		}
	}
}

// Take returns and forgets everything received so far.
func (l *Link) Take() []byte {
	l.mu.Lock()
	defer l.mu.Unlock()
	b := l.buf
	l.buf = nil
	return b
}

func (l *Link) failed() error {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.err
}

func (l *Link) broken() bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.bad || l.err != nil
}

func (l *Link) close() error {
	err := errors.Join(l.rx.Close(), l.port.Close())
	<-l.done
	return err
}

// Write sends p and waits until the driver has handed it on (Drain). The
// serial package has no write timeout, so the write runs aside and ctx
// bounds the wait; a write that does not finish marks the link broken so the
// port is reopened (a stuck USB adapter is closed; the stuck goroutine ends
// with it or, at worst, stays parked on a dead fd).
func (l *Link) Write(ctx context.Context, p []byte) error {
	res := make(chan error, 1)
	go func() {
		n, err := l.port.Write(p)
		if err == nil && n != len(p) {
			err = fmt.Errorf("short write: %d of %d bytes", n, len(p))
		}
		if err == nil {
			err = l.port.Drain()
		}
		res <- err
	}()
	var err error
	select {
	case err = <-res:
	case <-ctx.Done():
		select {
		case err = <-res: // finished as ctx ended: the write counts
		default:
			l.markBad()
			return fmt.Errorf("write did not complete: %w", context.Cause(ctx))
		}
	}
	if err != nil {
		l.markBad()
		return fmt.Errorf("write: %w", err)
	}
	return nil
}

func (l *Link) markBad() {
	l.mu.Lock()
	l.bad = true
	l.mu.Unlock()
}

// ErrNeedMore is what a reply parser returns while the reply is incomplete.
var ErrNeedMore = errors.New("reply incomplete")

// ReadUntil waits until complete accepts the bytes received so far (it
// returns ErrNeedMore while it wants more). It returns the bytes it saw, also
// on error, so the caller can quote them. The bytes are consumed.
func (l *Link) ReadUntil(ctx context.Context, complete func([]byte) error) ([]byte, error) {
	for {
		l.mu.Lock()
		buf := append([]byte(nil), l.buf...)
		rerr := l.err
		ch := l.changed
		l.mu.Unlock()
		err := complete(buf)
		if err == nil {
			l.Take()
			return buf, nil
		}
		if !errors.Is(err, ErrNeedMore) {
			l.Take()
			return buf, err
		}
		if rerr != nil {
			return buf, rerr
		}
		select {
		case <-ch:
		case <-ctx.Done():
			return buf, context.Cause(ctx)
		}
	}
}

// WaitMore waits until more than have bytes are buffered, or ctx ends.
func (l *Link) WaitMore(ctx context.Context, have int) error {
	for {
		l.mu.Lock()
		n, rerr, ch := len(l.buf), l.err, l.changed
		l.mu.Unlock()
		if n > have {
			return nil
		}
		if rerr != nil {
			return rerr
		}
		select {
		case <-ch:
		case <-ctx.Done():
			return context.Cause(ctx)
		}
	}
}
