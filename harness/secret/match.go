package secret

import (
	"unicode/utf8"
)

// A device rarely echoes a password as it was typed. It arrives XML- or
// HTML-escaped in an ISAPI error (p&amp;ss, p&#38;ss, p&#x26;ss),
// URL-encoded in a query a plug repeats back (p%26ss, a space as +),
// JSON-escaped (p\u0026ss, p\"ss) or Go-quoted in an error (p\x26ss). A
// Matcher finds a secret in any mix of these forms, rune by rune, so
// redaction does not depend on which characters a format chose to escape.
// Redaction must run on whole texts, before anything is cut to an excerpt:
// a cut secret is no longer a secret the Matcher can recognise.

// minLen: shorter values are too likely to be ordinary text to replace.
const minLen = 3

// maxRuneForm bounds the bytes one rune can take in any recognised form
// (a surrogate pair \uD83D\uDE00 is 12; a numeric entity with leading zeros
// is bounded by maxEntityDigits).
const maxRuneForm = 16

// maxEntityDigits bounds the digits of a numeric entity (&#0000038;).
const maxEntityDigits = 8

// Matcher finds the values of a set of secrets in text.
type Matcher struct {
	vals [][]rune
	// escapable[k]: vals[k] starts with a character that has a short
	// backslash escape (\n, \", \\ ...).
	escapable []bool
	start     [256]bool // bytes a match can begin with
	max       int
}

// NewMatcher resolves secrets; those that cannot be resolved or are
// shorter than 3 bytes are left out.
func NewMatcher(secrets ...Secret) *Matcher {
	m := &Matcher{}
	for _, s := range secrets {
		v, err := s.Value()
		if err != nil || len(v) < minLen {
			continue
		}
		m.add(v)
	}
	return m
}

// NewValueMatcher is NewMatcher for values already in memory.
func NewValueMatcher(values ...string) *Matcher {
	m := &Matcher{}
	for _, v := range values {
		if len(v) >= minLen {
			m.add(v)
		}
	}
	return m
}

func (m *Matcher) add(v string) {
	rs := decode(v)
	m.vals = append(m.vals, rs)
	_, esc := shortEscapes[rs[0]]
	m.escapable = append(m.escapable, esc)
	m.max = max(m.max, len(rs)*maxRuneForm)
	m.start[v[0]] = true
	for _, c := range []byte{'%', '&', '\\'} {
		m.start[c] = true
	}
	if rs[0] == ' ' {
		m.start['+'] = true
	}
}

// decode splits v into runes; a byte that is not valid UTF-8 becomes a
// rawByte, matched only as that byte (or %HH, \xHH), never as U+FFFD.
func decode(v string) []rune {
	var rs []rune
	for i := 0; i < len(v); {
		r, n := utf8.DecodeRuneInString(v[i:])
		if r == utf8.RuneError && n <= 1 {
			r = rawByte(v[i])
		}
		rs = append(rs, r)
		i += n
	}
	return rs
}

// rawByte marks a byte outside UTF-8 by a negative rune.
func rawByte(c byte) rune { return -1 - rune(c) }

// Active reports whether there is anything to find.
func (m *Matcher) Active() bool { return m != nil && len(m.vals) > 0 }

// MaxLen is the most bytes one occurrence can take in any form: a stream
// holding back fewer could miss one split across two writes.
func (m *Matcher) MaxLen() int {
	if m == nil {
		return 0
	}
	return m.max
}

// Redact returns b with every occurrence of a secret, in any form,
// replaced by Redacted. It returns b itself when there is none.
func (m *Matcher) Redact(b []byte) []byte {
	out, _ := m.scan(b, noPartial)
	return out
}

// RedactString is Redact for strings.
func (m *Matcher) RedactString(s string) string {
	if !m.Active() {
		return s
	}
	return string(m.Redact([]byte(s)))
}

// RedactCut is Redact for a text whose end was cut off (a capped buffer, a
// stream that ended): a trailing start of an occurrence of at least two
// characters, which the cut made unrecognisable as a whole, is redacted
// too. (A lone trailing "%" or first letter stays.)
func (m *Matcher) RedactCut(b []byte) []byte {
	out, hold := m.scan(b, 2)
	if hold < len(b) {
		out = append(out, Redacted...)
	}
	return out
}

// Hold returns how much of b can be let through now: b[Hold(b):] could
// still become an occurrence once more bytes arrive, so a stream keeps it
// back. Redact(b[:Hold(b)]) is final.
func (m *Matcher) Hold(b []byte) int {
	_, hold := m.scan(b, 0)
	return hold
}

// noPartial makes scan ignore occurrences cut by the end of b.
const noPartial = -1

// scan redacts b left to right. With minPartial >= 0 it stops at the first
// position where b ends inside a possible occurrence of which at least
// minPartial characters are complete, and returns it as hold (the output
// then covers b[:hold] only); otherwise hold is len(b).
func (m *Matcher) scan(b []byte, minPartial int) (out []byte, hold int) {
	if !m.Active() {
		return b, len(b)
	}
	copied := false
	last := 0
	for i := 0; i < len(b); {
		if !m.start[b[i]] {
			i++
			continue
		}
		end, partial := -1, false
		// A run of backslashes not followed by x or u (a text's \n, \"):
		// no \xHH, \uHHHH or \u0026 form starts here, only a short escape
		// (or a backslash itself), so only values starting with a
		// character that has one can match. Most backslashes of a JSON
		// report are such, and the other values are not tried there.
		shortOnly := false
		if b[i] == '\\' {
			j := i
			for j < len(b) && b[j] == '\\' {
				j++
			}
			shortOnly = j < len(b) && b[j] != 'x' && b[j] != 'u'
		}
		for k, v := range m.vals {
			if shortOnly && !m.escapable[k] {
				continue
			}
			e, depth := matchAt(b, i, v)
			end = max(end, e)
			partial = partial || (minPartial >= 0 && depth >= minPartial)
		}
		if partial {
			// A longer secret may still be completing here (or this one):
			// hold it back even if a shorter one matched already.
			if !copied {
				return b[:i], i
			}
			return append(out, b[last:i]...), i
		}
		if end < 0 {
			i++
			continue
		}
		if !copied {
			out = make([]byte, 0, len(b))
			copied = true
		}
		out = append(out, b[last:i]...)
		out = append(out, Redacted...)
		i, last = end, end
	}
	if !copied {
		return b, len(b)
	}
	return append(out, b[last:]...), len(b)
}

// matchAt returns the end of the longest occurrence of v in some form
// starting at b[i] (-1: none) and, when b ends while an occurrence is still
// possible, how many characters of it were complete (-1: not cut).
func matchAt(b []byte, i int, v []rune) (end, partial int) {
	end, partial = -1, -1
	// Positions reachable after k runes; the sets stay small (a rune's
	// forms rarely overlap), and deduplication bounds the work.
	cur := []int{i}
	for k := 0; k < len(v) && len(cur) > 0; k++ {
		var next []int
		for _, p := range cur {
			ends, part := runeForms(b, p, v[k])
			if part {
				partial = max(partial, k)
			}
			for _, e := range ends {
				if !contains(next, e) {
					next = append(next, e)
				}
			}
		}
		cur = next
	}
	for _, e := range cur {
		end = max(end, e)
	}
	return end, partial
}

func contains(s []int, x int) bool {
	for _, y := range s {
		if y == x {
			return true
		}
	}
	return false
}

// runeForms returns every position where a form of r starting at b[p]
// ends, and whether b ends inside a form of r that could still complete.
func runeForms(b []byte, p int, r rune) (ends []int, partial bool) {
	if p >= len(b) {
		return nil, true
	}
	var enc [utf8.UTFMax]byte
	n := 1
	if r < 0 {
		enc[0] = byte(-1 - r)
	} else {
		n = utf8.EncodeRune(enc[:], r)
	}
	// Byte by byte: each byte literal, %HH or \xHH.
	cur := []int{p}
	for _, c := range enc[:n] {
		var next []int
		for _, q := range cur {
			e, part := byteForms(b, q, c)
			partial = partial || part
			next = merge(next, e)
		}
		cur = next
	}
	ends = cur
	if r < 0 {
		return ends, partial
	}
	add := func(e []int, part bool) {
		partial = partial || part
		ends = merge(ends, e)
	}
	if r == ' ' {
		add(oneOf(b, p, "+", "%2B", "%2b"))
	}
	switch b[p] {
	case '&':
		add(entity(b, p, r))
	case '\\':
		add(backslashEscape(b, p, r))
		add(entity(b, p, r)) // \u0026amp; -- an entity inside JSON
	}
	return ends, partial
}

func merge(into, from []int) []int {
	for _, x := range from {
		if !contains(into, x) {
			into = append(into, x)
		}
	}
	return into
}

// Escapes nest: a JSON value quoted again by Go or JSON doubles its
// backslashes (\u0026 becomes \\u0026, \" becomes \\\"), an entity escaped
// again starts &amp; (&amp;lt;), a query encoded twice starts %25 (%2526),
// and Go's JSON encoder writes an entity's & as \u0026 (\u0026amp;). Each
// escape's lead-in is therefore matched in its single and its nested forms;
// deeper nesting is not seen in practice.
var (
	backslashLeads = []string{`\`, `\\`, `\\\\`, `\\\\\\\\`}
	ampLeads       = []string{"&", "&amp;", `\u0026`, `\\u0026`, `\\\\u0026`}
	percentLeads   = []string{"%", "%25", `\u0025`, `\\u0025`}
)

// hexByteLeads are what comes before the two hex digits of a byte in a
// %HH or \xHH form, single and nested.
var hexByteLeads = func() []string {
	leads := append([]string(nil), percentLeads...)
	for _, lead := range backslashLeads {
		leads = append(leads, lead+"x")
	}
	return leads
}()

// byteForms: c as itself, %HH (URL) or \xHH (Go, C).
func byteForms(b []byte, p int, c byte) (ends []int, partial bool) {
	if p >= len(b) {
		return nil, true
	}
	if b[p] == c {
		ends = append(ends, p+1)
	}
	// Every other form starts with % or a backslash (%25 and \u0025
	// included): most bytes of a text can be nothing else than themselves.
	if b[p] != '%' && b[p] != '\\' {
		return ends, false
	}
	for _, lead := range hexByteLeads {
		e, part := hexByte(b, p, lead, c)
		partial = partial || part
		if e >= 0 {
			ends = merge(ends, []int{e})
		}
	}
	return ends, partial
}

// hexByte matches prefix followed by two hex digits equal to c.
func hexByte(b []byte, p int, prefix string, c byte) (end int, partial bool) {
	e, part := literal(b, p, prefix)
	if e < 0 {
		return -1, part
	}
	v, e, part := hexDigits(b, e, 2, 2)
	if e < 0 || v != rune(c) {
		return -1, part
	}
	return e, false
}

// literal matches s at b[p].
func literal(b []byte, p int, s string) (end int, partial bool) {
	for j := 0; j < len(s); j++ {
		if p+j >= len(b) {
			return -1, true
		}
		if b[p+j] != s[j] {
			return -1, false
		}
	}
	return p + len(s), false
}

// oneOf matches any of alts at b[p].
func oneOf(b []byte, p int, alts ...string) (ends []int, partial bool) {
	for _, s := range alts {
		e, part := literal(b, p, s)
		partial = partial || part
		if e >= 0 {
			ends = merge(ends, []int{e})
		}
	}
	return ends, partial
}

var entityNames = map[rune]string{'&': "amp;", '<': "lt;", '>': "gt;", '"': "quot;", '\'': "apos;"}

// entity matches an XML/HTML character reference for r: &#D; &#xH; or a
// named one (&amp; &lt; &gt; &quot; &apos;), with a single or doubled lead.
func entity(b []byte, p int, r rune) (ends []int, partial bool) {
	for _, lead := range ampLeads {
		e, part := literal(b, p, lead)
		partial = partial || part
		if e < 0 {
			continue
		}
		if name, ok := entityNames[r]; ok {
			ne, part := literal(b, e, name)
			partial = partial || part
			if ne >= 0 {
				ends = merge(ends, []int{ne})
			}
		}
		ne, part := numericEntity(b, e, r)
		partial = partial || part
		if ne >= 0 {
			ends = merge(ends, []int{ne})
		}
	}
	return ends, partial
}

// numericEntity matches "#D;" or "#xH;" for r at b[p].
func numericEntity(b []byte, p int, r rune) (end int, partial bool) {
	e, part := literal(b, p, "#")
	if e < 0 {
		return -1, part
	}
	var v rune
	if e < len(b) && (b[e] == 'x' || b[e] == 'X') {
		v, e, part = hexDigits(b, e+1, 1, maxEntityDigits)
	} else {
		v, e, part = decDigits(b, e, maxEntityDigits)
	}
	if e < 0 {
		return -1, part
	}
	if e >= len(b) {
		return -1, v == r
	}
	if b[e] != ';' || v != r {
		return -1, false
	}
	return e + 1, false
}

var shortEscapes = map[rune]byte{'"': '"', '\\': '\\', '/': '/', '\b': 'b', '\f': 'f', '\n': 'n', '\r': 'r', '\t': 't', '\'': '\''}

// maxBackslashes bounds a run of backslashes read as one escape (a value
// JSON-encoded four times over).
const maxBackslashes = 15

// shortEscape matches a short escape of r (\" \\ \n ...) nested d times
// (a JSON string inside a JSON string...): each level doubles the
// backslashes before it and escapes the backslash and quote it adds, so a
// quote is 2^d-1 backslashes and ", a backslash 2^d backslashes, a letter
// 2^(d-1) backslashes and the letter.
func shortEscape(b []byte, p int, r rune) (ends []int, partial bool) {
	c, ok := shortEscapes[r]
	if !ok {
		return nil, false
	}
	n := 0
	for p+n < len(b) && b[p+n] == '\\' && n < maxBackslashes {
		n++
	}
	if n == 0 {
		return nil, false
	}
	if p+n >= len(b) {
		partial = true
	}
	switch r {
	case '\\':
		for k := 2; k <= n; k *= 2 {
			ends = append(ends, p+k)
		}
		return ends, partial
	case '"':
		for k := 1; k <= maxBackslashes; k = 2*k + 1 {
			if n == k && p+n < len(b) && b[p+n] == c {
				ends = append(ends, p+n+1)
			}
		}
	default:
		for k := 1; k <= maxBackslashes; k *= 2 {
			if n == k && p+n < len(b) && b[p+n] == c {
				ends = append(ends, p+n+1)
			}
		}
	}
	return ends, partial
}

// backslashEscape matches a JSON (or JavaScript, Go) escape of r: \uHHHH
// (a surrogate pair beyond the BMP) or a short escape (\" \n ...), nested
// up to four times.
func backslashEscape(b []byte, p int, r rune) (ends []int, partial bool) {
	ends, partial = shortEscape(b, p, r)
	for _, lead := range backslashLeads {
		e, part := literal(b, p, lead)
		partial = partial || part
		if e < 0 {
			continue
		}
		if r > 0xFFFF {
			hi, lo := 0xD800+((r-0x10000)>>10), 0xDC00+((r-0x10000)&0x3FF)
			e2, part := unicodeDigits(b, e, hi)
			partial = partial || part
			if e2 < 0 {
				continue
			}
			e3, part := literal(b, e2, lead)
			partial = partial || part
			if e3 < 0 {
				continue
			}
			e4, part := unicodeDigits(b, e3, lo)
			partial = partial || part
			if e4 >= 0 {
				ends = merge(ends, []int{e4})
			}
			continue
		}
		e2, part := unicodeDigits(b, e, r)
		partial = partial || part
		if e2 >= 0 {
			ends = merge(ends, []int{e2})
		}
	}
	return ends, partial
}

// unicodeDigits matches "uHHHH" equal to r at b[p].
func unicodeDigits(b []byte, p int, r rune) (end int, partial bool) {
	e, part := literal(b, p, "u")
	if e < 0 {
		return -1, part
	}
	v, e, part := hexDigits(b, e, 4, 4)
	if e < 0 || v != r {
		return -1, part
	}
	return e, false
}

// hexDigits reads min..max hex digits at b[p]; partial when b ends before
// a non-digit closed them.
func hexDigits(b []byte, p, minN, maxN int) (v rune, end int, partial bool) {
	n := 0
	for ; n < maxN; n++ {
		if p+n >= len(b) {
			return 0, -1, true
		}
		d, ok := hexVal(b[p+n])
		if !ok {
			break
		}
		v = v<<4 | d
	}
	if n < minN {
		return 0, -1, false
	}
	return v, p + n, false
}

func decDigits(b []byte, p, maxN int) (v rune, end int, partial bool) {
	n := 0
	for ; n < maxN; n++ {
		if p+n >= len(b) {
			return 0, -1, true
		}
		c := b[p+n]
		if c < '0' || c > '9' {
			break
		}
		v = v*10 + rune(c-'0')
	}
	if n == 0 {
		return 0, -1, false
	}
	return v, p + n, false
}

func hexVal(c byte) (rune, bool) {
	switch {
	case c >= '0' && c <= '9':
		return rune(c - '0'), true
	case c >= 'a' && c <= 'f':
		return rune(c-'a') + 10, true
	case c >= 'A' && c <= 'F':
		return rune(c-'A') + 10, true
	}
	return 0, false
}
