package console

import "bytes"

// matcher looks for the first of several patterns in a growing byte stream.
// It remembers, per pattern, how far it has already searched, so each new
// chunk costs time proportional to the chunk, not to everything pending.
type matcher struct {
	pats []Pattern
	next []int64 // absolute offset where each pattern's next search starts
}

// found is a match in absolute stream offsets.
type found struct {
	index      int
	start, end int64
	groups     []string
}

func newMatcher(pats []Pattern, cursor int64) *matcher {
	m := &matcher{pats: pats, next: make([]int64, len(pats))}
	for i := range m.next {
		m.next[i] = cursor
	}
	return m
}

// stream is what a scan sees: hay holds the stream bytes
// [base, base+len(hay)).
type stream struct {
	hay  []byte
	base int64
	// lineStart: hay[0] starts a line (it is the stream's first byte, or
	// the byte before it, no longer in memory, was a newline).
	lineStart bool
	// gaps are the absolute offsets, ascending, where the port was lost
	// and reopened: what came before a gap and what came after are not
	// one text, so no match spans a gap, and a gap ends a line.
	gaps []int64
	// quiet: nothing has arrived for a while, so the unfinished last line
	// is what a reader sees too, and a regular expression may match in it.
	quiet bool
}

// scan searches the stream for the leftmost match at or after each
// pattern's resume point. On a tie the earlier pattern wins. Resume points
// below base (bytes spilled out of memory) are moved up to base.
//
// held reports that a regular expression matched into the unfinished last
// line, left of any other match: that match may still change as the line
// grows, so none is given until the line ends or goes quiet.
func (m *matcher) scan(s stream) (best found, ok, held bool) {
	best = found{index: -1}
	heldAt := int64(-1)
	for i, p := range m.pats {
		from := int(max(m.next[i]-s.base, 0))
		for from <= len(s.hay) {
			to, final := s.segment(from)
			st, e, g, ok := s.find(p, from, to)
			if !ok {
				if final {
					// Nothing before the gap; go on after it.
					m.next[i] = s.base + int64(to)
					if from = to; to < len(s.hay) {
						continue
					}
					break
				}
				m.next[i] = s.base + int64(p.resumeAt(s.hay, from, to, s.lastLine(from)))
				break
			}
			if p.re != nil && !final && !s.quiet && (e > s.lastLine(from) || (st == e && e == len(s.hay))) {
				if at := s.base + int64(st); heldAt < 0 || at < heldAt {
					heldAt = at
				}
				break
			}
			if at := s.base + int64(st); best.index < 0 || at < best.start {
				best = found{index: i, start: at, end: s.base + int64(e), groups: g}
			}
			break
		}
	}
	if heldAt >= 0 && (best.index < 0 || heldAt <= best.start) {
		return found{index: -1}, false, true
	}
	return best, best.index >= 0, false
}

// segment is the end of the run of bytes from hay[from] on that no gap
// splits, and whether a gap closes it (no byte will ever join it).
func (s stream) segment(from int) (to int, final bool) {
	for _, g := range s.gaps {
		if rel := g - s.base; rel > int64(from) {
			return int(min(rel, int64(len(s.hay)))), true
		}
	}
	return len(s.hay), false
}

// find searches hay[from:to] for p, telling it whether from starts a line.
func (s stream) find(p Pattern, from, to int) (start, end int, groups []string, ok bool) {
	atGap := false
	for _, g := range s.gaps {
		atGap = atGap || g == s.base+int64(from)
	}
	switch {
	case atGap, from == 0 && s.lineStart:
		return p.find(s.hay, from, to, true)
	case from > 0:
		return p.find(s.hay, from, to, s.hay[from-1] == '\n')
	}
	// The byte before hay spilled and was no newline: give the search a
	// stand-in context byte.
	hay := append([]byte{0}, s.hay[:to]...)
	start, end, groups, ok = p.find(hay, 1, to+1, false)
	return start - 1, end - 1, groups, ok
}

// lastLine is where the unfinished last line starts (just after the last
// newline), or -1 when it started before hay[from]. It looks only at
// hay[from:], so a long line without newlines costs no more than the
// search itself.
func (s stream) lastLine(from int) int {
	if nl := bytes.LastIndexByte(s.hay[from:], '\n'); nl >= 0 {
		return from + nl + 1
	}
	return -1
}
