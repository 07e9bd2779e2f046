// Package kmtronic drives KMTronic USB/RS232 relay boards (driver
// "kmtronic").
package kmtronic

import (
	"context"
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

func openKMTronic(ctx context.Context, cfg power.Config, deps power.Deps) (power.Switch, error) {
	if err := kmtronicChannel(cfg.Channel); err != nil {
		return nil, fmt.Errorf("kmtronic:%s: %w", cfg.Port, err)
	}
	b, err := serialboard.Open(ctx, "kmtronic", cfg, deps, kmtronicDefaultBaud)
	if err != nil {
		return nil, err
	}
	return serialboard.NewFrameRelay(b, cfg.Channel, protocol), nil
}

func kmtronicFrame(ch int, on bool) []byte {
	if on {
		return []byte{0xFF, byte(ch), 0x01}
	}
	return []byte{0xFF, byte(ch), 0x00}
}

// protocol is what this board family puts on the wire.
var protocol = serialboard.FrameProtocol{
	Frame:     kmtronicFrame,
	Query:     func(ch int) []byte { return []byte{0xFF, byte(ch), 0x03} },
	QueryName: "status request",
	Parse:     parseKMTronicStatus,
	Quote:     power.HexBytes,
}

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
