// Package digest is the client side of HTTP Digest authentication (RFC 7616,
// RFC 2617 with qop=auth, MD5 or SHA-256, with or without -sess), the one
// implementation the camera, NVR and smart-plug clients share: the
// WWW-Authenticate parser, the request-digest, and a Session that keeps the
// server's nonce and counts its uses so a steady caller pays one round trip
// per request, not two.
//
// The simulated devices under rigs/ verify Digest with their own, separate
// code on purpose: a bug here cannot then be mirrored on the device side
// and pass unnoticed.
package digest

import (
	"crypto/md5"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"hash"
	"strings"
)

// Challenge is a usable Digest challenge (RFC 7616, RFC 2617).
type Challenge struct {
	Realm     string
	Nonce     string
	Opaque    string
	Algorithm string // MD5, MD5-sess, SHA-256 or SHA-256-sess ("" means MD5)
	// QOP is "auth" when the server offers it, "" for RFC 2069 servers.
	QOP   string
	Stale bool
}

// ErrNoChallenge says the server offered no Digest challenge we can answer.
var ErrNoChallenge = errors.New("no usable Digest challenge")

// UnanswerableError says the server asked for Digest authentication only in
// forms this client does not implement (an algorithm such as SHA-512-256,
// qop=auth-int only). It is not a refusal of the credentials: none were
// sent in reply. errors.Is(err, ErrNoChallenge) holds.
type UnanswerableError struct {
	// Reasons says, per Digest challenge offered, what cannot be met.
	Reasons []string
}

func (e *UnanswerableError) Error() string {
	return "the device's Digest challenge cannot be answered: " + strings.Join(e.Reasons, "; ")
}

// Is makes errors.Is(err, ErrNoChallenge) hold.
func (e *UnanswerableError) Is(target error) bool { return target == ErrNoChallenge }

// Supported is what this client answers, for messages.
const Supported = "MD5, MD5-sess, SHA-256 or SHA-256-sess with qop=auth"

// From picks the first Digest challenge with a supported algorithm and qop
// from WWW-Authenticate values.
func From(values []string) (Challenge, error) {
	cs, err := ParseChallenges(values)
	if err != nil {
		return Challenge{}, err
	}
	var why []string
	for _, c := range cs {
		if !strings.EqualFold(c.Scheme, "Digest") {
			continue
		}
		d, err := challengeFrom(c)
		if err == nil {
			return d, nil
		}
		why = append(why, err.Error())
	}
	if len(why) == 0 {
		return Challenge{}, ErrNoChallenge
	}
	return Challenge{}, &UnanswerableError{Reasons: why}
}

func challengeFrom(c SchemeChallenge) (Challenge, error) {
	d := Challenge{
		Realm:     c.Params["realm"],
		Nonce:     c.Params["nonce"],
		Opaque:    c.Params["opaque"],
		Algorithm: c.Params["algorithm"],
		Stale:     strings.EqualFold(c.Params["stale"], "true"),
	}
	if _, ok := c.Params["realm"]; !ok {
		return d, errors.New("Digest challenge without realm")
	}
	if d.Nonce == "" {
		return d, errors.New("Digest challenge without nonce")
	}
	if _, err := newDigestHash(d.Algorithm); err != nil {
		return d, err
	}
	if q, ok := c.Params["qop"]; ok {
		for _, o := range strings.Split(q, ",") {
			if strings.TrimSpace(o) == "auth" {
				d.QOP = "auth"
			}
		}
		if d.QOP == "" {
			return d, fmt.Errorf("qop %q offers no \"auth\" (auth-int is not implemented; camrig answers %s)", clip(q), Supported)
		}
	}
	return d, nil
}

func newDigestHash(alg string) (func() hash.Hash, error) {
	switch strings.ToUpper(alg) {
	case "", "MD5", "MD5-SESS":
		return md5.New, nil
	case "SHA-256", "SHA-256-SESS":
		return sha256.New, nil
	}
	return nil, fmt.Errorf("algorithm %q is not implemented (camrig answers %s)", clip(alg), Supported)
}

func hexHash(h func() hash.Hash, parts ...string) string {
	w := h()
	w.Write([]byte(strings.Join(parts, ":")))
	return hex.EncodeToString(w.Sum(nil))
}

// Response computes the request-digest. nc is the 8-hex-digit nonce count,
// cnonce the client nonce; both are ignored without qop.
func Response(d Challenge, user, password, method, uri, nc, cnonce string) (string, error) {
	h, err := newDigestHash(d.Algorithm)
	if err != nil {
		return "", err
	}
	ha1 := hexHash(h, user, d.Realm, password)
	if strings.HasSuffix(strings.ToUpper(d.Algorithm), "-SESS") {
		ha1 = hexHash(h, ha1, d.Nonce, cnonce)
	}
	ha2 := hexHash(h, method, uri)
	if d.QOP == "" {
		return hexHash(h, ha1, d.Nonce, ha2), nil
	}
	return hexHash(h, ha1, d.Nonce, nc, cnonce, d.QOP, ha2), nil
}

// quote renders a quoted-string, escaping '"' and '\'.
func quote(s string) string { return `"` + quoteEscaper.Replace(s) + `"` }

var quoteEscaper = strings.NewReplacer(`\`, `\\`, `"`, `\"`)

// Authorization builds the Authorization header value. Its result holds the
// request-digest: never log it.
func Authorization(d Challenge, user, password, method, uri string, nc uint32, cnonce string) (string, error) {
	if strings.ContainsAny(user, "\r\n") {
		return "", errors.New("user name contains a line break")
	}
	ncs := fmt.Sprintf("%08x", nc)
	resp, err := Response(d, user, password, method, uri, ncs, cnonce)
	if err != nil {
		return "", err
	}
	var b strings.Builder
	b.WriteString("Digest username=" + quote(user))
	b.WriteString(", realm=" + quote(d.Realm))
	b.WriteString(", nonce=" + quote(d.Nonce))
	b.WriteString(", uri=" + quote(uri))
	if d.Algorithm != "" {
		b.WriteString(", algorithm=" + d.Algorithm)
	}
	if d.QOP != "" {
		b.WriteString(", qop=" + d.QOP + ", nc=" + ncs + ", cnonce=" + quote(cnonce))
	}
	b.WriteString(", response=" + quote(resp))
	if d.Opaque != "" {
		b.WriteString(", opaque=" + quote(d.Opaque))
	}
	return b.String(), nil
}

// clip shortens what a server sent for an error message.
func clip(s string) string {
	const max = 40
	if len(s) <= max {
		return s
	}
	return s[:max] + "..."
}
