package ymodem

import (
	"log/slog"
	"time"

	"github.com/camrig/camrig/harness/clock"
)

// Defaults follow ymodem.txt: the receiver may take up to a minute to start,
// a block is answered within 10 s, every error is retried 10 times.
const (
	DefaultStartTimeout = 60 * time.Second
	DefaultAckTimeout   = 10 * time.Second
	DefaultRetries      = 10
	// DefaultFinalAckTimeout bounds the wait for the ACK of the
	// end-of-batch block 0 (see WithFinalAckTimeout).
	DefaultFinalAckTimeout = time.Second
	// DefaultMinGrace is the least time the sender waits after block 0 for
	// the receiver's 'C' before starting the data anyway (see
	// WithStartGrace), and the least settling time after a retransmission.
	DefaultMinGrace = 5 * time.Millisecond
)

// ProgressFunc is told how many payload bytes the receiver has acknowledged
// so far, out of total. It is called from the sending goroutine: keep it
// quick.
type ProgressFunc func(sent, total int64)

// Option configures a Sender.
type Option func(*config)

type config struct {
	clk             clock.Clock
	startTimeout    time.Duration
	ackTimeout      time.Duration
	finalAckTimeout time.Duration
	retries         int
	grace           time.Duration // 0: adaptive
	noGrace         bool          // block 1 follows block 0's ACK at once
	progress        ProgressFunc
	log             *slog.Logger
	small           bool
}

func newConfig(opts []Option) config {
	c := config{
		startTimeout:    DefaultStartTimeout,
		ackTimeout:      DefaultAckTimeout,
		finalAckTimeout: DefaultFinalAckTimeout,
		retries:         DefaultRetries,
		log:             slog.New(slog.DiscardHandler),
	}
	for _, o := range opts {
		o(&c)
	}
	c.clk = clock.OrReal(c.clk)
	return c
}

// WithClock sets the clock all timeouts run on (default the wall clock).
func WithClock(c clock.Clock) Option { return func(cf *config) { cf.clk = c } }

// WithStartTimeout is how long to wait for the receiver's first 'C' or NAK.
func WithStartTimeout(d time.Duration) Option {
	return func(c *config) {
		if d > 0 {
			c.startTimeout = d
		}
	}
}

// WithAckTimeout is how long to wait for the answer to a block (or EOT)
// before sending it again.
func WithAckTimeout(d time.Duration) Option {
	return func(c *config) {
		if d > 0 {
			c.ackTimeout = d
		}
	}
}

// WithFinalAckTimeout is how long to wait for the ACK of the empty block 0
// that ends a YMODEM batch. Silence that long counts as done (the file has
// been acknowledged by then); a NAK or 'C' still gets the block again.
func WithFinalAckTimeout(d time.Duration) Option {
	return func(c *config) {
		if d > 0 {
			c.finalAckTimeout = d
		}
	}
}

// WithRetries is how many times a block is sent again (after a NAK or a
// timeout) before the sender gives up. Negative values are ignored.
func WithRetries(n int) Option {
	return func(c *config) {
		if n >= 0 {
			c.retries = n
		}
	}
}

// WithStartGrace fixes how long the sender waits, after block 0 is
// acknowledged, for the 'C' that asks for the data. Spec receivers send it
// right behind the ACK; U-Boot never does (it only repeats 'C' after its
// own 2 s timeout), so waiting for it would cost seconds per transfer. By
// default the grace is a quarter of block 0's round trip (which includes
// the line's latency both ways), at least DefaultMinGrace. A 'C' that comes
// later is recognised as the late request it is, never as a refusal.
func WithStartGrace(d time.Duration) Option {
	return func(c *config) {
		if d > 0 {
			c.grace = d
		}
	}
}

// WithoutStartGrace is for U-Boot's loady (its xyzModem acknowledges block 0
// and goes straight on to read block 1, never asking for it with a 'C'):
// block 1 follows block 0's ACK at once instead of after the start grace
// (see WithStartGrace), which into loady is only waiting. A 'C' that comes
// anyway, during block 1, is still taken as the late request it is. Not for
// receivers that flush their input after sending that 'C' (lrzsz rb does):
// the start of block 1 would be lost and the block sent again.
func WithoutStartGrace() Option { return func(c *config) { c.noGrace = true } }

// WithProgress registers a progress callback.
func WithProgress(f ProgressFunc) Option { return func(c *config) { c.progress = f } }

// WithLogger logs retransmissions and the end of a transfer at debug level.
func WithLogger(l *slog.Logger) Option {
	return func(c *config) {
		if l != nil {
			c.log = l
		}
	}
}

// With128ByteBlocks makes XMODEM-1K and YMODEM use 128-byte blocks only, for
// receivers that cannot take 1024-byte ones.
func With128ByteBlocks() Option { return func(c *config) { c.small = true } }
