package camera_test

import (
	"bytes"
	"errors"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"testing"

	"github.com/camrig/camrig/harness/camera"
	"github.com/camrig/camrig/harness/internal/digest"
	"github.com/camrig/camrig/harness/internal/isapihttp"
	"github.com/camrig/camrig/harness/secret"
	"github.com/camrig/camrig/harness/timeline"
	"github.com/camrig/camrig/rigs/virtual/isapisim"
	"github.com/camrig/camrig/rigs/virtual/isapisim/simtest"
)

// recorder keeps every request-digest the client sent, to prove none of
// them shows up anywhere.
type recorder struct {
	mu      sync.Mutex
	digests []string
	rt      http.RoundTripper
}

func (r *recorder) RoundTrip(req *http.Request) (*http.Response, error) {
	if h := req.Header.Get("Authorization"); h != "" {
		p, err := digest.ParseAuthParams(strings.TrimPrefix(h, "Digest "))
		if err == nil && p["response"] != "" {
			r.mu.Lock()
			r.digests = append(r.digests, p["response"])
			r.mu.Unlock()
		}
	}
	return r.rt.RoundTrip(req)
}

func TestNoSecretInLogsErrorsOrTimeline(t *testing.T) {
	ctx := ctxT(t)
	cam := simtest.NewCamera(t, "cam-sec", "127.0.0.26", isapisim.Config{Model: "m", LockoutAttempts: 2, LockoutDuration: 3600e9})
	var logs bytes.Buffer
	log := slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	tl := timeline.New("cam-sec")
	rec := &recorder{rt: isapihttp.NewTransport(5e9)}
	const wrong = "Wr0ng-Password"
	mk := func(pw string) *camera.Client {
		c, err := camera.New(camera.Config{Name: "cam-sec", URL: cam.URL, User: "admin", Password: secret.Literal(pw), Log: log, Timeline: tl, Transport: rec})
		if err != nil {
			t.Fatal(err)
		}
		return c
	}
	good, bad := mk(goodPassword), mk(wrong)
	var errs []error
	keep := func(err error) {
		if err != nil {
			errs = append(errs, err)
		}
	}
	keep(good.Activate(ctx, secret.Literal("weakpassword")))   // rule error
	keep(good.Activate(ctx, secret.Literal("admin-Passw0rd"))) // contains user
	keep(good.Activate(ctx, secret.Literal(goodPassword)))     // ok
	keep(good.Activate(ctx, secret.Literal(goodPassword)))     // already active
	_, err := good.DeviceInfo(ctx)
	keep(err)
	_, err = bad.DeviceInfo(ctx)
	keep(err)
	_, err = bad.DeviceInfo(ctx)
	keep(err) // locked
	_, err = good.UserCheck(ctx)
	keep(err)
	if len(errs) < 4 {
		t.Fatalf("expected refusals, got %d errors", len(errs))
	}
	if !errors.Is(errs[len(errs)-1], camera.ErrLocked) {
		t.Fatalf("last error %v; want locked", errs[len(errs)-1])
	}
	var js bytes.Buffer
	tl.WriteJSON(&js)
	outputs := []string{logs.String(), js.String()}
	for _, e := range errs {
		outputs = append(outputs, e.Error())
	}
	if len(rec.digests) == 0 {
		t.Fatal("no Digest responses recorded")
	}
	forbidden := append([]string{goodPassword, wrong, "weakpassword", "admin-Passw0rd"}, rec.digests...)
	for _, out := range outputs {
		for _, f := range forbidden {
			if strings.Contains(out, f) {
				t.Fatalf("secret %q leaked into %q", f[:3]+"...", out)
			}
		}
	}
	if !strings.Contains(logs.String(), "/ISAPI/System/deviceInfo") {
		t.Fatal("the debug log did not record the calls (test would prove nothing)")
	}
}
