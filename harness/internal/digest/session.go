package digest

import (
	"crypto/rand"
	"encoding/hex"
	"sync"
)

// Session answers one server's Digest challenges for one user. It keeps the
// last challenge and reuses its nonce with a counted nc until the server
// sends a new one (stale, a reboot, a wrong password), so only the first
// request of a session, and the first after a new nonce, costs a 401. It is
// safe for concurrent use.
type Session struct {
	// Cnonce makes the client nonce (default: 12 random bytes in hex);
	// tests replace it to check responses against published vectors.
	Cnonce func() string

	mu sync.Mutex
	ch *Challenge
	nc uint32
}

// Learn takes the challenge of a 401's WWW-Authenticate values and restarts
// the nonce count. An unusable challenge (ErrNoChallenge, a malformed
// header) leaves the session as it was.
func (s *Session) Learn(wwwAuthenticate []string) (Challenge, error) {
	ch, err := From(wwwAuthenticate)
	if err != nil {
		return Challenge{}, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.ch, s.nc = &ch, 0
	return ch, nil
}

// Authorize returns the Authorization header for a request, or ok=false
// before any challenge was learnt (first contact: the server's 401 names
// realm and nonce). The header holds the request-digest: never log it.
func (s *Session) Authorize(user, password, method, uri string) (header string, ok bool, err error) {
	s.mu.Lock()
	if s.ch == nil {
		s.mu.Unlock()
		return "", false, nil
	}
	ch := *s.ch
	s.nc++
	nc := s.nc
	cnonce := s.Cnonce
	s.mu.Unlock()
	if cnonce == nil {
		cnonce = randomCnonce
	}
	h, err := Authorization(ch, user, password, method, uri, nc, cnonce())
	if err != nil {
		return "", false, err
	}
	return h, true, nil
}

func randomCnonce() string {
	var b [12]byte
	_, _ = rand.Read(b[:]) // crypto/rand.Read never returns an error (Go 1.24+)
	return hex.EncodeToString(b[:])
}
