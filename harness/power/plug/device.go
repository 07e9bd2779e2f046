// Package plug drives smart plugs over HTTP: Tasmota (driver "tasmota") and
// Shelly Gen1 and Gen2+ (driver "shelly"). They share one transport: a base
// URL, a bounded timeout per attempt on the injected clock, bounded retries
// on network errors only, credentials that never reach an error text, and
// HTTP Digest through harness/internal/digest.
package plug

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/camrig/camrig/harness/clock"
	"github.com/camrig/camrig/harness/internal/bindcheck"
	"github.com/camrig/camrig/harness/power"
	"github.com/camrig/camrig/harness/power/netdevice"
	"github.com/camrig/camrig/harness/secret"
)

// parseDeviceURL accepts an http base URL without credentials: a password in
// a rig file would end up in logs and version control, so it must come from
// password_env or password_file instead. Errors are prefixed with driver.
func parseDeviceURL(driver, raw string) (*url.URL, error) {
	u, err := deviceURL(raw)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", driver, err)
	}
	return u, nil
}

func deviceURL(raw string) (*url.URL, error) {
	if raw == "" {
		return nil, errors.New("url is required (e.g. http://192.168.1.50)")
	}
	u, err := url.Parse(raw)
	if err != nil {
		// url.Error quotes the input, which may hold a password: say only
		// what is wrong with it.
		var ue *url.Error
		if errors.As(err, &ue) {
			err = ue.Err
		}
		return nil, fmt.Errorf("url is not a valid URL: %v", err)
	}
	if u.User != nil {
		return nil, fmt.Errorf("url %s carries credentials; give user and password_env/password_file instead", u.Redacted())
	}
	if u.Scheme != "http" && u.Scheme != "https" {
		return nil, fmt.Errorf("url %s: scheme must be http or https", u.Redacted())
	}
	if err := bindcheck.NoQueryCredentials(u); err != nil {
		return nil, fmt.Errorf("url: %w", err)
	}
	if u.RawQuery != "" || u.Fragment != "" {
		// Not shown: a query is where a plug's credentials would be.
		return nil, errors.New("url has a query: want scheme://host[:port][/prefix] without query (the URL is not shown)")
	}
	if u.Host == "" {
		return nil, fmt.Errorf("url %s: want scheme://host[:port][/prefix]", u.Redacted())
	}
	u.Path = strings.TrimRight(u.Path, "/")
	return u, nil
}

// checkPlug checks an HTTP plug binding: its URL, its relay index (0 to
// maxChannel) and its timeout and retries, as the constructor will.
func checkPlug(cfg power.Config, scope bindcheck.Scope, maxChannel int) bindcheck.Problems {
	var ps bindcheck.Problems
	if u, err := deviceURL(cfg.URL); err != nil {
		ps.Err("url", err)
	} else {
		ps.Err("url", bindcheck.Loopback(u.Hostname(), scope))
	}
	bindcheck.Range(&ps, "channel", cfg.Channel, 0, maxChannel, "")
	netdevice.CheckBudget(&ps, cfg)
	return ps
}

// authScheme adds credentials to requests of one device.
type authScheme interface {
	// authorize adds what is known so far (nothing before a challenge, for
	// schemes that need one).
	authorize(req *http.Request)
	// challenged sees a 401 and reports whether the request is worth
	// sending again with what it learnt.
	challenged(resp *http.Response) (bool, error)
}

// httpDevice is the transport shared by the HTTP plug backends: one base URL,
// a bounded timeout per attempt on the injected clock, bounded retries on
// network errors only, and error texts that never carry a credential.
type httpDevice struct {
	name    string // the Switch's String(), prefix of every error
	base    *url.URL
	client  *http.Client
	timeout time.Duration
	retries int
	clk     clock.Clock
	log     *slog.Logger
	auth    authScheme
	// secrets are scrubbed from every error text as the last line of defence
	// (a device may echo the query back).
	secrets []secret.Secret
	// redactParams names query parameters whose values never appear in
	// errors or logs.
	redactParams []string
}

// maxReplyBytes bounds what is read from a plug: their replies are tiny, and
// a runaway body must not exhaust memory.
const maxReplyBytes = 64 << 10

func newHTTPClient() *http.Client {
	return &http.Client{
		Transport: &http.Transport{
			// A lab device is never reached through a proxy from the
			// environment, and a proxy would see the query credentials.
			Proxy:               nil,
			MaxIdleConnsPerHost: 1,
			IdleConnTimeout:     30 * time.Second,
		},
		// A redirect would carry the query credentials elsewhere.
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
}

// httpReply is one complete answer.
type httpReply struct {
	status int
	body   []byte
	// authNote says why a 401 was not answered (a challenge this client
	// cannot meet), for the error message.
	authNote string
}

// get sends GET base+target (target is path?query, already escaped) and
// returns the first complete reply. Network failures (refused, reset, the
// per-attempt deadline) are retried up to d.retries times; any complete
// reply, whatever its status, is returned to the caller to judge.
func (d *httpDevice) get(ctx context.Context, op, target string) (*httpReply, error) {
	shown := d.redact(target)
	var rep *httpReply
	last, interrupted := netdevice.Retry(ctx, d.clk, d.log, d.name, op, d.retries, func() (err error) {
		rep, err = d.attempt(ctx, op, target)
		return err
	})
	switch {
	case interrupted != nil:
		return nil, d.wrapf(op, interrupted, "GET %s: %v (after %v)", shown, interrupted, last)
	case last != nil:
		return nil, d.wrapf(op, last, "GET %s: %v", shown, last)
	}
	return rep, nil
}

// attempt is one exchange (two requests when a Digest challenge must be
// answered), bounded by d.timeout.
func (d *httpDevice) attempt(ctx context.Context, op, target string) (*httpReply, error) {
	actx, cancel := clock.WithTimeout(ctx, d.clk, d.timeout, "the plug's reply to "+op)
	defer cancel()
	start := d.clk.Now()
	for leg := 0; ; leg++ {
		req, err := http.NewRequestWithContext(actx, http.MethodGet, d.base.String()+target, nil)
		if err != nil {
			return nil, errors.New("cannot build request") // never echo the URL
		}
		if d.auth != nil {
			d.auth.authorize(req)
		}
		resp, err := d.client.Do(req)
		if err != nil {
			return nil, transportError(actx, err)
		}
		body, err := io.ReadAll(io.LimitReader(resp.Body, maxReplyBytes))
		resp.Body.Close()
		if err != nil {
			return nil, transportError(actx, err)
		}
		if resp.StatusCode == http.StatusUnauthorized && d.auth != nil && leg == 0 {
			again, err := d.auth.challenged(resp)
			if err != nil {
				// Not a refusal of the credentials: none were sent in
				// reply to a challenge this client cannot answer.
				return &httpReply{status: resp.StatusCode, body: body, authNote: err.Error() + "; no credentials were sent in reply"}, nil
			}
			if again {
				continue
			}
		}
		d.log.Debug("power: http", "board", d.name, "op", op, "request", d.redact(target),
			"status", resp.StatusCode, "took", d.clk.Now().Sub(start))
		return &httpReply{status: resp.StatusCode, body: body}, nil
	}
}

// transportError strips the URL that net/http puts in its errors (it may
// hold query credentials) and prefers the deadline's own explanation.
func transportError(ctx context.Context, err error) error {
	if cause := context.Cause(ctx); cause != nil {
		return cause
	}
	var ue *url.Error
	if errors.As(err, &ue) {
		return ue.Err
	}
	return err
}

// redact renders target for humans with secret query values hidden.
func (d *httpDevice) redact(target string) string {
	path, query, ok := strings.Cut(target, "?")
	if !ok || len(d.redactParams) == 0 {
		return target
	}
	parts := strings.Split(query, "&")
	for i, p := range parts {
		k, _, _ := strings.Cut(p, "=")
		for _, r := range d.redactParams {
			if k == r {
				parts[i] = k + "=" + secret.Redacted
			}
		}
	}
	return path + "?" + strings.Join(parts, "&")
}

// errorf builds an error naming the board and operation, scrubbed of every
// credential this device knows.
func (d *httpDevice) errorf(op, format string, args ...any) error {
	return &netdevice.Error{Text: d.scrub(d.name + ": " + op + ": " + fmt.Sprintf(format, args...))}
}

// wrapf is errorf keeping cause reachable for errors.Is (context deadlines,
// power.ErrDeviceReply).
func (d *httpDevice) wrapf(op string, cause error, format string, args ...any) error {
	return &netdevice.Error{Text: d.scrub(d.name + ": " + op + ": " + fmt.Sprintf(format, args...)), Cause: cause}
}

func (d *httpDevice) scrub(s string) string { return secret.Scrub(s, d.secrets...) }

// replyError reports a complete reply the protocol did not promise.
func (d *httpDevice) replyError(op, target string, rep *httpReply, why string) error {
	if rep.authNote != "" {
		why += " (" + rep.authNote + ")"
	}
	// The body is scrubbed whole before snippet cuts it (errorf's scrub of
	// the message would no longer recognise a password cut at the limit).
	body := secret.NewMatcher(d.secrets...).Redact(rep.body)
	return d.wrapf(op, power.ErrDeviceReply, "GET %s: %s: HTTP %d, got %s", d.redact(target), why, rep.status, snippet(body))
}

// snippet shows at most 200 bytes of what a device sent, with control bytes
// escaped so a binary reply cannot garble a terminal or a report.
func snippet(b []byte) string {
	const limit = 200
	if len(b) == 0 {
		return "an empty body"
	}
	cut := b
	if len(cut) > limit {
		cut = cut[:limit]
	}
	var sb strings.Builder
	sb.WriteByte('`')
	for len(cut) > 0 {
		r, size := utf8.DecodeRune(cut)
		switch {
		case r == utf8.RuneError && size <= 1:
			fmt.Fprintf(&sb, `\x%02x`, cut[0])
		case r == '`' || r == '\\':
			sb.WriteByte('\\')
			sb.WriteRune(r)
		case unicode.IsPrint(r):
			sb.WriteRune(r)
		default:
			q := strconv.QuoteRuneToASCII(r) // '\n', '\x00', '\u2028'
			sb.WriteString(q[1 : len(q)-1])
		}
		cut = cut[size:]
	}
	sb.WriteByte('`')
	if len(b) > limit {
		fmt.Fprintf(&sb, " (%d bytes, first %d shown)", len(b), limit)
	}
	return sb.String()
}

// closeIdle releases the kept-alive connections of a device.
func (d *httpDevice) closeIdle() {
	d.client.CloseIdleConnections()
}
