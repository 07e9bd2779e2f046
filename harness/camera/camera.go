// Package camera is the harness's client for a unit's network API
// (Hikvision ISAPI over HTTP): activation state, activation, device info,
// the login verdict and lockout, reboot and factory reset. A reset is only
// proven by what the unit says afterwards; this is how the harness asks.
//
// Every call has a deadline on the injected clock, bodies are bounded and
// parsed strictly (both ISAPI namespaces), and failures are typed:
// errors.Is(err, ErrNotActivated | ErrUnauthorized | ErrLocked | ErrJunk),
// and errors.As to a *StatusError, *LockedError, *AuthError or *JunkError
// for the details. A deadline gives a *clock.DeadlineError
// (errors.Is(err, context.DeadlineExceeded)).
// No password or Digest response reaches a log, an error or the timeline.
package camera

import (
	"context"
	"crypto/rand"
	"crypto/rsa"
	"fmt"
	"log/slog"
	"net/http"
	"sync"
	"time"

	"github.com/camrig/camrig/harness/clock"
	"github.com/camrig/camrig/harness/internal/isapihttp"
	"github.com/camrig/camrig/harness/secret"
	"github.com/camrig/camrig/harness/timeline"
)

// Typed errors (shared with harness/nvr).
var (
	ErrJunk         = isapihttp.ErrJunk
	ErrNotActivated = isapihttp.ErrNotActivated
	ErrUnauthorized = isapihttp.ErrUnauthorized
	ErrLocked       = isapihttp.ErrLocked
)

type (
	// StatusError is a ResponseStatus refusal (HTTP status, statusCode,
	// subStatusCode).
	StatusError = isapihttp.StatusError
	// LockedError is a login refused by an illegal-login lock; UnlockIn is
	// in device time.
	LockedError = isapihttp.LockedError
	// AuthError is a refused login that did not lock.
	AuthError = isapihttp.AuthError
	// JunkError is an unparsable or malformed reply.
	JunkError = isapihttp.JunkError
	// ResponseStatus is the unit's generic reply to a write or a refusal.
	ResponseStatus = isapihttp.ResponseStatus
)

// ResponseStatus statusCode values.
const (
	StatusOK             = isapihttp.StatusOK
	StatusDeviceBusy     = isapihttp.StatusDeviceBusy
	StatusDeviceError    = isapihttp.StatusDeviceError
	StatusInvalidOp      = isapihttp.StatusInvalidOp
	StatusInvalidXML     = isapihttp.StatusInvalidXML
	StatusInvalidContent = isapihttp.StatusInvalidContent
	StatusRebootRequired = isapihttp.StatusRebootRequired
)

// Config says where a unit's API is and how to log in.
type Config struct {
	// Name is the unit's name in the rig file, used in errors.
	Name string
	// URL is scheme and host (http://127.0.0.12:18001).
	URL      string
	User     string
	Password secret.Secret
	Clock    clock.Clock
	// Timeout bounds each call (default 10 s; it is a network deadline,
	// not a device duration, so it is not scaled).
	Timeout  time.Duration
	Log      *slog.Logger
	Timeline *timeline.Timeline
	// Transport replaces the default transport (tests).
	Transport http.RoundTripper
}

// Client talks to one unit.
type Client struct {
	h *isapihttp.Client

	// challengeKey is the RSA key pair activation sends the unit, made on
	// the first activation and kept for the client's life: it only wraps
	// the challenge's one-time AES key, and making a 1024-bit pair costs
	// tens of milliseconds of CPU, which a suite that activates its units
	// after every factory reset paid each time.
	challengeKey func() (*rsa.PrivateKey, error)
}

// New returns a client; nothing is sent until a call.
func New(cfg Config) (*Client, error) {
	peer := "camera " + isapihttp.SafeURL(cfg.URL)
	if cfg.Name != "" {
		peer = "camera " + cfg.Name
	}
	if cfg.User == "" {
		return nil, fmt.Errorf("%s: no API user configured", peer)
	}
	h, err := isapihttp.New(isapihttp.Config{
		Peer: peer, URL: cfg.URL, User: cfg.User, Password: cfg.Password,
		Clock: cfg.Clock, Timeout: cfg.Timeout, Log: cfg.Log, Timeline: cfg.Timeline,
		Transport: cfg.Transport,
	})
	if err != nil {
		return nil, err
	}
	return &Client{h: h, challengeKey: sync.OnceValues(func() (*rsa.PrivateKey, error) {
		return rsa.GenerateKey(rand.Reader, rsaBits)
	})}, nil
}

// Close releases idle connections.
func (c *Client) Close() { c.h.Close() }

// String names the unit.
func (c *Client) String() string { return c.h.Peer() }

func (c *Client) get(ctx context.Context, path string, auth bool, parse func([]byte) error) error {
	resp, err := c.h.Do(ctx, isapihttp.Request{Method: http.MethodGet, Path: path, Auth: auth})
	if err != nil {
		return err
	}
	return c.h.Decode(resp, parse)
}

// put sends body (nil for none) and requires ResponseStatus statusCode 1.
func (c *Client) put(ctx context.Context, path string, body []byte, secrets ...secret.Secret) error {
	resp, err := c.h.Do(ctx, isapihttp.Request{Method: http.MethodPut, Path: path, Body: body, Auth: true, Secrets: secrets})
	if err != nil {
		return err
	}
	return c.h.Expect(resp)
}
