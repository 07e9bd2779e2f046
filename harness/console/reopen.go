package console

import "time"

// Reopen retry bounds. A watched path (a tty, a unix socket) is retried at
// once when it reappears; the timer is the fallback for what cannot be
// watched (TCP, a vanished parent directory).
const (
	reopenFirst = 50 * time.Millisecond
	reopenMax   = time.Second
)

// reopen dials until it succeeds or the console closes, waiting between
// attempts for the path to change or a backoff timer on the console's
// clock.
func (c *Console) reopen() Port {
	var changed <-chan struct{}
	if c.ep.watch != "" {
		// Watch before the first attempt so a return between a failed
		// attempt and the wait is not missed.
		if w, err := watchPath(c.ep.watch); err == nil {
			defer w.Close()
			changed = w.Events()
		} else {
			c.log.Debug("console cannot watch its path; retrying on a timer", "err", err)
		}
	}
	backoff := reopenFirst
	for attempt := 1; ; attempt++ {
		p, err := c.ep.dial(c.ctx)
		if err == nil {
			if c.reconnected(p) {
				return p
			}
			p.Close()
			return nil
		}
		if c.ctx.Err() != nil {
			return nil
		}
		c.log.Debug("console reopen attempt failed", "attempt", attempt, "err", err)
		t := c.clk.NewTimer(backoff)
		select {
		case <-changed:
			backoff = reopenFirst
		case <-t.C():
			backoff = min(2*backoff, reopenMax)
		case <-c.ctx.Done():
			t.Stop()
			return nil
		}
		t.Stop()
	}
}
