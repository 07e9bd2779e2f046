package digest

import (
	"errors"
	"fmt"
	"strings"
)

// SchemeChallenge is one auth-scheme with its parameters from a
// WWW-Authenticate header (RFC 7235). Scheme keeps the server's spelling;
// parameter names are lower-cased.
type SchemeChallenge struct {
	Scheme string
	Params map[string]string
}

// maxHeader bounds what the parser will look at; a header longer than this
// is junk, not a challenge.
const maxHeader = 8 << 10

// ParseChallenges parses WWW-Authenticate header values, each of which may
// hold several comma-separated challenges. token68 credentials (Basic's
// `Basic abc==` form) are not supported: Digest challenges carry auth-params.
func ParseChallenges(values []string) ([]SchemeChallenge, error) {
	var out []SchemeChallenge
	for _, v := range values {
		if len(v) > maxHeader {
			return nil, fmt.Errorf("WWW-Authenticate longer than %d bytes", maxHeader)
		}
		cs, err := parseChallengeList(v)
		if err != nil {
			return nil, err
		}
		out = append(out, cs...)
	}
	return out, nil
}

type lexer struct {
	s string
	i int
}

func (l *lexer) skipSpace() {
	for l.i < len(l.s) && (l.s[l.i] == ' ' || l.s[l.i] == '\t') {
		l.i++
	}
}

func (l *lexer) eof() bool { l.skipSpace(); return l.i >= len(l.s) }

func (l *lexer) peek() byte {
	l.skipSpace()
	if l.i >= len(l.s) {
		return 0
	}
	return l.s[l.i]
}

func isTokenChar(c byte) bool {
	switch {
	case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z', c >= '0' && c <= '9':
		return true
	}
	return strings.IndexByte("!#$%&'*+-.^_`|~", c) >= 0
}

func (l *lexer) token() (string, bool) {
	l.skipSpace()
	start := l.i
	for l.i < len(l.s) && isTokenChar(l.s[l.i]) {
		l.i++
	}
	return l.s[start:l.i], l.i > start
}

func (l *lexer) quoted() (string, error) {
	// at '"'
	l.i++
	var b strings.Builder
	for l.i < len(l.s) {
		c := l.s[l.i]
		switch {
		case c == '"':
			l.i++
			return b.String(), nil
		case c == '\\':
			if l.i+1 >= len(l.s) {
				return "", errors.New("unterminated escape in quoted string")
			}
			b.WriteByte(l.s[l.i+1])
			l.i += 2
		case c < 0x20 && c != '\t', c == 0x7f:
			return "", fmt.Errorf("control character 0x%02x in quoted string", c)
		default:
			b.WriteByte(c)
			l.i++
		}
	}
	return "", errors.New("unterminated quoted string")
}

// ParseAuthParams parses a comma-separated list of name=value pairs, as in
// the parameters of a challenge or of an Authorization: Digest header.
func ParseAuthParams(s string) (map[string]string, error) {
	if len(s) > maxHeader {
		return nil, fmt.Errorf("auth header longer than %d bytes", maxHeader)
	}
	l := &lexer{s: s}
	params := map[string]string{}
	for !l.eof() {
		if l.peek() == ',' {
			l.i++
			continue
		}
		name, value, err := l.param()
		if err != nil {
			return nil, err
		}
		if _, dup := params[name]; dup {
			return nil, fmt.Errorf("parameter %q given twice", name)
		}
		params[name] = value
		if !l.eof() && l.peek() != ',' {
			return nil, fmt.Errorf("expected ',' after parameter %q", name)
		}
	}
	return params, nil
}

func (l *lexer) param() (name, value string, err error) {
	name, ok := l.token()
	if !ok {
		return "", "", fmt.Errorf("expected a parameter name at offset %d", l.i)
	}
	if l.peek() != '=' {
		return "", "", fmt.Errorf("parameter %q has no value", name)
	}
	l.i++
	if l.peek() == '"' {
		value, err = l.quoted()
	} else {
		var ok bool
		if value, ok = l.token(); !ok {
			err = fmt.Errorf("parameter %q has an empty value", name)
		}
	}
	return strings.ToLower(name), value, err
}

// parseChallengeList parses `Scheme a=b, c="d", Other e=f`.
func parseChallengeList(s string) ([]SchemeChallenge, error) {
	l := &lexer{s: s}
	var out []SchemeChallenge
	for !l.eof() {
		if l.peek() == ',' {
			l.i++
			continue
		}
		scheme, ok := l.token()
		if !ok {
			return nil, fmt.Errorf("expected an auth scheme at offset %d", l.i)
		}
		c := SchemeChallenge{Scheme: scheme, Params: map[string]string{}}
		for !l.eof() {
			if l.peek() == ',' {
				l.i++
				continue
			}
			// A token not followed by '=' starts the next challenge.
			save := l.i
			if _, ok := l.token(); !ok {
				return nil, fmt.Errorf("unexpected %q at offset %d", l.s[l.i], l.i)
			}
			next := l.peek()
			l.i = save
			if next != '=' {
				break
			}
			name, value, err := l.param()
			if err != nil {
				return nil, err
			}
			if _, dup := c.Params[name]; dup {
				return nil, fmt.Errorf("parameter %q given twice", name)
			}
			c.Params[name] = value
			if !l.eof() && l.peek() != ',' {
				return nil, fmt.Errorf("expected ',' after parameter %q", name)
			}
		}
		out = append(out, c)
	}
	return out, nil
}
