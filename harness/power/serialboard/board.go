// Package serialboard is what the serial relay boards (numato, lcus,
// kmtronic) share: one open tty per path, reference-counted across the
// bindings of a process; a cross-process lock per device held for each
// transaction; a reader that turns received bytes into events; and a
// bounded exchange. A board package builds its commands and parses its
// replies on top; it never opens a tty itself.
package serialboard

import (
	"context"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/camrig/camrig/harness/clock"
	"github.com/camrig/camrig/harness/internal/bindcheck"
	"github.com/camrig/camrig/harness/power"
)

// DefaultTimeout bounds one command/reply exchange with a serial relay
// board when the binding sets no timeout. USB relay boards answer within a
// few milliseconds; a second is long enough for a loaded host and short
// enough that a dead board is reported promptly.
const DefaultTimeout = time.Second

// CheckPort checks what every serial board binding needs: a device path.
func CheckPort(cfg power.Config) bindcheck.Problems {
	var ps bindcheck.Problems
	ps.Err("port", bindcheck.DevicePath(cfg.Port))
	return ps
}

// Board is one binding's handle on a serial board: a pooled port, a name
// for errors ("numato:/dev/ttyACM0"), and the exchange timeout.
type Board struct {
	name    string
	port    *sharedPort
	timeout time.Duration
	clk     clock.Clock
	log     *slog.Logger

	closeOnce sync.Once
	closeErr  error
}

// Open takes a reference on cfg.Port and opens it at once (an empty
// transaction), so a missing or unreadable tty is reported by Open. driver
// names the board in errors; defaultBaud applies when cfg.Baud is 0.
func Open(ctx context.Context, driver string, cfg power.Config, deps power.Deps, defaultBaud int) (*Board, error) {
	deps = deps.WithDefaults()
	if cfg.Baud < 0 {
		return nil, fmt.Errorf("%s:%s: baud %d is negative", driver, cfg.Port, cfg.Baud)
	}
	timeout := cfg.Timeout
	if timeout == 0 {
		timeout = DefaultTimeout
	}
	if timeout < 0 {
		return nil, fmt.Errorf("%s:%s: timeout %v is negative", driver, cfg.Port, timeout)
	}
	name := driver + ":" + cfg.Port
	p, err := acquirePort(cfg.Port, cfg.Baud, defaultBaud, deps.Log)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	b := &Board{name: name, port: p, timeout: timeout, clk: deps.Clock, log: deps.Log}
	if err := b.Exchange(ctx, "open", func(context.Context, *Link) error { return nil }); err != nil {
		p.release()
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	return b, nil
}

// Exchange runs fn under the board's transaction lock with the exchange
// timeout applied (on the injected clock). what names the exchange in the
// deadline error ("relay on 1"). Its errors do not name the board: the
// switch or input calling it names itself, once.
func (b *Board) Exchange(ctx context.Context, what string, fn func(context.Context, *Link) error) error {
	return b.port.transact(ctx, b.clk, b.timeout, b.name, func(l *Link) error {
		// A timed edge (power.EdgeTiming) waits here, holding the board,
		// so no other transaction can delay its command past NotBefore.
		et := power.EdgeTimingFrom(ctx)
		if et != nil && et.Sent.IsZero() {
			if err := clock.WaitUntilPrecise(ctx, b.clk, et.NotBefore); err != nil {
				return err
			}
		}
		ctx, cancel := clock.WithTimeout(ctx, b.clk, b.timeout, "the board's reply to "+what)
		defer cancel()
		if et != nil && et.Sent.IsZero() {
			et.Sent = b.clk.Now()
		}
		return fn(ctx, l)
	})
}

// Close drops this binding's reference on the port; the last one closes it.
func (b *Board) Close() error {
	b.closeOnce.Do(func() { b.closeErr = b.port.release() })
	return b.closeErr
}

// Name names the board in errors and logs ("numato:/dev/ttyACM0").
func (b *Board) Name() string { return b.name }

// Clock is the injected clock the board's deadlines run on.
func (b *Board) Clock() clock.Clock { return b.clk }

// Log is the logger the board reports oddities to.
func (b *Board) Log() *slog.Logger { return b.log }
