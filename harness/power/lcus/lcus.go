// Package lcus drives LCUS-type USB relay boards (driver "lcus").
package lcus

import (
	"bytes"
	"context"
	"fmt"
	"regexp"
	"strconv"

	"github.com/camrig/camrig/harness/internal/bindcheck"
	"github.com/camrig/camrig/harness/power"
	"github.com/camrig/camrig/harness/power/serialboard"
)

// Driver lcus: LCUS-type USB relay boards (CH340 serial, 9600 8N1, binary).
//
//	power: {driver: lcus, port: /dev/ttyUSB0, channel: 1, baud: 9600, timeout: 1s}
//
// Wire format: set = A0 ch state sum, state 01 on / 00 off, sum =
// (A0+ch+state) mod 256; channel 1 on is A0 01 01 A2. The board sends no
// acknowledgement, so Set returns when the frame has been written and
// drained to the adapter: that moment is the edge's timestamp.
//
// Get sends the status query FF. Boards that support it answer one line per
// channel, "CH1:OFF\r\nCH2:ON\r\n..." (case and spaces tolerated); the line
// for the binding's channel is the state. A board that sends nothing within
// the timeout is remembered as one without status, and from then on Get
// returns the state this binding last commanded (an error if it commanded
// nothing yet). A board that answers something else is an error quoting it.

const lcusDefaultBaud = 9600

func init() {
	power.Register(power.Driver{Name: "lcus", Press: true, Open: openLCUS, Check: checkLCUS})
}

func checkLCUS(cfg power.Config, _ bindcheck.Scope) bindcheck.Problems {
	ps := serialboard.CheckPort(cfg)
	ps.Err("channel", lcusChannel(cfg.Channel))
	return ps
}

func lcusChannel(ch int) error {
	if ch < 1 || ch > 8 {
		return fmt.Errorf("channel %d out of range 1-8", ch)
	}
	return nil
}

func openLCUS(ctx context.Context, cfg power.Config, deps power.Deps) (power.Switch, error) {
	if err := lcusChannel(cfg.Channel); err != nil {
		return nil, fmt.Errorf("lcus:%s: %w", cfg.Port, err)
	}
	b, err := serialboard.Open(ctx, "lcus", cfg, deps, lcusDefaultBaud)
	if err != nil {
		return nil, err
	}
	return serialboard.NewFrameRelay(b, cfg.Channel, protocol), nil
}

// lcusFrame is the set command for ch.
func lcusFrame(ch int, on bool) []byte {
	st := byte(0)
	if on {
		st = 1
	}
	return []byte{0xA0, byte(ch), st, 0xA0 + byte(ch) + st}
}

// protocol is what this board family puts on the wire.
var protocol = serialboard.FrameProtocol{
	Frame:     lcusFrame,
	Query:     func(int) []byte { return []byte{0xFF} },
	QueryName: "status query",
	Parse:     parseLCUSStatus,
	Quote:     power.QuoteBytes,
}

var lcusLine = regexp.MustCompile(`(?i)^\s*CH\s*(\d+)\s*:\s*(ON|OFF)\s*$`)

// lcusStatusLimit is how much status text is read looking for the channel.
const lcusStatusLimit = 256

// parseLCUSStatus finds channel ch in a status reply. It returns serialboard.ErrNeedMore
// until the channel's line is complete.
func parseLCUSStatus(ch int, b []byte) (bool, error) {
	lines := bytes.FieldsFunc(b, func(c rune) bool { return c == '\r' || c == '\n' })
	complete := len(lines)
	if len(b) > 0 && b[len(b)-1] != '\r' && b[len(b)-1] != '\n' {
		complete--
	}
	for _, line := range lines[:max(complete, 0)] {
		m := lcusLine.FindSubmatch(line)
		if m == nil {
			return false, fmt.Errorf("status line %q is not CHn:ON|OFF", line)
		}
		n, err := strconv.Atoi(string(m[1]))
		if err != nil {
			return false, fmt.Errorf("status line %q: %w", line, err)
		}
		if n == ch {
			return bytes.EqualFold(m[2], []byte("ON")), nil
		}
	}
	if len(b) > lcusStatusLimit {
		return false, fmt.Errorf("no status line for CH%d in %d bytes", ch, len(b))
	}
	return false, serialboard.ErrNeedMore
}
