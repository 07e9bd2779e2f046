package power

// HTTP Digest access authentication, client side (RFC 7616), as Shelly Gen2+
// devices demand it: qop=auth with SHA-256 (MD5 and the -sess variants are
// accepted for other devices, and RFC 2069's qop-less form for old ones).
// auth-int is not offered by any plug this harness drives and is refused.

import (
	"crypto/md5"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"hash"
	"net/http"
	"strings"
	"sync"

	"github.com/camrig/camrig/harness/secret"
)

// digestChallenge is one parsed `WWW-Authenticate: Digest ...` challenge.
type digestChallenge struct {
	Realm     string
	Nonce     string
	Opaque    string
	Algorithm string // canonical upper case: MD5, MD5-SESS, SHA-256, SHA-256-SESS
	QOP       string // "auth", or "" for RFC 2069 servers
	Stale     bool
}

// authChallenge is one challenge of any scheme with its auth-params.
type authChallenge struct {
	Scheme string
	Params map[string]string
}

// parseAuthChallenges parses one WWW-Authenticate field value, which may
// hold several challenges (`Digest realm="a", nonce="b", Basic realm="c"`).
// Parameter names are lower-cased; quoted values are unescaped.
func parseAuthChallenges(v string) ([]authChallenge, error) {
	var out []authChallenge
	p := &headerLexer{s: v}
	for {
		p.skipSpaceComma()
		if p.done() {
			break
		}
		scheme := p.token()
		if scheme == "" {
			return nil, fmt.Errorf("challenge %s: expected an auth scheme at byte %d", snippet([]byte(v)), p.i)
		}
		ch := authChallenge{Scheme: scheme, Params: map[string]string{}}
		for {
			p.skipSpace()
			save := p.i
			name := p.token()
			if name == "" {
				break
			}
			p.skipSpace()
			if !p.eat('=') {
				// A bare token starts the next challenge.
				p.i = save
				break
			}
			p.skipSpace()
			var val string
			if p.peek() == '"' {
				q, err := p.quoted()
				if err != nil {
					return nil, fmt.Errorf("challenge %s: %v", snippet([]byte(v)), err)
				}
				val = q
			} else {
				val = p.token()
				for p.eat('=') { // token68 padding, e.g. Negotiate abc==
					val += "="
				}
			}
			ch.Params[strings.ToLower(name)] = val
			p.skipSpace()
			if !p.eat(',') {
				break
			}
		}
		out = append(out, ch)
		if !p.done() && !isTokenChar(p.peek()) && p.peek() != ',' && p.peek() != ' ' && p.peek() != '\t' {
			return nil, fmt.Errorf("challenge %s: unexpected %q at byte %d", snippet([]byte(v)), p.peek(), p.i)
		}
	}
	if len(out) == 0 {
		return nil, errors.New("empty challenge")
	}
	return out, nil
}

// digestFrom picks the strongest Digest challenge this client can answer
// from every WWW-Authenticate field of a 401.
func digestFrom(fields []string) (digestChallenge, error) {
	var best digestChallenge
	bestRank := -1
	var seen []string
	for _, f := range fields {
		chs, err := parseAuthChallenges(f)
		if err != nil {
			return digestChallenge{}, err
		}
		for _, ch := range chs {
			seen = append(seen, ch.Scheme)
			if !strings.EqualFold(ch.Scheme, "Digest") {
				continue
			}
			dc, rank, err := digestChallengeOf(ch.Params)
			if err != nil {
				seen[len(seen)-1] += " (" + err.Error() + ")"
				continue
			}
			if rank > bestRank {
				best, bestRank = dc, rank
			}
		}
	}
	if bestRank < 0 {
		if len(seen) == 0 {
			return digestChallenge{}, errors.New("401 without a WWW-Authenticate challenge")
		}
		return digestChallenge{}, fmt.Errorf("no usable Digest challenge among: %s", strings.Join(seen, ", "))
	}
	return best, nil
}

// digestChallengeOf validates one Digest challenge; rank orders algorithms
// by preference (SHA-256 over MD5).
func digestChallengeOf(p map[string]string) (digestChallenge, int, error) {
	dc := digestChallenge{Realm: p["realm"], Nonce: p["nonce"], Opaque: p["opaque"],
		Stale: strings.EqualFold(p["stale"], "true")}
	if _, ok := p["realm"]; !ok {
		return dc, 0, errors.New("no realm")
	}
	if dc.Nonce == "" {
		return dc, 0, errors.New("no nonce")
	}
	dc.Algorithm = strings.ToUpper(p["algorithm"])
	rank := 0
	switch dc.Algorithm {
	case "", "MD5":
		dc.Algorithm = "MD5"
	case "MD5-SESS":
	case "SHA-256":
		rank = 2
	case "SHA-256-SESS":
		rank = 1
	default:
		return dc, 0, fmt.Errorf("algorithm %s not supported", p["algorithm"])
	}
	if q, ok := p["qop"]; ok {
		for _, opt := range strings.Split(q, ",") {
			if strings.EqualFold(strings.TrimSpace(opt), "auth") {
				dc.QOP = "auth"
			}
		}
		if dc.QOP == "" {
			return dc, 0, fmt.Errorf("qop %q: only auth is supported", q)
		}
	} else if strings.HasSuffix(dc.Algorithm, "-SESS") {
		return dc, 0, errors.New("-sess algorithm without qop")
	}
	return dc, rank, nil
}

func (c digestChallenge) hasher() func() hash.Hash {
	if strings.HasPrefix(c.Algorithm, "SHA-256") {
		return sha256.New
	}
	return md5.New
}

// digestHex is H(data) as lowercase hex.
func digestHex(h func() hash.Hash, parts ...string) string {
	x := h()
	x.Write([]byte(strings.Join(parts, ":")))
	return hex.EncodeToString(x.Sum(nil))
}

// authorization computes the Authorization field value for one request
// (RFC 7616 section 3.4).
func (c digestChallenge) authorization(method, uri, user, pass, cnonce string, nc uint32) string {
	h := c.hasher()
	ha1 := digestHex(h, user, c.Realm, pass)
	if strings.HasSuffix(c.Algorithm, "-SESS") {
		ha1 = digestHex(h, ha1, c.Nonce, cnonce)
	}
	ha2 := digestHex(h, method, uri)
	var resp string
	ncs := fmt.Sprintf("%08x", nc)
	if c.QOP == "" {
		resp = digestHex(h, ha1, c.Nonce, ha2)
	} else {
		resp = digestHex(h, ha1, c.Nonce, ncs, cnonce, c.QOP, ha2)
	}
	var b strings.Builder
	fmt.Fprintf(&b, `Digest username=%s, realm=%s, nonce=%s, uri=%s, algorithm=%s, response="%s"`,
		quoteHeader(user), quoteHeader(c.Realm), quoteHeader(c.Nonce), quoteHeader(uri), c.Algorithm, resp)
	if c.QOP != "" {
		fmt.Fprintf(&b, `, qop=%s, nc=%s, cnonce="%s"`, c.QOP, ncs, cnonce)
	}
	if c.Opaque != "" {
		fmt.Fprintf(&b, `, opaque=%s`, quoteHeader(c.Opaque))
	}
	return b.String()
}

// digestAuth answers Digest challenges and reuses the nonce for later
// requests (counting nc), so a steady press costs one round trip, not two.
type digestAuth struct {
	user string
	pass secret.Secret // resolved at Open
	// cnonce makes the client nonce; tests replace it to check responses.
	cnonce func() string

	mu sync.Mutex
	ch *digestChallenge
	nc uint32
}

func randomCnonce() string {
	var b [12]byte
	_, _ = rand.Read(b[:]) // crypto/rand.Read never fails on Linux
	return hex.EncodeToString(b[:])
}

func (a *digestAuth) authorize(req *http.Request) {
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.ch == nil {
		return
	}
	a.nc++
	pass, _ := a.pass.Value() // resolved at Open: cannot fail
	cn := randomCnonce
	if a.cnonce != nil {
		cn = a.cnonce
	}
	req.Header.Set("Authorization", a.ch.authorization(req.Method, req.URL.RequestURI(), a.user, pass, cn(), a.nc))
}

func (a *digestAuth) challenged(resp *http.Response) (bool, error) {
	ch, err := digestFrom(resp.Header.Values("WWW-Authenticate"))
	if err != nil {
		return false, err
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	a.ch, a.nc = &ch, 0
	return true, nil
}

// basicAuth sends RFC 7617 Basic credentials with every request (Shelly
// Gen1 asks for nothing else).
type basicAuth struct {
	user string
	pass secret.Secret // resolved at Open
}

func (a basicAuth) authorize(req *http.Request) {
	pass, _ := a.pass.Value()
	req.SetBasicAuth(a.user, pass)
}

func (basicAuth) challenged(*http.Response) (bool, error) { return false, nil }

// quoteHeader renders s as an RFC 9110 quoted-string.
func quoteHeader(s string) string {
	var b strings.Builder
	b.WriteByte('"')
	for i := 0; i < len(s); i++ {
		if s[i] == '"' || s[i] == '\\' {
			b.WriteByte('\\')
		}
		b.WriteByte(s[i])
	}
	b.WriteByte('"')
	return b.String()
}

// headerLexer walks an HTTP field value.
type headerLexer struct {
	s string
	i int
}

func (p *headerLexer) done() bool { return p.i >= len(p.s) }

func (p *headerLexer) peek() byte {
	if p.done() {
		return 0
	}
	return p.s[p.i]
}

func (p *headerLexer) eat(c byte) bool {
	if p.peek() == c && !p.done() {
		p.i++
		return true
	}
	return false
}

func (p *headerLexer) skipSpace() {
	for !p.done() && (p.s[p.i] == ' ' || p.s[p.i] == '\t') {
		p.i++
	}
}

func (p *headerLexer) skipSpaceComma() {
	for !p.done() && (p.s[p.i] == ' ' || p.s[p.i] == '\t' || p.s[p.i] == ',') {
		p.i++
	}
}

func (p *headerLexer) token() string {
	start := p.i
	for !p.done() && isTokenChar(p.s[p.i]) {
		p.i++
	}
	return p.s[start:p.i]
}

func (p *headerLexer) quoted() (string, error) {
	start := p.i
	p.i++ // opening quote
	var b strings.Builder
	for !p.done() {
		c := p.s[p.i]
		p.i++
		switch c {
		case '"':
			return b.String(), nil
		case '\\':
			if p.done() {
				return "", fmt.Errorf("unterminated escape in quoted string at byte %d", start)
			}
			b.WriteByte(p.s[p.i])
			p.i++
		default:
			b.WriteByte(c)
		}
	}
	return "", fmt.Errorf("unterminated quoted string at byte %d", start)
}

// isTokenChar reports RFC 9110 tchar.
func isTokenChar(c byte) bool {
	switch {
	case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z', c >= '0' && c <= '9':
		return true
	}
	return strings.IndexByte("!#$%&'*+-.^_`|~", c) >= 0
}
