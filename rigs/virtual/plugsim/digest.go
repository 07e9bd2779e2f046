package plugsim

// The server side of HTTP Digest (RFC 7616) as a Shelly Gen2 device runs
// it: SHA-256, qop=auth, user admin, realm = the device id. Nonces are
// random, live for nonceLife, and every nc must grow (a replayed request is
// refused). A correct answer to an expired nonce gets stale=true, so a
// client re-authenticates without asking for the password again.
//
// It is independent of the harness's Digest client on purpose: the simulated plug checks the harness's answers
// with its own reading of RFC 7616, so a bug in either side fails a test.

import (
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/camrig/camrig/rigs/virtual/simclock"
)

const nonceLife = 10 * time.Minute

type digestServer struct {
	realm, user, password string
	clk                   simclock.Clock

	mu     sync.Mutex
	nonces map[string]*nonceState
}

type nonceState struct {
	issued time.Time
	lastNC uint64
}

func newDigestServer(realm, user, password string, clk simclock.Clock) *digestServer {
	return &digestServer{realm: realm, user: user, password: password, clk: clk, nonces: map[string]*nonceState{}}
}

// check reports whether r carries a valid answer. If not, it has written the
// 401 with a fresh challenge.
func (d *digestServer) check(w http.ResponseWriter, r *http.Request) bool {
	stale, err := d.verify(r)
	if err == nil {
		return true
	}
	d.challenge(w, stale)
	return false
}

func (d *digestServer) challenge(w http.ResponseWriter, stale bool) {
	var b [16]byte
	_, _ = rand.Read(b[:])
	nonce := hex.EncodeToString(b[:])
	d.mu.Lock()
	now := d.clk.Now()
	for n, st := range d.nonces { // forget the expired ones
		if now.Sub(st.issued) > nonceLife {
			delete(d.nonces, n)
		}
	}
	d.nonces[nonce] = &nonceState{issued: now}
	d.mu.Unlock()
	h := fmt.Sprintf(`Digest qop="auth", realm=%q, nonce=%q, algorithm=SHA-256`, d.realm, nonce)
	if stale {
		h += ", stale=true"
	}
	w.Header().Set("WWW-Authenticate", h)
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(http.StatusUnauthorized)
	writeJSON(w, map[string]any{"code": 401, "message": "Unauthorized"})
}

// verify checks the Authorization header; stale says the answer was right
// but the nonce is no longer valid.
func (d *digestServer) verify(r *http.Request) (stale bool, err error) {
	h := r.Header.Get("Authorization")
	scheme, rest, _ := strings.Cut(h, " ")
	if !strings.EqualFold(scheme, "Digest") {
		return false, errors.New("no Digest credentials")
	}
	p, err := ParseAuthParams(rest)
	if err != nil {
		return false, err
	}
	switch {
	case p["username"] != d.user:
		return false, errors.New("unknown user")
	case p["realm"] != d.realm:
		return false, errors.New("wrong realm")
	case p["uri"] != r.RequestURI:
		return false, errors.New("uri does not match the request")
	case p["qop"] != "auth":
		return false, errors.New("qop must be auth")
	case !strings.EqualFold(p["algorithm"], "SHA-256"):
		return false, errors.New("algorithm must be SHA-256")
	case len(p["nc"]) != 8 || p["cnonce"] == "":
		return false, errors.New("nc and cnonce required")
	}
	nc, err := strconv.ParseUint(p["nc"], 16, 32)
	if err != nil {
		return false, errors.New("bad nc")
	}
	sum := func(s string) string { x := sha256.Sum256([]byte(s)); return hex.EncodeToString(x[:]) }
	ha1 := sum(d.user + ":" + d.realm + ":" + d.password)
	ha2 := sum(r.Method + ":" + p["uri"])
	want := sum(ha1 + ":" + p["nonce"] + ":" + p["nc"] + ":" + p["cnonce"] + ":auth:" + ha2)
	if subtle.ConstantTimeCompare([]byte(want), []byte(p["response"])) != 1 {
		return false, errors.New("wrong response")
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	st, ok := d.nonces[p["nonce"]]
	if !ok || d.clk.Now().Sub(st.issued) > nonceLife {
		return true, errors.New("stale nonce")
	}
	if nc <= st.lastNC {
		return false, errors.New("nc replayed")
	}
	st.lastNC = nc
	return false, nil
}

// ParseAuthParams parses the comma-separated name=value list of an
// Authorization: Digest header (values are tokens or quoted strings).
// Names are lower-cased; a repeated name is an error.
func ParseAuthParams(s string) (map[string]string, error) {
	out := map[string]string{}
	i := 0
	skip := func() {
		for i < len(s) && (s[i] == ' ' || s[i] == '\t') {
			i++
		}
	}
	for {
		skip()
		if i >= len(s) {
			break
		}
		start := i
		for i < len(s) && isTchar(s[i]) {
			i++
		}
		name := strings.ToLower(s[start:i])
		if name == "" {
			return nil, fmt.Errorf("expected a parameter name at byte %d", i)
		}
		skip()
		if i >= len(s) || s[i] != '=' {
			return nil, fmt.Errorf("parameter %s without a value", name)
		}
		i++
		skip()
		var val strings.Builder
		if i < len(s) && s[i] == '"' {
			i++
			closed := false
			for i < len(s) {
				c := s[i]
				i++
				if c == '"' {
					closed = true
					break
				}
				if c == '\\' && i < len(s) {
					c = s[i]
					i++
				}
				val.WriteByte(c)
			}
			if !closed {
				return nil, fmt.Errorf("parameter %s: unterminated quoted string", name)
			}
		} else {
			start := i
			for i < len(s) && isTchar(s[i]) {
				i++
			}
			val.WriteString(s[start:i])
		}
		if _, dup := out[name]; dup {
			return nil, fmt.Errorf("parameter %s repeated", name)
		}
		out[name] = val.String()
		skip()
		if i < len(s) {
			if s[i] != ',' {
				return nil, fmt.Errorf("expected ',' at byte %d", i)
			}
			i++
		}
	}
	return out, nil
}

func isTchar(c byte) bool {
	switch {
	case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z', c >= '0' && c <= '9':
		return true
	}
	return strings.IndexByte("!#$%&'*+-.^_`|~", c) >= 0
}
