// Package boardtest plays serial relay boards (Numato, LCUS, KMTronic) on
// the device side of a serial line, for tests of the power backends and of
// whatever drives them (press, led). A test opens a pseudo-terminal, runs
// Serve on its master end and points the backend at the slave path; the
// board records every byte it receives so the test can assert the exact
// wire traffic, and every relay edge with its time so a test can compare
// what the harness measured with what the "device" saw.
//
// The boards are deliberately simple and literal; the full simulated boards
// of the virtual rig live in rigs/virtual.
package boardtest

import (
	"context"
	"io"
	"sync"
	"time"
)

// Edge is one relay change seen by a board.
type Edge struct {
	Ch int
	On bool
	At time.Time
}

// recorder is what every board shares: received bytes, edges, and a
// broadcast so tests wait for traffic as an event.
type recorder struct {
	mu      sync.Mutex
	rx      []byte
	edges   []Edge
	relays  map[int]bool
	changed chan struct{}
}

func (r *recorder) init() {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.changed == nil {
		r.changed = make(chan struct{})
		r.relays = map[int]bool{}
	}
}

// notifyLocked wakes waiters; r.mu must be held.
func (r *recorder) notifyLocked() {
	close(r.changed)
	r.changed = make(chan struct{})
}

func (r *recorder) received(p []byte) {
	r.mu.Lock()
	r.rx = append(r.rx, p...)
	r.notifyLocked()
	r.mu.Unlock()
}

// setRelay records a change and returns whether the state changed.
func (r *recorder) setRelay(ch int, on bool) {
	r.mu.Lock()
	if r.relays[ch] != on {
		r.edges = append(r.edges, Edge{Ch: ch, On: on, At: time.Now()})
	}
	r.relays[ch] = on
	r.notifyLocked()
	r.mu.Unlock()
}

// Received returns every byte the board has read.
func (r *recorder) Received() []byte {
	r.init()
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]byte(nil), r.rx...)
}

// Reset forgets the received bytes and edges (relay states stay).
func (r *recorder) Reset() {
	r.init()
	r.mu.Lock()
	defer r.mu.Unlock()
	r.rx, r.edges = nil, nil
}

// Relay returns a channel's state.
func (r *recorder) Relay(ch int) bool {
	r.init()
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.relays[ch]
}

// SetRelay forces a channel's state (a board powered up with a relay on).
func (r *recorder) SetRelay(ch int, on bool) {
	r.init()
	r.mu.Lock()
	r.relays[ch] = on
	r.notifyLocked()
	r.mu.Unlock()
}

// Edges returns every relay change, in order.
func (r *recorder) Edges() []Edge {
	r.init()
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]Edge(nil), r.edges...)
}

// WaitFor blocks until cond, called with the bytes received so far, is
// true, or ctx ends (then it returns ctx's cause).
func (r *recorder) WaitFor(ctx context.Context, cond func(rx []byte) bool) error {
	r.init()
	for {
		r.mu.Lock()
		ok := cond(r.rx)
		ch := r.changed
		r.mu.Unlock()
		if ok {
			return nil
		}
		select {
		case <-ch:
		case <-ctx.Done():
			return context.Cause(ctx)
		}
	}
}

// serve reads rw until it fails, handing each chunk to handle (which
// returns the reply to write, if any).
func (r *recorder) serve(rw io.ReadWriter, handle func([]byte) []byte) error {
	r.init()
	buf := make([]byte, 256)
	for {
		n, err := rw.Read(buf)
		if n > 0 {
			chunk := append([]byte(nil), buf[:n]...)
			out := handle(chunk)
			// Record after acting and before replying: once the
			// harness has an acknowledgement, the bytes and the state
			// are on record, and a test that waits for the bytes sees
			// the state they caused.
			r.received(chunk)
			if len(out) > 0 {
				if _, werr := rw.Write(out); werr != nil {
					return werr
				}
			}
		}
		if err != nil {
			return err
		}
	}
}
