package isapihttp

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"github.com/camrig/camrig/harness/secret"
	"github.com/camrig/camrig/rigs/virtual/isapisim/wire"
)

// digestServer verifies with the device side's independent Digest code.
type digestServer struct {
	mu       sync.Mutex
	ha1      string
	nonce    string
	staleOne bool // answer the next good request with stale=true once
	requests int
	lastNC   string
}

func (s *digestServer) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.requests++
	challenge := func(stale bool) {
		s.nonce = strings.Repeat("n", 8) + string(rune('a'+s.requests%26))
		s.lastNC = ""
		w.Header().Set("WWW-Authenticate", wire.WWWAuthenticate("IP Camera(test)", s.nonce, stale))
		w.WriteHeader(http.StatusUnauthorized)
	}
	scheme, rest := wire.SplitScheme(r.Header.Get("Authorization"))
	if scheme != "Digest" {
		challenge(false)
		return
	}
	p, err := wire.ParseParams(rest)
	if err != nil || p["nonce"] != s.nonce || p["uri"] != r.RequestURI || p["nc"] <= s.lastNC {
		challenge(true)
		return
	}
	if wire.Response(s.ha1, p["nonce"], p["nc"], p["cnonce"], p["qop"], r.Method, p["uri"]) != p["response"] {
		challenge(false)
		return
	}
	s.lastNC = p["nc"]
	if s.staleOne {
		s.staleOne = false
		challenge(true)
		return
	}
	w.Header().Set("Content-Type", "application/xml")
	w.Write([]byte(`<ResponseStatus><statusCode>1</statusCode></ResponseStatus>`))
}

func TestDigestClientAgainstServer(t *testing.T) {
	srv := &digestServer{ha1: wire.HA1("admin", "IP Camera(test)", "Right-Passw0rd")}
	hs := httptest.NewServer(srv)
	defer hs.Close()
	ctx := context.Background()
	mk := func(pw string) *Client {
		c, err := New(Config{Peer: "test", URL: hs.URL, User: "admin", Password: secret.Literal(pw)})
		if err != nil {
			t.Fatal(err)
		}
		return c
	}
	good := mk("Right-Passw0rd")
	calls := func(c *Client, path string) (int, error) {
		srv.mu.Lock()
		before := srv.requests
		srv.mu.Unlock()
		resp, err := c.Do(ctx, Request{Method: "GET", Path: path, Auth: true})
		srv.mu.Lock()
		defer srv.mu.Unlock()
		if err != nil {
			return srv.requests - before, err
		}
		return srv.requests - before, c.Expect(resp)
	}
	// First call: challenge, then authorized.
	if n, err := calls(good, "/a?x=1"); err != nil || n != 2 {
		t.Fatalf("first call: %d requests, %v", n, err)
	}
	// Cached challenge: one request, nc counts up.
	if n, err := calls(good, "/b"); err != nil || n != 1 {
		t.Fatalf("second call: %d requests, %v", n, err)
	}
	if srv.lastNC != "00000002" {
		t.Fatalf("nc %s, want 00000002", srv.lastNC)
	}
	// A stale nonce is answered once more, not counted as a failure.
	srv.mu.Lock()
	srv.staleOne = true
	srv.mu.Unlock()
	if n, err := calls(good, "/c"); err != nil || n != 2 {
		t.Fatalf("stale: %d requests, %v", n, err)
	}
	// A wrong password is not retried (each retry would be a failed login).
	bad := mk("Wrong-Passw0rd")
	if n, err := calls(bad, "/d"); !errors.Is(err, ErrUnauthorized) || n != 2 {
		t.Fatalf("wrong password: %d requests, %v; want 2 and ErrUnauthorized", n, err)
	}
	if n, err := calls(bad, "/d"); !errors.Is(err, ErrUnauthorized) || n != 1 {
		t.Fatalf("wrong password again: %d requests, %v; want 1", n, err)
	}
}
