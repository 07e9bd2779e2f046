package console

import (
	"bytes"
	"errors"
	"fmt"
	"regexp"
	"regexp/syntax"
	"strconv"
)

// Pattern is something Expect waits for: a literal byte string (Lit) or a
// regular expression (Re). The zero Pattern is invalid.
type Pattern struct {
	lit []byte
	re  *regexp.Regexp
	// reMid is re behind one byte of context, for searches that start in
	// the middle of a line: `(?s:.)((?m:re))`. The context byte gives ^
	// and \b what precedes the search, so ^ matches only at a real line
	// start. Group 1 is re's match; re's own groups follow.
	reMid *regexp.Regexp
	// multiLine: re can match a newline, so a match may span lines and a
	// search must look back across them.
	multiLine bool
	src       string
	err       error
}

// Lit matches s byte for byte (it may hold any bytes, including NUL and
// invalid UTF-8). A literal is matched the moment its last byte arrives.
func Lit(s string) Pattern {
	p := Pattern{lit: []byte(s), src: strconv.Quote(s)}
	if s == "" {
		p.err = errors.New("empty literal pattern")
	}
	return p
}

// Re matches a regular expression (RE2 syntax) in multi-line mode, the way
// a reader of the console's lines would see it:
//
//   - A match is taken only from complete lines, so a trailing greedy part
//     (`Linux version (\S+)`) holds the whole token, never the part that
//     had arrived when a read ended. The unfinished last line counts once
//     it has gone quiet (WithLineQuiet), so a prompt without a newline
//     still matches; $ matches at its end then, not while it is growing.
//   - ^ matches only at a real line start (the start of the stream, after
//     a newline, or after a disconnection), never at the expect cursor or
//     a search boundary in the middle of a line.
//
// A match must fit in ReLookback bytes. A bad expression is reported by
// Expect, naming the pattern.
func Re(expr string) Pattern {
	p := Pattern{src: "/" + expr + "/"}
	if expr == "" {
		p.err = errors.New("empty regular expression pattern")
		return p
	}
	re, err := regexp.Compile("(?m)" + expr)
	if err != nil {
		p.err = fmt.Errorf("pattern %s: %w", p.src, err)
		return p
	}
	mid, err := regexp.Compile("(?s:.)((?m:" + expr + "))")
	if err != nil {
		// Cannot happen for an expression that compiled alone; keep the
		// error rather than panic on a corner of the syntax.
		p.err = fmt.Errorf("pattern %s: %w", p.src, err)
		return p
	}
	p.re, p.reMid = re, mid
	p.multiLine = true
	if tree, err := syntax.Parse("(?m)"+expr, syntax.Perl); err == nil {
		p.multiLine = canMatchNewline(tree)
	}
	return p
}

// canMatchNewline reports whether any match of re can contain '\n'.
func canMatchNewline(re *syntax.Regexp) bool {
	switch re.Op {
	case syntax.OpLiteral:
		for _, r := range re.Rune {
			if r == '\n' {
				return true
			}
		}
		return false
	case syntax.OpCharClass:
		for i := 0; i+1 < len(re.Rune); i += 2 {
			if re.Rune[i] <= '\n' && '\n' <= re.Rune[i+1] {
				return true
			}
		}
		return false
	case syntax.OpAnyChar:
		return true
	}
	for _, sub := range re.Sub {
		if canMatchNewline(sub) {
			return true
		}
	}
	return false
}

// ReLookback bounds how long a regular-expression match may be. The matcher
// resumes each search at most this far back from where the last one ended,
// so a stream that never matches costs linear, not quadratic, time.
const ReLookback = 4096

// String shows a literal quoted and a regular expression between slashes.
func (p Pattern) String() string {
	if p.src == "" {
		return "<invalid empty pattern>"
	}
	return p.src
}

// Err reports why the pattern cannot be used, or nil.
func (p Pattern) Err() error {
	if p.lit == nil && p.re == nil && p.err == nil {
		return errors.New("zero Pattern: use console.Lit or console.Re")
	}
	return p.err
}

// find returns the leftmost match in hay[from:to], with submatches for a
// regular expression. lineStart says whether from is the start of a line
// (for ^); when it is not, hay[from-1] must exist and is the context byte.
func (p Pattern) find(hay []byte, from, to int, lineStart bool) (start, end int, groups []string, ok bool) {
	if p.re == nil {
		i := bytes.Index(hay[from:to], p.lit)
		if i < 0 {
			return 0, 0, nil, false
		}
		return from + i, from + i + len(p.lit), nil, true
	}
	var loc []int
	base, first := from, 2
	if lineStart {
		loc = p.re.FindSubmatchIndex(hay[from:to])
		first = 0
	} else {
		base = from - 1
		loc = p.reMid.FindSubmatchIndex(hay[base:to])
	}
	if loc == nil {
		return 0, 0, nil, false
	}
	for i := first + 2; i+1 < len(loc); i += 2 {
		if loc[i] < 0 {
			groups = append(groups, "")
			continue
		}
		groups = append(groups, string(hay[base+loc[i]:base+loc[i+1]]))
	}
	return base + loc[first], base + loc[first+1], groups, true
}

// resumeAt is where the next search for p must start after a search over
// hay[from:to] found nothing, when more bytes may follow to: far enough
// back that a match straddling to is found once its tail arrives. lines is
// where the unfinished last line starts (just after the last newline).
func (p Pattern) resumeAt(hay []byte, from, to, lines int) int {
	if p.re == nil {
		return max(from, to-len(p.lit)+1)
	}
	at := to - ReLookback
	if !p.multiLine {
		// Every match lies within one line: the finished lines are done.
		return max(from, lines, at)
	}
	if at <= from {
		return from
	}
	// Back up to a line start, so the next search starts where ^ means
	// what it says without the context byte.
	if nl := bytes.LastIndexByte(hay[from:at], '\n'); nl >= 0 {
		return from + nl + 1
	}
	return at
}
