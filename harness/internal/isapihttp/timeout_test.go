package isapihttp

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/camrig/camrig/harness/clock"
)

// A transport timeout that fires before the call deadline is still a
// typed deadline error.
func TestTransportTimeoutIsTyped(t *testing.T) {
	release := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-r.Context().Done():
		case <-release:
		}
	}))
	defer srv.Close()
	defer close(release)
	c, err := New(Config{Peer: "slow", URL: srv.URL, Timeout: time.Minute, Transport: &http.Transport{ResponseHeaderTimeout: 50 * time.Millisecond}})
	if err != nil {
		t.Fatal(err)
	}
	_, err = c.Do(context.Background(), Request{Method: "GET", Path: "/x"})
	var de *clock.DeadlineError
	if !errors.Is(err, context.DeadlineExceeded) || !errors.As(err, &de) {
		t.Fatalf("%v; want a *clock.DeadlineError", err)
	}
}
