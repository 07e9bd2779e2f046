package console

import (
	"bytes"
	"errors"
	"fmt"
	"regexp"
	"strconv"
)

// Pattern is something Expect waits for: a literal byte string (Lit) or a
// regular expression (Re). The zero Pattern is invalid.
type Pattern struct {
	lit []byte
	re  *regexp.Regexp
	src string
	err error
}

// Lit matches s byte for byte (it may hold any bytes, including NUL and
// invalid UTF-8).
func Lit(s string) Pattern {
	p := Pattern{lit: []byte(s), src: strconv.Quote(s)}
	if s == "" {
		p.err = errors.New("empty literal pattern")
	}
	return p
}

// Re matches a regular expression (RE2 syntax) in multi-line mode: ^ and $
// also match at line boundaries. A stream has no end, so $ also matches at
// the end of what has arrived so far, and ^ also matches at the expect
// cursor. A match must fit in ReLookback bytes. A bad expression is
// reported by Expect, naming the pattern.
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
	p.re = re
	return p
}

// ReLookback bounds how long a regular-expression match may be. The matcher
// resumes each search this far back from where the last one ended, so a
// stream that never matches costs linear, not quadratic, time.
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

// find returns the leftmost match in hay at or after from, with submatches
// for a regular expression.
func (p Pattern) find(hay []byte, from int) (start, end int, groups []string, ok bool) {
	if p.re == nil {
		i := bytes.Index(hay[from:], p.lit)
		if i < 0 {
			return 0, 0, nil, false
		}
		return from + i, from + i + len(p.lit), nil, true
	}
	loc := p.re.FindSubmatchIndex(hay[from:])
	if loc == nil {
		return 0, 0, nil, false
	}
	for i := 2; i+1 < len(loc); i += 2 {
		if loc[i] < 0 {
			groups = append(groups, "")
			continue
		}
		groups = append(groups, string(hay[from+loc[i]:from+loc[i+1]]))
	}
	return from + loc[0], from + loc[1], groups, true
}

// resumeAt is where the next search for p must start after a failed search
// over hay[from:]: far enough back that a match straddling the end of hay
// is found once its tail arrives. For a regular expression it backs up to a
// line start so (?m)^ keeps its meaning.
func (p Pattern) resumeAt(hay []byte, from int) int {
	if p.re == nil {
		return max(from, len(hay)-len(p.lit)+1)
	}
	at := len(hay) - ReLookback
	if at <= from {
		return from
	}
	if nl := bytes.LastIndexByte(hay[from:at], '\n'); nl >= 0 {
		return from + nl + 1
	}
	return at
}
