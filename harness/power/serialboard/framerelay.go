package serialboard

import (
	"context"
	"errors"
	"fmt"

	"github.com/camrig/camrig/harness/power"
)

// FrameRelay is one channel of a board that is switched by a binary frame
// it never acknowledges (LCUS, KMTronic), and that may answer a status
// query. The boards differ only in their frames and the reply they send:
// the exchange, the silent-board fallback and the errors are this one.
type FrameRelay struct {
	b  *Board
	ch int
	p  FrameProtocol
	// last is what this binding commanded, for boards without status.
	last power.Commanded
}

// FrameProtocol is what one board family puts on the wire.
type FrameProtocol struct {
	// Frame is the set command for channel ch.
	Frame func(ch int, on bool) []byte
	// Query is the status request for channel ch; QueryName names it in
	// errors and in the board's lock ("status query").
	Query     func(ch int) []byte
	QueryName string
	// Parse reads a status reply so far (ErrNeedMore until it is whole).
	Parse func(ch int, reply []byte) (bool, error)
	// Quote renders unexpected reply bytes in an error.
	Quote func([]byte) string
}

// NewFrameRelay drives channel ch of board b with protocol p.
func NewFrameRelay(b *Board, ch int, p FrameProtocol) *FrameRelay {
	return &FrameRelay{b: b, ch: ch, p: p}
}

func (r *FrameRelay) String() string { return fmt.Sprintf("%s#%d", r.b.Name(), r.ch) }

// Set writes the frame; the board does not answer, so the write drained
// to the adapter is the edge.
func (r *FrameRelay) Set(ctx context.Context, on bool) error {
	frame := r.p.Frame(r.ch, on)
	err := r.b.Exchange(ctx, "relay "+power.State(on), func(ctx context.Context, l *Link) error {
		return l.Write(ctx, frame)
	})
	if err != nil {
		return fmt.Errorf("%s: set %s (% x): %w", r, power.State(on), frame, err)
	}
	r.last.Remember(on)
	return nil
}

// Get asks the board, or reports the commanded state on a board that does
// not answer its status query.
func (r *FrameRelay) Get(ctx context.Context) (bool, error) {
	return r.last.StatusOrFallback(ctx, r.b.Log(), r.String(), r.query)
}

func (r *FrameRelay) query(ctx context.Context) (bool, error) {
	var on bool
	err := r.b.Exchange(ctx, r.p.QueryName, func(ctx context.Context, l *Link) error {
		if err := l.Write(ctx, r.p.Query(r.ch)); err != nil {
			return err
		}
		buf, err := l.ReadUntil(ctx, func(p []byte) error {
			var perr error
			on, perr = r.p.Parse(r.ch, p)
			return perr
		})
		switch {
		case err == nil:
			return nil
		case len(buf) == 0 && errors.Is(err, context.DeadlineExceeded):
			return power.ErrSilent
		}
		return fmt.Errorf("%w (board sent %s)", err, r.p.Quote(buf))
	})
	if err != nil {
		return false, fmt.Errorf("%s: status: %w", r, err)
	}
	return on, nil
}

// Close releases the reference on the board's port.
func (r *FrameRelay) Close() error { return r.b.Close() }
