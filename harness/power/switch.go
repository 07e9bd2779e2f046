// Package power switches one power line of a unit (a relay channel, a smart
// plug, a PoE port). It holds the Switch interface, Cycle and the timeline
// recording (once, so no backend re-implements them) and the driver
// registry. Each backend family lives in a package of its own below this
// one (numato, lcus and kmtronic on serialboard; plug; snmppoe; execswitch;
// gpioline; qemuvm) and registers itself; harness/drivers links them all.
package power

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/camrig/camrig/harness/clock"
	"github.com/camrig/camrig/harness/timeline"
)

// Switch sets and reads one power line. Implementations must be bounded by
// ctx and must name the board and channel in their errors (once: the layers
// below a switch do not repeat it, and callers say what they were doing
// without naming the switch again); they must never put a credential in an
// error.
type Switch interface {
	// Set drives the line on or off and returns once the board acknowledged.
	Set(ctx context.Context, on bool) error
	// Get reads the line's state back from the board.
	Get(ctx context.Context) (bool, error)
	// String names the board and channel, e.g. "numato:/dev/ttyACM0#0".
	String() string
}

// Pulser is implemented by switches whose hardware can revert a state by
// itself (Tasmota PulseTime, Shelly timer / toggle_after). Pulse drives the
// line to on and arms the device to return it to !on after the given time,
// so the line is released even if this process dies before it can send the
// opposite command. A press arms it as a backstop and still releases the line
// itself at the requested hold.
type Pulser interface {
	Pulse(ctx context.Context, on bool, after time.Duration) error
}

// ErrDeviceReply marks a device that answered, but not with what its
// protocol promises (wrong JSON, an HTTP error status, an SNMP error).
// Such errors are never retried: asking again gets the same answer.
var ErrDeviceReply = errors.New("unexpected reply")

// Closer is implemented by switches that hold a port or connection.
type Closer interface{ Close() error }

// State renders a line state for humans and timelines.
func State(on bool) string {
	if on {
		return "on"
	}
	return "off"
}

// SetRecorded calls sw.Set and records the edge on tl with the time the
// board acknowledged it.
func SetRecorded(ctx context.Context, sw Switch, on bool, clk clock.Clock, tl *timeline.Timeline) error {
	start := clk.Now()
	if err := sw.Set(ctx, on); err != nil {
		tl.Mark(start, timeline.Power, "error", fmt.Sprintf("%s: %v", State(on), err))
		return err
	}
	tl.Add(timeline.Event{At: clk.Now(), Source: timeline.Power, Kind: State(on), Detail: sw.String(),
		Attrs: map[string]string{"requested_at": start.Format(time.RFC3339Nano)}})
	return nil
}

// Cycle turns sw off, keeps it off for off (already scaled by the caller's
// timescale) and turns it on again. If ctx ends while the line is off the
// line is left off: off is every rig's safe state, and turning a unit on
// during an aborted run is what a lab would not expect.
func Cycle(ctx context.Context, sw Switch, off time.Duration, clk clock.Clock, tl *timeline.Timeline) error {
	if err := SetRecorded(ctx, sw, false, clk, tl); err != nil {
		return fmt.Errorf("cycle: off: %w", err)
	}
	if err := clock.Wait(ctx, clk, off); err != nil {
		return fmt.Errorf("cycle %s: interrupted while off: %w", sw, err)
	}
	if err := SetRecorded(ctx, sw, true, clk, tl); err != nil {
		return fmt.Errorf("cycle: on: %w", err)
	}
	return nil
}
