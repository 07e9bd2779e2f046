package console

import (
	"errors"
	"fmt"
	"strings"
	"time"
)

// ErrClosed is returned by every call on a closed Console.
var ErrClosed = errors.New("console closed")

// ErrDisconnected matches (errors.Is) every *DisconnectedError.
var ErrDisconnected = errors.New("console disconnected")

// DisconnectedError says the port failed under the console (a USB adapter
// pulled, qemu gone). The console keeps trying to reopen it.
type DisconnectedError struct {
	Port  string
	Since time.Time
	Err   error // what the failed read said
}

func (e *DisconnectedError) Error() string {
	return fmt.Sprintf("console %s: disconnected since %s (%v); reopening when it returns",
		e.Port, e.Since.Format("15:04:05.000"), e.Err)
}

// Is makes errors.Is(err, ErrDisconnected) hold.
func (e *DisconnectedError) Is(target error) bool { return target == ErrDisconnected }

func (e *DisconnectedError) Unwrap() error { return e.Err }

// ExpectError says Expect (or ReadContext) gave up: what it waited for,
// why (a *clock.DeadlineError, a cancellation, a *DisconnectedError,
// ErrClosed), and the tail of what arrived, escaped and redacted.
type ExpectError struct {
	Port     string
	Patterns []string
	Tail     string // quoted, at most TailBytes bytes of the stream
	// Fresh is how many bytes arrived after the point the wait began at
	// (its cursor): a tail that ends before it is what the unit said
	// before the event waited after, not a reply.
	Fresh int64
	Err   error
}

// TailBytes is how much of the end of the stream an ExpectError shows.
const TailBytes = 200

func (e *ExpectError) Error() string {
	what := "bytes"
	if len(e.Patterns) > 0 {
		what = strings.Join(e.Patterns, " or ")
	}
	tail := "nothing received yet"
	switch {
	case e.Tail == `""`:
	case e.Fresh == 0:
		tail = "nothing received since the wait began; last bytes before it: " + e.Tail
	default:
		tail = fmt.Sprintf("%d bytes received since the wait began; last bytes received: %s", e.Fresh, e.Tail)
	}
	return fmt.Sprintf("console %s: waiting for %s: %v; %s", e.Port, what, e.Err, tail)
}

func (e *ExpectError) Unwrap() error { return e.Err }
