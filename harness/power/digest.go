package power

// Credentials for the HTTP plug backends. Digest (RFC 7616, qop=auth, MD5 or
// SHA-256, as Shelly Gen2+ demands) reuses the challenge parser and
// request-digest of harness/internal/isapihttp; what is added here is nonce
// reuse with a counted nc, so a steady press costs one round trip, not two.

import (
	"crypto/rand"
	"encoding/hex"
	"net/http"
	"sync"

	"github.com/camrig/camrig/harness/internal/isapihttp"
	"github.com/camrig/camrig/harness/secret"
)

// digestAuth answers Digest challenges and reuses the nonce for later
// requests until the server sends a new one (stale, or after a reboot).
type digestAuth struct {
	user string
	pass secret.Secret // resolved at Open
	// cnonce makes the client nonce; tests replace it to check responses.
	cnonce func() string

	mu sync.Mutex
	ch *isapihttp.DigestChallenge
	nc uint32
}

func randomCnonce() string {
	var b [12]byte
	_, _ = rand.Read(b[:]) // crypto/rand.Read does not fail on Linux
	return hex.EncodeToString(b[:])
}

func (a *digestAuth) authorize(req *http.Request) {
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.ch == nil {
		return // first contact: the device's 401 tells realm and nonce
	}
	a.nc++
	pass, _ := a.pass.Value() // resolved at Open: cannot fail
	cn := randomCnonce
	if a.cnonce != nil {
		cn = a.cnonce
	}
	h, err := isapihttp.DigestAuthorization(*a.ch, a.user, pass, req.Method, req.URL.RequestURI(), a.nc, cn())
	if err != nil {
		return // unanswerable (a line break in the user name): the 401 will say so
	}
	req.Header.Set("Authorization", h)
}

func (a *digestAuth) challenged(resp *http.Response) (bool, error) {
	ch, err := isapihttp.DigestFrom(resp.Header.Values("WWW-Authenticate"))
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
