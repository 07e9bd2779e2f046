package console

import (
	"context"
	"fmt"
	"strconv"
	"time"

	"github.com/camrig/camrig/harness/clock"
)

// Match is what Expect found.
type Match struct {
	Index  int       // which pattern matched
	Text   string    // the matched bytes
	Groups []string  // a regular expression's submatches
	Before string    // bytes between the previous cursor and the match
	At     time.Time // arrival time of the match's last byte
	Offset int64     // transcript offset of the match's first byte
}

// Expect waits for the first of patterns to appear after the cursor and
// moves the cursor past it. The leftmost match wins; on a tie, the earlier
// pattern. It wakes on every chunk the reader stores (no polling) and gives
// up when ctx ends (bound it with clock.WithTimeout), when the console
// closes, or when the port drops (*DisconnectedError); the *ExpectError
// then names what was awaited and shows the tail of what arrived.
func (c *Console) Expect(ctx context.Context, patterns ...Pattern) (Match, error) {
	if len(patterns) == 0 {
		return Match{}, fmt.Errorf("console %s: Expect needs at least one pattern", c.name)
	}
	for _, p := range patterns {
		if err := p.Err(); err != nil {
			return Match{}, fmt.Errorf("console %s: %w", c.name, err)
		}
	}
	c.expMu.Lock()
	defer c.expMu.Unlock()
	drops0 := c.dropCount()
	m := newMatcher(patterns, c.cursor)
	// quiet wakes us when an unfinished line a regular expression matched
	// into has gone quiet (see Re); armed only then.
	var quiet clock.Timer
	defer func() {
		if quiet != nil {
			quiet.Stop()
		}
	}()
	for {
		// Take both wake-up channels before looking, so a chunk or a drop
		// landing between the look and the wait still wakes us.
		stateCh, stateErr := c.state(drops0)
		match, ok, dataCh, heldUntil := c.tryMatch(m)
		if ok {
			c.recordMatch(patterns[match.Index], match)
			return match, nil
		}
		if stateErr != nil {
			return Match{}, c.expectErr(patterns, stateErr)
		}
		var quietC <-chan time.Time
		if !heldUntil.IsZero() {
			if quiet != nil {
				quiet.Stop()
			}
			quiet = c.clk.NewTimer(heldUntil.Sub(c.clk.Now()))
			quietC = quiet.C()
		}
		select {
		case <-dataCh:
		case <-stateCh:
		case <-quietC:
		case <-ctx.Done():
			if match, ok, _, _ := c.tryMatch(m); ok {
				c.recordMatch(patterns[match.Index], match)
				return match, nil
			}
			return Match{}, c.expectErr(patterns, context.Cause(ctx))
		}
	}
}

// tryMatch scans what has arrived; on a match it moves the cursor. Without
// one, heldUntil is when the unfinished last line goes quiet if a regular
// expression is waiting for that (zero otherwise).
func (c *Console) tryMatch(m *matcher) (_ Match, _ bool, changed <-chan struct{}, heldUntil time.Time) {
	quietFor := c.lineQuiet()
	t := c.tr
	t.mu.Lock()
	defer t.mu.Unlock()
	c.catchUpLocked()
	quietAt := t.lastAt.Add(quietFor)
	f, ok, held := m.scan(stream{
		hay: t.buf, base: t.base, lineStart: t.baseLineStart,
		gaps: t.gapOffsetsLocked(), quiet: !c.clk.Now().Before(quietAt),
	})
	if !ok {
		if held {
			return Match{}, false, t.changed, quietAt
		}
		return Match{}, false, t.changed, time.Time{}
	}
	at := c.clk.Now()
	if f.end > f.start {
		at = t.timeAtLocked(f.end - 1)
	}
	match := Match{
		Index:  f.index,
		Text:   string(t.buf[f.start-t.base : f.end-t.base]),
		Groups: f.groups,
		Before: string(t.buf[c.cursor-t.base : f.start-t.base]),
		At:     at,
		Offset: f.start,
	}
	c.setCursorLocked(f.end)
	return match, true, t.changed, time.Time{}
}

// lineQuiet is how long a line must stay silent before a regular
// expression may match in it without its newline: the configured quiet
// time, and never less than 20 characters at the line's rate (a slow line
// pauses longer between bytes).
func (c *Console) lineQuiet() time.Duration {
	c.mu.Lock()
	baud := c.baud
	c.mu.Unlock()
	q := c.quiet
	if baud > 0 {
		q = max(q, 20*10*time.Second/time.Duration(baud))
	}
	return q
}

// catchUpLocked moves a cursor that fell behind the memory window (nobody
// consumed for a whole window) to the window's start. The skipped bytes
// are still in the transcript's spill file. Needs expMu and tr.mu.
func (c *Console) catchUpLocked() {
	if c.cursor < c.tr.base {
		c.log.Warn("console cursor fell out of the memory window; Expect skips the spilled bytes",
			"skipped", c.tr.base-c.cursor, "window", c.tr.window)
		c.setCursorLocked(c.tr.base)
	}
}

// setCursorLocked moves the cursor and tells the transcript which bytes are
// still unconsumed, so it spills them only under memory pressure. Needs
// expMu and tr.mu.
func (c *Console) setCursorLocked(off int64) {
	c.cursor = off
	c.tr.keepFrom = off
}

func (c *Console) recordMatch(p Pattern, m Match) {
	c.markAt(m.At, "match", p.String(), map[string]string{
		"offset": strconv.FormatInt(m.Offset, 10),
		// Redacted whole, then shortened: a secret cut first would not be
		// recognised and its first part would stay.
		"text": short(string(c.red.apply([]byte(m.Text))), 120),
	})
}

func (c *Console) expectErr(patterns []Pattern, err error) *ExpectError {
	// expMu is held: the cursor is where this wait began (it moves only
	// on a match).
	e := &ExpectError{Port: c.name, Err: err, Tail: c.tail(), Fresh: max(c.tr.Len()-c.cursor, 0)}
	for _, p := range patterns {
		e.Patterns = append(e.Patterns, p.String())
	}
	if len(patterns) > 0 {
		// Only Expect failures are evidence; a binary protocol's reads
		// time out as part of their retry logic.
		c.mark("no-match", fmt.Sprintf("waiting for %v: %v", e.Patterns, err))
	}
	return e
}

// tail is the end of the stream, redacted and quoted for an error message.
func (c *Console) tail() string {
	// Read a little extra so a secret cut by the window is still caught,
	// then cut to TailBytes.
	b := c.red.apply(c.tr.Tail(TailBytes + c.red.maxLen))
	if len(b) > TailBytes {
		b = b[len(b)-TailBytes:]
	}
	return strconv.Quote(string(b))
}
