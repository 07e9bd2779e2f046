package procedure

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/camrig/camrig/harness/console"
)

// Reconnector is a console whose port can go away and come back (a USB
// adapter pulled and plugged in again); a *console.Console is one. A boot
// awaited on such a console waits through a disconnection for the port to
// return, within the boot deadline.
type Reconnector interface {
	WaitConnected(ctx context.Context) error
}

// ConsoleGap is one disconnection of a unit's console during a boot. Up
// is zero if the console had not come back when the wait ended.
type ConsoleGap struct {
	Down, Up time.Time
}

// ErrConsoleGap matches (errors.Is) every *ConsoleGapError.
var ErrConsoleGap = errors.New("the console was disconnected during the boot")

// ConsoleGapError says a boot cannot be judged because its console was
// disconnected while it was awaited: what the unit said while the port was
// away is lost, so a factory-reset or failure marker among it would have
// gone unseen. The boot may well have come up (Ready): a verdict built on
// the markers it saw would still be a guess.
type ConsoleGapError struct {
	Unit string
	Port string
	// Gaps are the disconnections, in order.
	Gaps []ConsoleGap
	// Ready: the boot-ready marker came after the last gap, ReadyAfter
	// the start of the boot.
	Ready      bool
	ReadyAfter time.Duration
	// Err is what ended the wait when the marker did not come (the
	// console not back, or the deadline after it came back).
	Err error
}

func (e *ConsoleGapError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s's boot cannot be judged: its console %s was disconnected ", e.Unit, e.Port)
	for i, g := range e.Gaps {
		if i > 0 {
			b.WriteString(" and ")
		}
		if g.Up.IsZero() {
			fmt.Fprintf(&b, "from %s and did not come back", g.Down.Format(gapTime))
			continue
		}
		fmt.Fprintf(&b, "from %s to %s (%v)", g.Down.Format(gapTime), g.Up.Format(gapTime), g.Up.Sub(g.Down).Round(time.Millisecond))
	}
	b.WriteString("; what the unit said meanwhile is lost (a factory-reset or failure marker there would go unseen)")
	switch {
	case e.Ready:
		fmt.Fprintf(&b, "; the boot-ready marker came after it, %v after the boot began", e.ReadyAfter.Round(time.Millisecond))
	case e.Err != nil:
		fmt.Fprintf(&b, "; no boot-ready marker after it: %v", e.Err)
	}
	return b.String()
}

// Is makes errors.Is(err, ErrConsoleGap) hold.
func (e *ConsoleGapError) Is(target error) bool { return target == ErrConsoleGap }

func (e *ConsoleGapError) Unwrap() error { return e.Err }

// gapTime is how a gap's ends are written (the console transcript's gap
// line writes them so too).
const gapTime = "15:04:05.000"

// waitOutGap waits for u's console to come back after err, an Expect
// ending on a disconnection of the port. It returns the gap, the port, and
// whether the console is back (else the error that ended the wait); no
// port when err is not a disconnection of a console that reconnects.
func (u *Unit) waitOutGap(ctx context.Context, err error) (ConsoleGap, string, bool, error) {
	var de *console.DisconnectedError
	rc, ok := u.Console.(Reconnector)
	if !ok || !errors.As(err, &de) {
		return ConsoleGap{}, "", false, err
	}
	gap := ConsoleGap{Down: de.Since}
	u.step("boot-console-lost", de.Port+": waiting for it to come back within the boot deadline")
	if werr := rc.WaitConnected(ctx); werr != nil {
		return gap, de.Port, false, werr
	}
	gap.Up = u.Clock.Now()
	return gap, de.Port, true, nil
}
