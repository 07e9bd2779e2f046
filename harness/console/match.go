package console

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

// scan searches hay, which holds the stream bytes [base, base+len(hay)),
// for the leftmost match at or after each pattern's resume point. On a tie
// the earlier pattern wins. Resume points below base (bytes spilled out of
// memory) are moved up to base.
func (m *matcher) scan(hay []byte, base int64) (found, bool) {
	best := found{index: -1}
	for i, p := range m.pats {
		from := m.next[i] - base
		if from < 0 {
			from = 0
		}
		if from > int64(len(hay)) {
			continue
		}
		s, e, g, ok := p.find(hay, int(from))
		if !ok {
			m.next[i] = base + int64(p.resumeAt(hay, int(from)))
			continue
		}
		if best.index < 0 || base+int64(s) < best.start {
			best = found{index: i, start: base + int64(s), end: base + int64(e), groups: g}
		}
	}
	return best, best.index >= 0
}
