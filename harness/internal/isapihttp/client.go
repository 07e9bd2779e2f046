// Package isapihttp is the HTTP plumbing shared by the camera and NVR
// clients: per-call deadlines on the injected clock, a transport with
// explicit timeouts and no proxy, bounded bodies, redirects kept on the
// same host, HTTP Digest answered through harness/internal/digest, strict XML decoding for
// both ISAPI namespaces, and typed errors. It never logs a password, an
// Authorization header or a request-digest.
package isapihttp

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/camrig/camrig/harness/clock"
	"github.com/camrig/camrig/harness/internal/digest"
	"github.com/camrig/camrig/harness/secret"
	"github.com/camrig/camrig/harness/timeline"
)

// Defaults for Config fields left zero.
const (
	DefaultTimeout      = 10 * time.Second
	DefaultMaxBody      = 256 << 10
	DefaultMaxRedirects = 3
)

// Config describes one ISAPI peer.
type Config struct {
	// Peer names the device in errors and logs ("camera cam1").
	Peer string
	// URL is the base URL, scheme and host only (http://127.0.0.12:18001).
	URL      string
	User     string
	Password secret.Secret
	Clock    clock.Clock
	// Timeout bounds each call, including the Digest round trip and
	// reading the body.
	Timeout time.Duration
	// MaxBody bounds a reply body in bytes.
	MaxBody      int64
	MaxRedirects int
	Log          *slog.Logger
	Timeline     *timeline.Timeline
	// Transport replaces the default transport (tests).
	Transport http.RoundTripper
}

// Client calls one ISAPI peer. It is safe for concurrent use.
type Client struct {
	cfg  Config
	base *url.URL
	http *http.Client

	digest digest.Session
}

// SafeURL renders raw for errors and logs with any password masked; a
// query (which may hold one: ?password=...) is not shown.
func SafeURL(raw string) string {
	u, err := url.Parse(raw)
	if err != nil {
		return "(unparsable URL)"
	}
	if u.RawQuery != "" || u.Fragment != "" {
		u.RawQuery, u.Fragment, u.ForceQuery = "", "", false
		return u.Redacted() + "?(query not shown)"
	}
	return u.Redacted()
}

// New validates cfg and returns a client.
func New(cfg Config) (*Client, error) {
	shown := SafeURL(cfg.URL)
	if cfg.Peer == "" {
		cfg.Peer = "ISAPI " + shown
	}
	u, err := url.Parse(cfg.URL)
	if err != nil {
		var ue *url.Error
		if errors.As(err, &ue) {
			err = ue.Err
		}
		return nil, fmt.Errorf("%s: API url: %w", cfg.Peer, err)
	}
	switch {
	case u.Scheme != "http" && u.Scheme != "https":
		return nil, fmt.Errorf("%s: API url %s: scheme must be http or https", cfg.Peer, shown)
	case u.Host == "":
		return nil, fmt.Errorf("%s: API url %s has no host", cfg.Peer, shown)
	case u.User != nil:
		return nil, fmt.Errorf("%s: API url must not carry credentials (use password_env or password_file)", cfg.Peer)
	case u.Path != "" && u.Path != "/", u.RawQuery != "", u.Fragment != "":
		return nil, fmt.Errorf("%s: API url %s: give scheme and host only", cfg.Peer, shown)
	}
	u.Path = ""
	cfg.Clock = clock.OrReal(cfg.Clock)
	if cfg.Timeout <= 0 {
		cfg.Timeout = DefaultTimeout
	}
	if cfg.MaxBody <= 0 {
		cfg.MaxBody = DefaultMaxBody
	}
	if cfg.MaxRedirects <= 0 {
		cfg.MaxRedirects = DefaultMaxRedirects
	}
	if cfg.Log == nil {
		cfg.Log = slog.New(slog.DiscardHandler)
	}
	rt := cfg.Transport
	if rt == nil {
		rt = NewTransport(cfg.Timeout)
	}
	c := &Client{cfg: cfg, base: u}
	c.http = &http.Client{Transport: rt, CheckRedirect: c.checkRedirect}
	return c, nil
}

// NewTransport is the default transport: no proxy (an environment proxy
// would send the call elsewhere), explicit dial, header and idle timeouts,
// no compression (so the body limit bounds what arrives) and no keep-alive
// (a unit that reboots leaves no stale pooled connection behind).
//
// The per-call deadline is the primary bound; the transport's own timeouts
// are backstops set a little past it so the call's typed deadline error
// normally wins, and any transport timeout still surfaces as a
// *clock.DeadlineError.
func NewTransport(timeout time.Duration) *http.Transport {
	dial := min(timeout+backstop, 5*time.Second)
	return &http.Transport{
		Proxy:                  nil,
		DialContext:            (&net.Dialer{Timeout: dial}).DialContext,
		TLSHandshakeTimeout:    dial,
		ResponseHeaderTimeout:  timeout + backstop,
		ExpectContinueTimeout:  time.Second,
		IdleConnTimeout:        10 * time.Second,
		MaxResponseHeaderBytes: 32 << 10,
		DisableCompression:     true,
		DisableKeepAlives:      true,
	}
}

// backstop is how far past the call deadline the transport's timeouts sit.
const backstop = time.Second

// Peer names the device.
func (c *Client) Peer() string { return c.cfg.Peer }

// User is the configured user name.
func (c *Client) User() string { return c.cfg.User }

// Clock is the client's clock.
func (c *Client) Clock() clock.Clock { return c.cfg.Clock }

// Close releases idle connections.
func (c *Client) Close() { c.http.CloseIdleConnections() }

type redirectError struct{ reason string }

func (e *redirectError) Error() string { return e.reason }

func (c *Client) checkRedirect(req *http.Request, via []*http.Request) error {
	if len(via) > c.cfg.MaxRedirects {
		return &redirectError{fmt.Sprintf("more than %d redirects", c.cfg.MaxRedirects)}
	}
	if req.URL.Host != c.base.Host || req.URL.Scheme != c.base.Scheme {
		return &redirectError{"redirect to another host or scheme (" + req.URL.Scheme + "://" + req.URL.Host + ") refused"}
	}
	return nil
}

// Request is one call.
type Request struct {
	Method string
	// Path is the request target: path and query (/ISAPI/System/factoryReset?mode=full).
	Path string
	Body []byte
	// Auth answers Digest challenges with the configured credentials.
	Auth bool
	// Secrets are scrubbed from any body excerpt quoted in an error (the
	// configured password always is).
	Secrets []secret.Secret
}

// Response is a reply read in full (up to MaxBody).
type Response struct {
	Call        string
	HTTP        int
	ContentType string
	Header      http.Header
	Body        []byte
	secrets     []secret.Secret
}

// Do performs req within the client's per-call deadline, answering one
// Digest challenge (or a stale-nonce challenge) when req.Auth is set. A
// refused login is not retried: each retry would count as another failed
// login on the device. Do does not interpret the status; see Check.
func (c *Client) Do(ctx context.Context, req Request) (*Response, error) {
	call := req.Method + " " + req.Path
	ctx, cancel := clock.WithTimeout(ctx, c.cfg.Clock, c.cfg.Timeout, c.cfg.Peer+" "+call)
	defer cancel()
	start := c.cfg.Clock.Now()
	resp, err := c.do(ctx, call, req)
	took := c.cfg.Clock.Now().Sub(start)
	if err != nil {
		c.cfg.Log.Debug("isapi call failed", "peer", c.cfg.Peer, "call", call, "took", took, "err", err)
		c.cfg.Timeline.Add(timeline.Event{At: start, Dur: took, Source: timeline.API, Kind: call, Detail: "error: " + err.Error()})
		return nil, err
	}
	c.cfg.Log.Debug("isapi call", "peer", c.cfg.Peer, "call", call, "http", resp.HTTP, "took", took)
	c.cfg.Timeline.Add(timeline.Event{At: start, Dur: took, Source: timeline.API, Kind: call, Detail: "HTTP " + strconv.Itoa(resp.HTTP)})
	return resp, nil
}

func (c *Client) do(ctx context.Context, call string, req Request) (*Response, error) {
	target, err := url.Parse(req.Path)
	if err != nil || target.IsAbs() || target.Host != "" || !strings.HasPrefix(target.Path, "/") {
		return nil, fmt.Errorf("%s: %s: request path must be absolute on the device", c.cfg.Peer, call)
	}
	full := *c.base
	full.Path, full.RawPath, full.RawQuery = target.Path, target.RawPath, target.RawQuery
	var password string
	if req.Auth {
		if password, err = c.cfg.Password.Value(); err != nil {
			return nil, fmt.Errorf("%s: %s: password: %w", c.cfg.Peer, call, err)
		}
	}
	secrets := append([]secret.Secret{c.cfg.Password}, req.Secrets...)
	for attempt := 0; ; attempt++ {
		hreq, err := http.NewRequestWithContext(ctx, req.Method, full.String(), bytes.NewReader(req.Body))
		if err != nil {
			return nil, fmt.Errorf("%s: %s: %w", c.cfg.Peer, call, err)
		}
		if req.Body != nil {
			hreq.Header.Set("Content-Type", `application/xml; charset="UTF-8"`)
		}
		sentAuth := false
		if req.Auth {
			if h, ok, err := c.digest.Authorize(c.cfg.User, password, req.Method, hreq.URL.RequestURI()); err != nil {
				return nil, fmt.Errorf("%s: %s: %w", c.cfg.Peer, call, err)
			} else if ok {
				hreq.Header.Set("Authorization", h)
				sentAuth = true
			}
		}
		hresp, err := c.http.Do(hreq)
		if err != nil {
			return nil, c.transportError(ctx, call, err)
		}
		resp, err := c.read(ctx, call, hresp, secrets)
		if err != nil {
			return nil, err
		}
		if resp.HTTP == http.StatusUnauthorized && req.Auth {
			// Learn keeps the fresh challenge for the next call either way.
			d, err := c.digest.Learn(hresp.Header.Values("WWW-Authenticate"))
			var unanswerable *digest.UnanswerableError
			switch {
			case errors.As(err, &unanswerable):
				// Not "credentials refused": the device asked in a form
				// this client cannot answer, so none were sent for it.
				return nil, &ChallengeError{Peer: c.cfg.Peer, Call: call, Sent: sentAuth, Err: err}
			case err == nil && attempt == 0 && (!sentAuth || d.Stale):
				continue
			}
		}
		return resp, nil
	}
}

func (c *Client) read(ctx context.Context, call string, h *http.Response, secrets []secret.Secret) (*Response, error) {
	defer h.Body.Close()
	resp := &Response{Call: call, HTTP: h.StatusCode, ContentType: h.Header.Get("Content-Type"), Header: h.Header, secrets: secrets}
	if h.ContentLength > c.cfg.MaxBody {
		return nil, c.junk(resp, fmt.Sprintf("HTTP %d body of %d bytes exceeds the %d-byte limit", h.StatusCode, h.ContentLength, c.cfg.MaxBody))
	}
	body, err := io.ReadAll(io.LimitReader(h.Body, c.cfg.MaxBody+1))
	if err != nil {
		return nil, c.transportError(ctx, call, err)
	}
	if int64(len(body)) > c.cfg.MaxBody {
		return nil, c.junk(resp, fmt.Sprintf("HTTP %d body exceeds the %d-byte limit", h.StatusCode, c.cfg.MaxBody))
	}
	resp.Body = body
	return resp, nil
}

func (c *Client) transportError(ctx context.Context, call string, err error) error {
	var re *redirectError
	if errors.As(err, &re) {
		return &JunkError{Peer: c.cfg.Peer, Call: call, Reason: re.reason}
	}
	if cause := context.Cause(ctx); cause != nil {
		return fmt.Errorf("%s: %s: %w", c.cfg.Peer, call, cause)
	}
	var ne net.Error
	if errors.As(err, &ne) && ne.Timeout() {
		return fmt.Errorf("%s: %s: %w (%v)", c.cfg.Peer, call, &clock.DeadlineError{What: "the transport", Allowed: c.cfg.Timeout}, err)
	}
	return fmt.Errorf("%s: %s: %w", c.cfg.Peer, call, err)
}

// junk builds a JunkError quoting the start of the body. The reason (which
// may quote a value from the body) and the body are scrubbed whole, before
// either is cut short: a secret cut first would no longer be recognised.
func (c *Client) junk(resp *Response, reason string) *JunkError {
	return &JunkError{Peer: c.cfg.Peer, Call: resp.Call, Reason: clipReason(secret.Scrub(reason, resp.secrets...)),
		Snippet: snippet(resp.Body, resp.secrets)}
}

// maxReason bounds a JunkError's reason (a parse error may quote a whole
// element's text).
const maxReason = 200

func clipReason(s string) string {
	if len(s) <= maxReason {
		return s
	}
	n := maxReason
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n] + "..."
}

// Junk is junk for callers that parse the body themselves.
func (c *Client) Junk(resp *Response, reason string) error { return c.junk(resp, reason) }

// snippet is the start of body for an error: scrubbed whole first, then
// cut, then control bytes replaced.
func snippet(body []byte, secrets []secret.Secret) string {
	const max = 64
	body = secret.NewMatcher(secrets...).Redact(body)
	if len(body) > max {
		body = body[:max]
	}
	return strings.Map(func(r rune) rune {
		if r < 0x20 || r == 0x7f || r == 0xfffd {
			return '.'
		}
		return r
	}, string(body))
}

// Decode checks that resp is a 2xx XML reply and parses it with parse;
// any failure is typed (Check's errors, or a JunkError).
func (c *Client) Decode(resp *Response, parse func([]byte) error) error {
	if err := c.Check(resp); err != nil {
		return err
	}
	if !IsXMLContentType(resp.ContentType) {
		return c.junk(resp, fmt.Sprintf("content type %q, want application/xml", clip(secret.Scrub(resp.ContentType, resp.secrets...))))
	}
	if err := parse(resp.Body); err != nil {
		return c.junk(resp, err.Error())
	}
	return nil
}

// Expect decodes a write's <ResponseStatus> and requires statusCode 1.
func (c *Client) Expect(resp *Response) error {
	var rs ResponseStatus
	err := c.Decode(resp, func(b []byte) (err error) { rs, err = ParseResponseStatus(b); return err })
	if err != nil {
		return err
	}
	if rs.StatusCode != StatusOK {
		return c.statusError(resp, rs)
	}
	return nil
}

func (c *Client) statusError(resp *Response, rs ResponseStatus) *StatusError {
	return &StatusError{
		Peer: c.cfg.Peer, Call: resp.Call, HTTP: resp.HTTP,
		StatusCode: rs.StatusCode, StatusString: rs.StatusString, SubStatusCode: rs.SubStatusCode,
		ErrorMsg: clip(secret.Scrub(rs.ErrorMsg, resp.secrets...)),
	}
}

// Check returns nil for a 2xx reply and a typed error otherwise: a
// *StatusError for a ResponseStatus refusal (errors.Is ErrNotActivated for
// an inactive unit), a *LockedError or *AuthError for a refused login, a
// *JunkError for anything unparsable.
func (c *Client) Check(resp *Response) error {
	if resp.HTTP >= 200 && resp.HTTP < 300 {
		return nil
	}
	xmlBody := IsXMLContentType(resp.ContentType)
	if xmlBody {
		if rs, err := ParseResponseStatus(resp.Body); err == nil && (resp.HTTP != http.StatusUnauthorized || rs.SubStatusCode == SubNotActivated) {
			return c.statusError(resp, rs)
		}
	}
	if resp.HTTP == http.StatusUnauthorized {
		if xmlBody {
			if uc, err := ParseUserCheck(resp.Body); err == nil {
				if uc.Locked {
					return &LockedError{Peer: c.cfg.Peer, Call: resp.Call, User: c.cfg.User, UnlockIn: time.Duration(uc.UnlockSeconds) * time.Second}
				}
				return &AuthError{Peer: c.cfg.Peer, Call: resp.Call, User: c.cfg.User, RetriesLeft: uc.RetriesLeft}
			}
		}
		return &AuthError{Peer: c.cfg.Peer, Call: resp.Call, User: c.cfg.User, RetriesLeft: -1}
	}
	if !xmlBody {
		return c.junk(resp, fmt.Sprintf("HTTP %d with content type %q", resp.HTTP, clip(secret.Scrub(resp.ContentType, resp.secrets...))))
	}
	_, err := ParseResponseStatus(resp.Body)
	return c.junk(resp, fmt.Sprintf("HTTP %d without a valid ResponseStatus: %v", resp.HTTP, err))
}
