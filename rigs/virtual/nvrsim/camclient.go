package nvrsim

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/rsa"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/camrig/camrig/rigs/virtual/isapisim/wire"
)

// camClient is the NVR's side of talking to one unit: what a real NVR
// does over its PoE ports (activation, login).
type camClient struct {
	base     string
	user     string
	password string
	http     *http.Client

	mu     sync.Mutex
	params map[string]string // last Digest challenge
	nc     uint32
}

const maxCamBody = 64 << 10

// challengeKey is the NVR's RSA pair for activating cameras, made once: it
// only wraps each challenge's one-time AES key, and a 1024-bit pair costs
// tens of milliseconds of CPU, paid before on every activation.
var challengeKey = sync.OnceValues(func() (*rsa.PrivateKey, error) {
	return rsa.GenerateKey(rand.Reader, 1024)
})

func newCamClient(base, sourceIP, user, password string, timeout time.Duration) *camClient {
	d := &net.Dialer{Timeout: timeout}
	if ip := net.ParseIP(sourceIP); ip != nil {
		// Dial from the NVR's own address so an IP-scoped lockout on the
		// unit tells the NVR and the harness apart.
		d.LocalAddr = &net.TCPAddr{IP: ip}
	}
	return &camClient{
		base: strings.TrimRight(base, "/"), user: user, password: password,
		http: &http.Client{
			Timeout: timeout,
			Transport: &http.Transport{
				Proxy: nil, DialContext: d.DialContext, DisableKeepAlives: true,
				ResponseHeaderTimeout: timeout, DisableCompression: true,
			},
			CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
		},
	}
}

type camReply struct {
	code int
	hdr  http.Header
	body []byte
}

func (c *camClient) do(ctx context.Context, method, path string, body []byte, auth string) (camReply, error) {
	req, err := http.NewRequestWithContext(ctx, method, c.base+path, bytes.NewReader(body))
	if err != nil {
		return camReply{}, err
	}
	if body != nil {
		req.Header.Set("Content-Type", wire.ContentType)
	}
	if auth != "" {
		req.Header.Set("Authorization", auth)
	}
	resp, err := c.http.Do(req)
	if err != nil {
		return camReply{}, err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(io.LimitReader(resp.Body, maxCamBody))
	if err != nil {
		return camReply{}, err
	}
	return camReply{resp.StatusCode, resp.Header, b}, nil
}

// activated asks /SDK/activateStatus.
func (c *camClient) activated(ctx context.Context) (bool, error) {
	r, err := c.do(ctx, http.MethodGet, "/SDK/activateStatus", nil, "")
	if err != nil {
		return false, err
	}
	if r.code != http.StatusOK {
		return false, fmt.Errorf("activateStatus: HTTP %d", r.code)
	}
	return wire.ParseActivateStatus(r.body)
}

// activate runs the legacy activation with the NVR's camera password.
func (c *camClient) activate(ctx context.Context) error {
	key, err := challengeKey()
	if err != nil {
		return err
	}
	pk := wire.Document("PublicKey", wire.NamespaceISAPI, wire.Element("key", wire.HexBase64(key.N.Bytes())))
	r, err := c.do(ctx, http.MethodPost, "/ISAPI/Security/challenge", pk, "")
	if err != nil {
		return err
	}
	if r.code != http.StatusOK {
		return fmt.Errorf("challenge: HTTP %d", r.code)
	}
	reply, err := wire.ParsePublicKey(r.body)
	if err != nil {
		return fmt.Errorf("challenge: %w", err)
	}
	sealed, err := wire.Seal(key, reply, c.password)
	if err != nil {
		return fmt.Errorf("challenge: %w", err)
	}
	r, err = c.do(ctx, http.MethodPut, "/ISAPI/System/activate", wire.Document("ActivateInfo", wire.NamespaceISAPI, wire.Element("password", sealed)), "")
	if err != nil {
		return err
	}
	rs, err := wire.ParseResponseStatus(r.body)
	if err != nil {
		return fmt.Errorf("activate: HTTP %d: %w", r.code, err)
	}
	if rs.StatusCode != 1 {
		return fmt.Errorf("activate: HTTP %d statusCode %d %s", r.code, rs.StatusCode, rs.SubStatusCode)
	}
	return nil
}

// errRefused: the unit refused the NVR's credentials (or is locked).
var errRefused = errors.New("credentials refused")

// login checks the camera password with one Digest GET; a stale nonce or
// the first challenge is answered once, a refusal is not retried (each
// retry would be another failed login on the unit).
func (c *camClient) login(ctx context.Context) error {
	const path = "/ISAPI/System/deviceInfo"
	sent := false
	for attempt := 0; attempt < 2; attempt++ {
		auth := ""
		c.mu.Lock()
		if c.params != nil {
			c.nc++
			var cn [8]byte
			rand.Read(cn[:])
			var err error
			if auth, err = wire.Authorization(c.params, c.user, c.password, http.MethodGet, path, c.nc, hex.EncodeToString(cn[:])); err != nil {
				c.mu.Unlock()
				return err
			}
			sent = true
		}
		c.mu.Unlock()
		r, err := c.do(ctx, http.MethodGet, path, nil, auth)
		if err != nil {
			return err
		}
		switch r.code {
		case http.StatusOK:
			return nil
		case http.StatusUnauthorized:
			scheme, rest := wire.SplitScheme(r.hdr.Get("WWW-Authenticate"))
			p, perr := wire.ParseParams(rest)
			if !strings.EqualFold(scheme, "Digest") || perr != nil {
				return errRefused
			}
			c.mu.Lock()
			c.params, c.nc = p, 0
			c.mu.Unlock()
			if sent && !strings.EqualFold(p["stale"], "true") {
				return errRefused
			}
		default:
			return fmt.Errorf("deviceInfo: HTTP %d", r.code)
		}
	}
	return errRefused
}
