package console

import (
	"strings"
	"testing"
)

// TestRegexCapturesTheWholeTokenAtEverySplit splits a kernel banner at
// every byte: wherever a read ends, a trailing greedy group holds the whole
// version, never the part that had arrived.
func TestRegexCapturesTheWholeTokenAtEverySplit(t *testing.T) {
	line := "[    0.000000] Linux version 3.18.20-hisi_v500 (build@host) #1 SMP\r\nnext line"
	for cut := 1; cut < len(line); cut++ {
		f, _, ok := feed([]Pattern{Re(`Linux version (\S+)`)}, []string{line[:cut], line[cut:]})
		if !ok || len(f.groups) != 1 || f.groups[0] != "3.18.20-hisi_v500" {
			t.Fatalf("split at %d (%q | %q): groups %q, ok %v", cut, line[:cut], line[cut:], f.groups, ok)
		}
	}
}

func TestRegexWaitsForTheLineToEnd(t *testing.T) {
	m := newMatcher([]Pattern{Re(`Linux version (\S+)`)}, 0)
	buf := []byte("Linux version 3.18.2")
	if f, ok, held := m.scan(stream{hay: buf, lineStart: true}); ok || !held {
		t.Fatalf("a match running into the unfinished line was given (%+v) or not held (%v)", f, held)
	}
	buf = append(buf, "0-hisi_v500 (gcc)\r\n"...)
	f, ok, held := m.scan(stream{hay: buf, lineStart: true})
	if !ok || held || f.groups[0] != "3.18.20-hisi_v500" {
		t.Fatalf("after the newline: %+v ok %v held %v", f, ok, held)
	}
}

// TestRegexLaterLiteralDoesNotJumpAHeldMatch: a literal further on must
// not win while an earlier regular-expression match is still growing.
func TestRegexLaterLiteralDoesNotJumpAHeldMatch(t *testing.T) {
	m := newMatcher([]Pattern{Re(`boot (\S+)`), Lit("ready")}, 0)
	buf := []byte("x boot ab ready")
	if f, ok, held := m.scan(stream{hay: buf, lineStart: true}); ok || !held {
		t.Fatalf("the literal further on was given (%+v) while the regex match left of it was unfinished", f)
	}
	buf = append(buf, "\n"...)
	f, ok, _ := m.scan(stream{hay: buf, lineStart: true})
	if !ok || f.index != 0 || f.groups[0] != "ab" {
		t.Fatalf("got %+v", f)
	}
}

func TestRegexDollarMatchesOnlyAtALineEndOrOnceQuiet(t *testing.T) {
	pats := []Pattern{Re(`login: ?$`)}
	m := newMatcher(pats, 0)
	if _, ok, held := m.scan(stream{hay: []byte("login: "), lineStart: true}); ok || !held {
		t.Fatalf("a prompt at the end of a growing line: ok %v held %v", ok, held)
	}
	if f, ok, _ := m.scan(stream{hay: []byte("login: "), lineStart: true, quiet: true}); !ok || f.start != 0 {
		t.Fatalf("the prompt once quiet: %+v %v", f, ok)
	}
	m = newMatcher(pats, 0)
	for _, s := range []string{"login: ", "login: admin\r\n"} {
		if f, ok, _ := m.scan(stream{hay: []byte(s), lineStart: true}); ok {
			t.Fatalf("matched %q in %q: $ held for a line that went on", s[f.start:f.end], s)
		}
	}
}

// TestCaretOnlyAtARealLineStart: ^ matches neither at a cursor in the
// middle of a line nor where the matcher resumes inside a line longer than
// its lookback.
func TestCaretOnlyAtARealLineStart(t *testing.T) {
	t.Run("after a long line", func(t *testing.T) {
		// Read in 100-byte pieces, the matcher resumes a lookback behind
		// each piece's end: 9000-4096 lands right on the word.
		long := strings.Repeat("x", 9000-ReLookback) + "ready mid-line " + strings.Repeat("y", 2*ReLookback) + "\r\n"
		var chunks []string
		for i := 0; i < len(long); i += 100 {
			chunks = append(chunks, long[i:min(i+100, len(long))])
		}
		if f, text, ok := feed([]Pattern{Re(`^ready`)}, chunks); ok {
			t.Fatalf("^ matched mid-line at %d: %q", f.start, text)
		}
		f, _, ok := feed([]Pattern{Re(`^ready`)}, append(chunks, "ready now\r\n"))
		if !ok || f.start != int64(len(long)) {
			t.Fatalf("^ at the next line start: %+v %v", f, ok)
		}
	})
	t.Run("at a cursor mid-line", func(t *testing.T) {
		buf := []byte("=> bootm\r\n=> ")
		m := newMatcher([]Pattern{Re(`^bootm`), Re(`^=> `)}, 3)
		f, ok, _ := m.scan(stream{hay: buf, lineStart: true, quiet: true})
		if !ok || f.index != 1 || f.start != 10 {
			t.Fatalf("got %+v %v, want the prompt on the next line at 10", f, ok)
		}
	})
	t.Run("after bytes spilled mid-line", func(t *testing.T) {
		m := newMatcher([]Pattern{Re(`^b`)}, 100)
		if f, ok, _ := m.scan(stream{hay: []byte("b\nb\n"), base: 100, lineStart: false}); !ok || f.start != 102 {
			t.Fatalf("got %+v %v, want the b at 102", f, ok)
		}
	})
}

// TestNoMatchAcrossAGap: what came before a disconnection and what came
// after are not one text.
func TestNoMatchAcrossAGap(t *testing.T) {
	hay := []byte("boot rea" + "dy\r\nready\r\n")
	gap := []int64{8}
	for _, p := range []Pattern{Lit("ready"), Re(`rea\S*dy`), Re(`^dy`)} {
		m := newMatcher([]Pattern{p}, 0)
		f, ok, _ := m.scan(stream{hay: hay[:8], lineStart: true, gaps: gap})
		if ok {
			t.Fatalf("%v before the rest arrived: %+v", p, f)
		}
		f, ok, _ = m.scan(stream{hay: hay, lineStart: true, gaps: gap})
		want := int64(12)
		if p.String() == "/^dy/" {
			want = 8 // a gap ends a line
		}
		if !ok || f.start != want {
			t.Fatalf("%v: got %+v %v, want the match at %d", p, f, ok, want)
		}
	}
}
