package power

import (
	"context"
	"time"
)

// EdgeTiming lets a caller that times an edge (a press's hold) say when a
// switching may go on the wire and learn when it did. A backend that talks
// to its board in transactions (the serial relay boards) honours it: it
// takes the board first, waits there until NotBefore, sends, and records
// Sent. So a hold is timed between the two commands' wire edges, not
// between requests that may queue behind another unit's transaction on a
// shared board. Other backends ignore it and leave Sent zero.
type EdgeTiming struct {
	// NotBefore: the command is not sent before this instant (zero: at
	// once).
	NotBefore time.Time
	// Sent is set by the backend: when its first command of the Set went
	// on the wire (zero: the backend does not know).
	Sent time.Time
}

type edgeTimingKey struct{}

// WithEdgeTiming returns ctx carrying et for the Set called with it.
func WithEdgeTiming(ctx context.Context, et *EdgeTiming) context.Context {
	return context.WithValue(ctx, edgeTimingKey{}, et)
}

// EdgeTimingFrom returns the EdgeTiming ctx carries, or nil.
func EdgeTimingFrom(ctx context.Context) *EdgeTiming {
	et, _ := ctx.Value(edgeTimingKey{}).(*EdgeTiming)
	return et
}
