package plug_test

import (
	"context"
	"errors"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/camrig/camrig/harness/power"
	"github.com/camrig/camrig/harness/power/plug"
	"github.com/camrig/camrig/harness/power/powertest"
)

// seen is one request as a plug stub received it.
type seen struct {
	Method string
	URI    string // path?query exactly as sent
	Auth   string // Authorization header
}

// plugStub is an httptest server that records every request and answers
// through reply.
type plugStub struct {
	*httptest.Server
	mu   sync.Mutex
	reqs []seen
}

func newPlugStub(t *testing.T, reply http.HandlerFunc) *plugStub {
	t.Helper()
	s := &plugStub{}
	s.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.mu.Lock()
		s.reqs = append(s.reqs, seen{Method: r.Method, URI: r.RequestURI, Auth: r.Header.Get("Authorization")})
		s.mu.Unlock()
		reply(w, r)
	}))
	t.Cleanup(s.Close)
	return s
}

func (s *plugStub) requests() []seen {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]seen(nil), s.reqs...)
}

func (s *plugStub) uris() []string {
	var out []string
	for _, r := range s.requests() {
		out = append(out, r.URI)
	}
	return out
}

// refusedURL returns an http URL on loopback where nothing listens.
func refusedURL(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	return "http://" + addr
}

func TestNetworkErrorsAreRetriedThenNamed(t *testing.T) {
	t.Setenv("PLUG_PW", "hunter2-secret")
	deps, logs := powertest.LoggedDeps()
	url := refusedURL(t)
	sw, err := plug.NewTasmota(power.Config{Driver: "tasmota", URL: url, Channel: 3, PasswordEnv: "PLUG_PW", Retries: 2, Timeout: time.Second}, deps)
	if err != nil {
		t.Fatal(err)
	}
	err = sw.Set(context.Background(), true)
	if err == nil {
		t.Fatal("set against a closed port succeeded")
	}
	for _, want := range []string{"tasmota:" + url + "#3", "set on", "connection refused", "password=[redacted]"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q lacks %q", err, want)
		}
	}
	powertest.NoLeak(t, "error", err.Error(), "hunter2-secret")
	powertest.NoLeak(t, "log", logs.String(), "hunter2-secret")
	if n := strings.Count(logs.String(), "retrying"); n != 2 {
		t.Errorf("logged %d retries, want 2:\n%s", n, logs)
	}
}

func TestSlowPlugHitsTimeoutPerAttempt(t *testing.T) {
	release := make(chan struct{})
	stub := newPlugStub(t, func(w http.ResponseWriter, r *http.Request) {
		select { // hold the request until the client gives up
		case <-r.Context().Done():
		case <-release:
		}
	})
	defer close(release)
	deps, _ := powertest.LoggedDeps()
	sw, err := plug.NewTasmota(power.Config{URL: stub.URL, Channel: 1, Timeout: 50 * time.Millisecond, Retries: 1}, deps)
	if err != nil {
		t.Fatal(err)
	}
	_, err = sw.Get(context.Background())
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("err = %v, want a deadline", err)
	}
	if !strings.Contains(err.Error(), "tasmota:"+stub.URL+"#1: get") || !strings.Contains(err.Error(), "deadline of 50ms") {
		t.Errorf("error %q does not name the board and the deadline", err)
	}
	if n := len(stub.requests()); n != 2 {
		t.Errorf("plug saw %d requests, want 2 (one retry)", n)
	}
}

func TestCallerCancelIsNotRetried(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	stub := newPlugStub(t, func(w http.ResponseWriter, r *http.Request) {
		cancel() // the caller gives up while the plug is thinking
		<-r.Context().Done()
	})
	deps, _ := powertest.LoggedDeps()
	sw, err := plug.NewTasmota(power.Config{URL: stub.URL, Retries: 5}, deps)
	if err != nil {
		t.Fatal(err)
	}
	if err := sw.Set(ctx, false); !errors.Is(err, context.Canceled) {
		t.Fatalf("err = %v, want canceled", err)
	}
	if n := len(stub.requests()); n != 1 {
		t.Errorf("plug saw %d requests after the caller cancelled, want 1", n)
	}
}

func TestReplyErrorsAreNotRetried(t *testing.T) {
	stub := newPlugStub(t, func(w http.ResponseWriter, r *http.Request) {
		http.Error(w, "relay driver crashed", http.StatusInternalServerError)
	})
	deps, _ := powertest.LoggedDeps()
	sw, err := plug.NewTasmota(power.Config{URL: stub.URL, Channel: 2, Retries: 3}, deps)
	if err != nil {
		t.Fatal(err)
	}
	err = sw.Set(context.Background(), true)
	if !errors.Is(err, power.ErrDeviceReply) || !strings.Contains(err.Error(), "HTTP 500") || !strings.Contains(err.Error(), "relay driver crashed") {
		t.Fatalf("err = %v", err)
	}
	if n := len(stub.requests()); n != 1 {
		t.Errorf("plug saw %d requests, want 1", n)
	}
}

func TestDeviceURLValidation(t *testing.T) {
	for _, tc := range []struct {
		url, want string
	}{
		{"", "url is required"},
		{"http://admin:topsecret@127.0.0.1:80", "carries credentials"},
		{"ftp://127.0.0.1", "scheme must be http"},
		{"http://127.0.0.1/cm?cmnd=x", "without query"},
		{"http://[::1", "not a valid URL"},
	} {
		for _, driver := range []string{"tasmota", "shelly"} {
			_, err := power.Open(context.Background(), power.Config{Driver: driver, URL: tc.url}, power.Deps{})
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("%s %q: err = %v, want %q", driver, tc.url, err, tc.want)
				continue
			}
			powertest.NoLeak(t, "error", err.Error(), "topsecret")
		}
	}
}

func TestBudgetValidation(t *testing.T) {
	for _, cfg := range []power.Config{
		{URL: "http://127.0.0.1", Timeout: -time.Second},
		{URL: "http://127.0.0.1", Retries: -1},
		{URL: "http://127.0.0.1", Retries: 11},
		{URL: "http://127.0.0.1", Channel: 33},
		{URL: "http://127.0.0.1", Channel: -1},
	} {
		if _, err := plug.NewTasmota(cfg, power.Deps{}); err == nil {
			t.Errorf("%+v accepted", cfg)
		}
	}
}

func TestNetworkDriversRegistered(t *testing.T) {
	for _, d := range []string{"tasmota", "shelly"} {
		if !power.Known(d) {
			t.Errorf("driver %s not registered (have %v)", d, power.Drivers())
		}
	}
}
