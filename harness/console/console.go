package console

import (
	"context"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/camrig/camrig/harness/clock"
	"github.com/camrig/camrig/harness/timeline"
)

// Console is one open UART console. Its methods are safe for concurrent
// use; Expect, ReadContext and Skip share one cursor and run one at a time.
type Console struct {
	name string
	ep   endpoint
	clk  clock.Clock
	tl   *timeline.Timeline
	log  *slog.Logger
	tr   *Transcript
	red  redactor
	// quiet is WithLineQuiet's duration.
	quiet time.Duration

	// ctx ends when Close starts; it bounds reopening.
	ctx    context.Context
	cancel context.CancelFunc

	expMu  sync.Mutex // serialises cursor owners
	cursor int64      // guarded by expMu

	mu        sync.Mutex
	port      Port  // nil while disconnected or closed
	connErr   error // *DisconnectedError while disconnected
	lastDrop  *DisconnectedError
	drops     uint64 // disconnections so far
	closed    bool
	baud      int // current line rate (what SetBaud asked for last)
	openBaud  int // the rate the endpoint dials at
	stateCh   chan struct{}
	wq        chan writeReq
	readerEnd chan struct{}
}

// Open opens cfg.Port (see Config) and starts the console's reader.
// ctx bounds only the first open.
func Open(ctx context.Context, cfg Config, opts ...Option) (*Console, error) {
	cfg, err := cfg.withDefaults()
	if err != nil {
		return nil, err
	}
	o := buildOptions(opts)
	ep, err := endpointFor(cfg, o)
	if err != nil {
		return nil, err
	}
	return start(ctx, ep, cfg.Baud, o)
}

// Dial makes a Console over any Port: dial opens it, and opens it again
// after a disconnection. name is how errors and the timeline refer to it.
// consoletest uses this to put a Console over an in-memory device.
func Dial(ctx context.Context, name string, dial DialFunc, opts ...Option) (*Console, error) {
	return start(ctx, endpoint{name: name, dial: dial}, 0, buildOptions(opts))
}

func start(ctx context.Context, ep endpoint, baud int, o options) (*Console, error) {
	p, err := ep.dial(ctx)
	if err != nil {
		return nil, err
	}
	if d, ok := p.(InputDiscarder); ok && o.fresh {
		// Before the reader starts, so nothing queued can slip past it.
		if err := d.DiscardInput(); err != nil {
			p.Close()
			return nil, fmt.Errorf("console %s: discarding what the port held: %w", ep.name, err)
		}
	}
	c := &Console{
		name:      ep.name,
		ep:        ep,
		clk:       o.clk,
		tl:        o.tl,
		log:       o.log.With("port", ep.name),
		tr:        newTranscript(ep.name, o),
		red:       newRedactor(o.secrets),
		quiet:     o.quiet,
		port:      p,
		baud:      baud,
		openBaud:  baud,
		stateCh:   make(chan struct{}),
		wq:        make(chan writeReq),
		readerEnd: make(chan struct{}),
	}
	c.ctx, c.cancel = context.WithCancel(context.Background())
	c.mark("open", "")
	go c.readLoop(p)
	go c.writeLoop()
	return c, nil
}

// Name is the port as configured.
func (c *Console) Name() string { return c.name }

// Transcript is everything received so far, with arrival times.
func (c *Console) Transcript() *Transcript { return c.tr }

// Connected reports whether the port is open now.
func (c *Console) Connected() bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.port != nil
}

// WaitConnected returns once the port is open (at once if it is), or the
// reason ctx ended. After a disconnection, callers use it to wait for the
// console to reopen before they Expect again.
func (c *Console) WaitConnected(ctx context.Context) error {
	for {
		c.mu.Lock()
		ok, closed, ch := c.port != nil, c.closed, c.stateCh
		c.mu.Unlock()
		switch {
		case closed:
			return fmt.Errorf("console %s: %w", c.name, ErrClosed)
		case ok:
			return nil
		}
		select {
		case <-ch:
		case <-ctx.Done():
			return fmt.Errorf("console %s: waiting to reopen: %w", c.name, context.Cause(ctx))
		}
	}
}

// Close stops the reader, closes the port and makes every pending and later
// call fail with ErrClosed. The transcript stays readable.
func (c *Console) Close() error {
	c.mu.Lock()
	if c.closed {
		c.mu.Unlock()
		return nil
	}
	c.closed = true
	p := c.port
	c.port = nil
	c.changedLocked()
	c.mu.Unlock()
	c.cancel()
	var err error
	if p != nil {
		err = p.Close()
	}
	<-c.readerEnd
	c.mark("close", "")
	if err != nil {
		return fmt.Errorf("console %s: close: %w", c.name, err)
	}
	return nil
}

// changedLocked wakes everyone waiting on the console's state.
func (c *Console) changedLocked() {
	close(c.stateCh)
	c.stateCh = make(chan struct{})
}

// state returns the channel closed by the next state change and the error
// that ends a wait begun when drops was drops0: closed, disconnected now, or
// disconnected (and maybe back) since.
func (c *Console) state(drops0 uint64) (<-chan struct{}, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	switch {
	case c.closed:
		return c.stateCh, ErrClosed
	case c.connErr != nil:
		return c.stateCh, c.connErr
	case c.drops != drops0:
		// It dropped and came back while we waited: bytes may be missing,
		// so the wait cannot be trusted.
		return c.stateCh, c.lastDrop
	}
	return c.stateCh, nil
}

func (c *Console) dropCount() uint64 {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.drops
}

// mark records a console event on the timeline (if any).
func (c *Console) mark(kind, detail string) {
	c.markAt(c.clk.Now(), kind, detail, nil)
}

func (c *Console) markAt(at time.Time, kind, detail string, attrs map[string]string) {
	if c.tl == nil {
		return
	}
	if attrs == nil {
		attrs = map[string]string{}
	}
	attrs["port"] = c.name
	c.tl.Add(timeline.Event{At: at, Source: timeline.Console, Kind: kind, Detail: string(c.red.apply([]byte(detail))), Attrs: attrs})
}
