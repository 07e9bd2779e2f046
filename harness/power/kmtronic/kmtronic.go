// Package kmtronic drives KMTronic USB/RS232 relay boards (driver
// "kmtronic").
package kmtronic

import (
	"context"
	"errors"
	"fmt"

	"github.com/camrig/camrig/harness/internal/bindcheck"
	"github.com/camrig/camrig/harness/power"
	"github.com/camrig/camrig/harness/power/serialboard"
)

// Driver kmtronic: KMTronic USB/RS232 relay boards (9600 8N1, binary).
//
//	power: {driver: kmtronic, port: /dev/ttyUSB0, channel: 1, baud: 9600, timeout: 1s}
//
// Wire format (KMTronic's published command table): on = FF nn 01,
// off = FF nn 00, with nn the relay number (1-8 on one board; the RS485
// families continue 09, 0A, ... for the next board ID). Set commands are not
// acknowledged: Set returns when the frame is written and drained.
//
// Get sends the per-relay status request FF nn 03 and parses the reply
// FF nn xx, xx = 01 on, 00 off (the one- and two-relay boards answer this).
// The four- and eight-relay USB boards answer only the all-relay request
// FF 09 00; on those the per-relay request goes unanswered, and, as with
// lcus, a board that sends nothing within the timeout is remembered as one
// without status and Get returns the last commanded state. Any other reply
// is an error quoting its bytes.

const kmtronicDefaultBaud = 9600

func init() {
	power.Register(power.Driver{Name: "kmtronic", Press: true, Open: openKMTronic, Check: checkKMTronic})
}

func checkKMTronic(cfg power.Config, _ bindcheck.Scope) bindcheck.Problems {
	ps := serialboard.CheckPort(cfg)
	ps.Err("channel", kmtronicChannel(cfg.Channel))
	return ps
}

func kmtronicChannel(ch int) error {
	if ch < 1 || ch > 254 {
		return fmt.Errorf("channel %d out of range 1-254", ch)
	}
	return nil
}

type kmtronicRelay struct {
	b    *serialboard.Board
	ch   int
	last power.Commanded
}

func openKMTronic(ctx context.Context, cfg power.Config, deps power.Deps) (power.Switch, error) {
	if err := kmtronicChannel(cfg.Channel); err != nil {
		return nil, fmt.Errorf("kmtronic:%s: %w", cfg.Port, err)
	}
	b, err := serialboard.Open(ctx, "kmtronic", cfg, deps, kmtronicDefaultBaud)
	if err != nil {
		return nil, err
	}
	return &kmtronicRelay{b: b, ch: cfg.Channel}, nil
}

func kmtronicFrame(ch int, on bool) []byte {
	if on {
		return []byte{0xFF, byte(ch), 0x01}
	}
	return []byte{0xFF, byte(ch), 0x00}
}

func (r *kmtronicRelay) String() string { return fmt.Sprintf("%s#%d", r.b.Name(), r.ch) }

// Set writes the frame; the board does not answer.
func (r *kmtronicRelay) Set(ctx context.Context, on bool) error {
	frame := kmtronicFrame(r.ch, on)
	err := r.b.Exchange(ctx, "relay "+power.State(on), func(ctx context.Context, l *serialboard.Link) error {
		return l.Write(ctx, frame)
	})
	if err != nil {
		return fmt.Errorf("%s: set %s (% x): %w", r, power.State(on), frame, err)
	}
	r.last.Remember(on)
	return nil
}

// Get asks the board (FF nn 03), or reports the commanded state on boards
// that do not answer it.
func (r *kmtronicRelay) Get(ctx context.Context) (bool, error) {
	return r.last.StatusOrFallback(ctx, r.b.Log(), r.String(), r.query)
}

func (r *kmtronicRelay) query(ctx context.Context) (bool, error) {
	var on bool
	err := r.b.Exchange(ctx, "status request", func(ctx context.Context, l *serialboard.Link) error {
		if err := l.Write(ctx, []byte{0xFF, byte(r.ch), 0x03}); err != nil {
			return err
		}
		buf, err := l.ReadUntil(ctx, func(p []byte) error {
			var perr error
			on, perr = parseKMTronicStatus(r.ch, p)
			return perr
		})
		switch {
		case err == nil:
			return nil
		case len(buf) == 0 && errors.Is(err, context.DeadlineExceeded):
			return power.ErrSilent
		}
		return fmt.Errorf("%w (board sent %s)", err, power.HexBytes(buf))
	})
	if err != nil {
		return false, fmt.Errorf("%s: status: %w", r, err)
	}
	return on, nil
}

// Close releases the reference on the board's port.
func (r *kmtronicRelay) Close() error { return r.b.Close() }

// parseKMTronicStatus parses the reply to FF ch 03: exactly FF ch 00|01.
// It returns serialboard.ErrNeedMore while fewer than three bytes have arrived.
func parseKMTronicStatus(ch int, b []byte) (bool, error) {
	if len(b) < 3 {
		if len(b) >= 1 && b[0] != 0xFF || len(b) >= 2 && b[1] != byte(ch) {
			return false, fmt.Errorf("reply does not start FF %02x", byte(ch))
		}
		return false, serialboard.ErrNeedMore
	}
	switch {
	case b[0] != 0xFF || b[1] != byte(ch):
		return false, fmt.Errorf("reply does not start FF %02x", byte(ch))
	case len(b) > 3:
		return false, fmt.Errorf("reply is %d bytes, want 3", len(b))
	case b[2] == 0x01:
		return true, nil
	case b[2] == 0x00:
		return false, nil
	}
	return false, fmt.Errorf("status byte %02x is neither 00 nor 01", b[2])
}
