package plug

// Credentials for the HTTP plug backends. Digest (RFC 7616, qop=auth, MD5 or
// SHA-256, as Shelly Gen2+ demands) is harness/internal/digest's Session,
// which reuses the nonce with a counted nc, so a steady press costs one
// round trip, not two.

import (
	"net/http"

	"github.com/camrig/camrig/harness/internal/digest"
	"github.com/camrig/camrig/harness/secret"
)

// digestAuth answers Digest challenges for one plug.
type digestAuth struct {
	user string
	pass secret.Secret // resolved at Open
	sess digest.Session
}

func (a *digestAuth) authorize(req *http.Request) {
	pass, _ := a.pass.Value() // resolved at Open: cannot fail
	h, ok, err := a.sess.Authorize(a.user, pass, req.Method, req.URL.RequestURI())
	if !ok || err != nil {
		// Before any challenge the device's 401 tells realm and nonce; an
		// unanswerable one (a line break in the user name) is refused by
		// the device's 401 too.
		return
	}
	req.Header.Set("Authorization", h)
}

func (a *digestAuth) challenged(resp *http.Response) (bool, error) {
	if _, err := a.sess.Learn(resp.Header.Values("WWW-Authenticate")); err != nil {
		return false, err
	}
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
