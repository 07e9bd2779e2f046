package console

import (
	"context"
	"fmt"
	"io"
)

// Skip moves the cursor to the end of what has arrived, so the next Expect
// or ReadContext sees only newer bytes.
func (c *Console) Skip() {
	c.expMu.Lock()
	defer c.expMu.Unlock()
	c.tr.mu.Lock()
	defer c.tr.mu.Unlock()
	c.setCursorLocked(c.tr.base + int64(len(c.tr.buf)))
}

// DiscardInput drops what the unit said before now: the bytes still
// queued in the port (a tty's kernel input buffer, when the port can) and
// everything received, so the next Expect or ReadContext sees only newer
// output. Call it before a command sent on a console just opened: the
// reader may not have taken in yet what the port held from before.
func (c *Console) DiscardInput() error {
	c.mu.Lock()
	p := c.port
	c.mu.Unlock()
	var err error
	if d, ok := p.(InputDiscarder); ok {
		if err = d.DiscardInput(); err != nil {
			err = fmt.Errorf("console %s: discarding queued input: %w", c.name, err)
		}
	}
	c.Skip()
	return err
}

// ReadContext reads raw bytes after the cursor and consumes them, for
// binary protocols (YMODEM) that share the console with Expect. It blocks
// until at least one byte is there, ctx ends, the console closes or the
// port drops.
func (c *Console) ReadContext(ctx context.Context, p []byte) (int, error) {
	if len(p) == 0 {
		return 0, nil
	}
	c.expMu.Lock()
	defer c.expMu.Unlock()
	drops0 := c.dropCount()
	for {
		stateCh, stateErr := c.state(drops0)
		n, dataCh := c.readCursor(p)
		if n > 0 {
			return n, nil
		}
		if stateErr != nil {
			return 0, c.expectErr(nil, stateErr)
		}
		select {
		case <-dataCh:
		case <-stateCh:
		case <-ctx.Done():
			if n, _ := c.readCursor(p); n > 0 {
				return n, nil
			}
			return 0, c.expectErr(nil, context.Cause(ctx))
		}
	}
}

func (c *Console) readCursor(p []byte) (int, <-chan struct{}) {
	t := c.tr
	t.mu.Lock()
	defer t.mu.Unlock()
	c.catchUpLocked()
	n := copy(p, t.buf[c.cursor-t.base:])
	c.setCursorLocked(c.cursor + int64(n))
	return n, t.changed
}

// Reader returns an io.Reader over the stream from the current cursor on,
// with its own position: it does not move the cursor, so it can feed a
// gbytes.BufferReader while Expect works. Read blocks until bytes arrive
// and returns io.EOF once the console is closed and everything was read.
// It waits through disconnections, and where the port was lost it hands
// out the transcript's line marking the gap (see Gap) before the bytes
// that came after it.
func (c *Console) Reader() io.Reader {
	c.expMu.Lock()
	defer c.expMu.Unlock()
	r := &streamReader{c: c, off: c.cursor, last: '\n'}
	for _, g := range c.tr.Gaps() {
		if g.Offset <= r.off {
			r.gaps++ // before where this reader starts
		}
	}
	return r
}

type streamReader struct {
	c    *Console
	off  int64
	gaps int    // gaps handed out (or passed) so far
	mark []byte // the rest of a gap's line still to hand out
	last byte   // the last stream byte handed out
}

func (r *streamReader) Read(p []byte) (int, error) {
	if len(p) == 0 {
		return 0, nil
	}
	for {
		if len(r.mark) > 0 {
			n := copy(p, r.mark)
			r.mark = r.mark[n:]
			return n, nil
		}
		ch := r.c.tr.Changed()
		closed := r.c.ctx.Err() != nil
		q := p
		if gaps := r.c.tr.Gaps(); r.gaps < len(gaps) {
			g := gaps[r.gaps]
			if g.Offset == r.off && (r.c.tr.Len() > r.off || closed) {
				// Bytes came after the gap (so the port is back), or none
				// ever will: say where the stream was cut.
				r.gaps++
				r.mark = []byte(gapLine(g) + "\n")
				if r.last != '\n' {
					r.mark = append([]byte("\n"), r.mark...)
				}
				r.last = '\n'
				continue
			}
			if g.Offset > r.off && g.Offset-r.off < int64(len(q)) {
				q = q[:g.Offset-r.off]
			}
		}
		n, err := r.c.tr.ReadAt(q, r.off)
		r.off += int64(n)
		if n > 0 {
			r.last = q[n-1]
			return n, nil
		}
		if err != nil && err != io.EOF {
			return 0, fmt.Errorf("console %s: %w", r.c.name, err)
		}
		if closed {
			if gaps := r.c.tr.Gaps(); r.gaps < len(gaps) && gaps[r.gaps].Offset == r.off {
				continue // the gap at the very end, then EOF
			}
			return 0, io.EOF
		}
		select {
		case <-ch:
		case <-r.c.ctx.Done():
		}
	}
}
