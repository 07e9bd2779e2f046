package console

import (
	"context"
	"fmt"
	"strconv"
	"time"

	"github.com/camrig/camrig/harness/clock"
)

// Writes go through one writer goroutine so that a port whose write blocks
// (a wedged adapter, a pty nobody drains) costs the caller its deadline,
// never its goroutine; later writes queue behind it and time out too.
type writeReq struct {
	ctx context.Context
	p   []byte
	res chan writeRes
}

type writeRes struct {
	n   int
	err error
}

func (c *Console) writeLoop() {
	for {
		select {
		case r := <-c.wq:
			if err := r.ctx.Err(); err != nil {
				// The caller gave up while queued: sending now would put
				// stale bytes on the wire.
				r.res <- writeRes{err: context.Cause(r.ctx)}
				continue
			}
			n, err := c.writeNow(r.p)
			r.res <- writeRes{n: n, err: err}
		case <-c.ctx.Done():
			return
		}
	}
}

func (c *Console) writeNow(p []byte) (int, error) {
	c.mu.Lock()
	port, closed, connErr := c.port, c.closed, c.connErr
	c.mu.Unlock()
	switch {
	case closed:
		return 0, ErrClosed
	case port == nil:
		return 0, connErr
	}
	done := 0
	for done < len(p) {
		n, err := port.Write(p[done:])
		done += n
		if err != nil {
			return done, err
		}
		if n == 0 {
			return done, fmt.Errorf("port accepted no bytes")
		}
	}
	return done, nil
}

// write sends p within ctx.
func (c *Console) write(ctx context.Context, p []byte) (int, error) {
	if len(p) == 0 {
		return 0, nil
	}
	if c.isClosed() {
		return 0, fmt.Errorf("console %s: write: %w", c.name, ErrClosed)
	}
	r := writeReq{ctx: ctx, p: p, res: make(chan writeRes, 1)}
	select {
	case c.wq <- r:
	case <-ctx.Done():
		return 0, fmt.Errorf("console %s: write of %d bytes: an earlier write is still stuck: %w", c.name, len(p), context.Cause(ctx))
	case <-c.ctx.Done():
		return 0, fmt.Errorf("console %s: write: %w", c.name, ErrClosed)
	}
	select {
	case res := <-r.res:
		if res.err != nil {
			return res.n, fmt.Errorf("console %s: write of %d bytes: %w", c.name, len(p), res.err)
		}
		return res.n, nil
	case <-ctx.Done():
		return 0, fmt.Errorf("console %s: write of %d bytes did not complete: %w", c.name, len(p), context.Cause(ctx))
	}
}

// Write sends p raw, bounded by a deadline long enough for p at the current
// baud rate plus a second of slack.
func (c *Console) Write(p []byte) (int, error) {
	ctx, cancel := clock.WithTimeout(context.Background(), c.clk, c.writeAllowance(len(p)), "write to console "+c.name)
	defer cancel()
	return c.write(ctx, p)
}

func (c *Console) writeAllowance(n int) time.Duration {
	c.mu.Lock()
	baud := c.baud
	c.mu.Unlock()
	if baud <= 0 {
		baud = 9600
	}
	// 10 bits a byte on the wire (8N1), doubled for a slow line discipline.
	return time.Second + time.Duration(n)*20*time.Second/time.Duration(baud)
}

// Send writes s within ctx and records it on the timeline.
func (c *Console) Send(ctx context.Context, s string) error {
	if _, err := c.write(ctx, []byte(s)); err != nil {
		return err
	}
	c.mark("send", short(s, 80))
	return nil
}

// short quotes s, cut to n bytes.
func short(s string, n int) string {
	if len(s) > n {
		return strconv.Quote(s[:n]) + "..."
	}
	return strconv.Quote(s)
}
