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
// It waits through disconnections.
func (c *Console) Reader() io.Reader {
	c.expMu.Lock()
	defer c.expMu.Unlock()
	return &streamReader{c: c, off: c.cursor}
}

type streamReader struct {
	c   *Console
	off int64
}

func (r *streamReader) Read(p []byte) (int, error) {
	if len(p) == 0 {
		return 0, nil
	}
	for {
		ch := r.c.tr.Changed()
		n, err := r.c.tr.ReadAt(p, r.off)
		r.off += int64(n)
		if n > 0 {
			return n, nil
		}
		if err != nil && err != io.EOF {
			return 0, fmt.Errorf("console %s: %w", r.c.name, err)
		}
		select {
		case <-ch:
		case <-r.c.ctx.Done():
			// Closed: hand out what is left, then EOF.
			n, err := r.c.tr.ReadAt(p, r.off)
			r.off += int64(n)
			if n > 0 {
				return n, nil
			}
			if err == io.EOF {
				return 0, io.EOF
			}
			return 0, fmt.Errorf("console %s: %w", r.c.name, err)
		}
	}
}
