package power

import (
	"context"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/camrig/camrig/harness/clock"
	"github.com/camrig/camrig/harness/internal/bindcheck"
)

// DefaultSerialTimeout bounds one command/reply exchange with a serial relay
// board when the binding sets no timeout. USB relay boards answer within a
// few milliseconds; a second is long enough for a loaded host and short
// enough that a dead board is reported promptly.
const DefaultSerialTimeout = time.Second

// checkSerialPort checks what every serial board binding needs: a device
// path and a rate that is not negative.
func checkSerialPort(cfg Config) bindcheck.Problems {
	var ps bindcheck.Problems
	ps.Err("port", bindcheck.DevicePath(cfg.Port))
	return ps
}

// serialBoard is what the serial backends share: a pooled port, a name for
// errors ("numato:/dev/ttyACM0"), and the exchange timeout.
type serialBoard struct {
	name    string
	port    *sharedPort
	timeout time.Duration
	clk     clock.Clock
	log     *slog.Logger

	closeOnce sync.Once
	closeErr  error
}

// openSerialBoard takes a reference on cfg.Port and opens it at once (an
// empty transaction), so a missing or unreadable tty is reported by Open.
func openSerialBoard(ctx context.Context, driver string, cfg Config, deps Deps, defaultBaud int) (*serialBoard, error) {
	if cfg.Baud < 0 {
		return nil, fmt.Errorf("%s:%s: baud %d is negative", driver, cfg.Port, cfg.Baud)
	}
	timeout := cfg.Timeout
	if timeout == 0 {
		timeout = DefaultSerialTimeout
	}
	if timeout < 0 {
		return nil, fmt.Errorf("%s:%s: timeout %v is negative", driver, cfg.Port, timeout)
	}
	name := driver + ":" + cfg.Port
	p, err := acquirePort(cfg.Port, cfg.Baud, defaultBaud, deps.Log)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	b := &serialBoard{name: name, port: p, timeout: timeout, clk: deps.Clock, log: deps.Log}
	if err := b.exchange(ctx, "open", func(context.Context, *serialLink) error { return nil }); err != nil {
		p.release()
		return nil, err
	}
	return b, nil
}

// exchange runs fn under the board's transaction lock with the exchange
// timeout applied (on the injected clock). what names the exchange in the
// deadline error ("relay on 1").
func (b *serialBoard) exchange(ctx context.Context, what string, fn func(context.Context, *serialLink) error) error {
	return b.port.transact(ctx, b.clk, b.timeout, b.name, func(l *serialLink) error {
		ctx, cancel := clock.WithTimeout(ctx, b.clk, b.timeout, b.name+" reply to "+what)
		defer cancel()
		return fn(ctx, l)
	})
}

// Close drops this binding's reference on the port; the last one closes it.
func (b *serialBoard) Close() error {
	b.closeOnce.Do(func() { b.closeErr = b.port.release() })
	return b.closeErr
}

// withDefaults fills what Open fills, for constructors called directly
// (OpenNumatoGPIO) rather than through the registry.
func (d Deps) withDefaults() Deps {
	if d.Clock == nil {
		d.Clock = clock.Real{}
	}
	if d.Log == nil {
		d.Log = slog.Default()
	}
	return d
}
