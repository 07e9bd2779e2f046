package wire

import (
	"crypto/md5"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"
)

// The camera's side of HTTP Digest (RFC 2617, MD5) is written here on its
// own, independently of the harness's client (harness/internal/isapihttp),
// on purpose: the simulated camera checks the harness's answers with its
// own reading of the RFC, so a bug in either side fails a test.

const maxAuthHeader = 4 << 10

// ParseParams parses `name=value, name="quoted value", ...` as found after
// the scheme of a WWW-Authenticate or Authorization: Digest header.
// Names are lower-cased; a repeated name is an error.
func ParseParams(s string) (map[string]string, error) {
	if len(s) > maxAuthHeader {
		return nil, errors.New("header too long")
	}
	out := map[string]string{}
	i := 0
	skip := func() {
		for i < len(s) && (s[i] == ' ' || s[i] == '\t' || s[i] == ',') {
			i++
		}
	}
	for skip(); i < len(s); skip() {
		start := i
		for i < len(s) && s[i] != '=' && s[i] != ',' && s[i] != ' ' && s[i] != '"' {
			i++
		}
		name := strings.ToLower(s[start:i])
		if name == "" || i >= len(s) || s[i] != '=' {
			return nil, fmt.Errorf("malformed parameter at offset %d", start)
		}
		i++
		var val strings.Builder
		if i < len(s) && s[i] == '"' {
			i++
			closed := false
			for i < len(s) && !closed {
				switch c := s[i]; {
				case c == '\\' && i+1 < len(s):
					val.WriteByte(s[i+1])
					i += 2
				case c == '"':
					closed = true
					i++
				case c < 0x20 || c == 0x7f:
					return nil, errors.New("control character in quoted value")
				default:
					val.WriteByte(c)
					i++
				}
			}
			if !closed {
				return nil, fmt.Errorf("unterminated quoted value for %s", name)
			}
		} else {
			for i < len(s) && s[i] != ',' && s[i] != ' ' && s[i] != '\t' {
				if s[i] < 0x20 || s[i] == 0x7f || s[i] == '"' {
					return nil, fmt.Errorf("bad character in value of %s", name)
				}
				val.WriteByte(s[i])
				i++
			}
		}
		if _, dup := out[name]; dup {
			return nil, fmt.Errorf("parameter %s repeated", name)
		}
		out[name] = val.String()
		for i < len(s) && (s[i] == ' ' || s[i] == '\t') {
			i++
		}
		if i < len(s) && s[i] != ',' {
			return nil, fmt.Errorf("expected ',' after %s", name)
		}
	}
	return out, nil
}

// SplitScheme splits "Digest a=b" into "Digest" and "a=b".
func SplitScheme(h string) (scheme, rest string) {
	h = strings.TrimSpace(h)
	if i := strings.IndexAny(h, " \t"); i > 0 {
		return h[:i], strings.TrimSpace(h[i+1:])
	}
	return h, ""
}

// MD5Hex is hex(MD5(parts joined by ':')).
func MD5Hex(parts ...string) string {
	sum := md5.Sum([]byte(strings.Join(parts, ":")))
	return hex.EncodeToString(sum[:])
}

// HA1 is what a device stores instead of the password: MD5(user:realm:password).
func HA1(user, realm, password string) string { return MD5Hex(user, realm, password) }

// Response is the qop=auth request-digest from HA1; without qop (RFC 2069)
// pass qop "" and nc, cnonce are ignored.
func Response(ha1, nonce, nc, cnonce, qop, method, uri string) string {
	ha2 := MD5Hex(method, uri)
	if qop == "" {
		return MD5Hex(ha1, nonce, ha2)
	}
	return MD5Hex(ha1, nonce, nc, cnonce, qop, ha2)
}

// quote renders a quoted-string.
func quote(s string) string { return `"` + quoteEscaper.Replace(s) + `"` }

var quoteEscaper = strings.NewReplacer(`\`, `\\`, `"`, `\"`)

// WWWAuthenticate renders a Digest challenge header value.
func WWWAuthenticate(realm, nonce string, stale bool) string {
	h := "Digest realm=" + quote(realm) + `, qop="auth", algorithm=MD5, nonce=` + quote(nonce)
	if stale {
		h += ", stale=TRUE"
	}
	return h
}

// Authorization renders the client's header for a challenge (the virtual
// NVR logging in to a unit).
func Authorization(params map[string]string, user, password, method, uri string, nc uint32, cnonce string) (string, error) {
	realm, nonce := params["realm"], params["nonce"]
	if nonce == "" {
		return "", errors.New("challenge without nonce")
	}
	if a := params["algorithm"]; a != "" && !strings.EqualFold(a, "MD5") {
		return "", fmt.Errorf("unsupported algorithm %q", a)
	}
	qop := ""
	for _, q := range strings.Split(params["qop"], ",") {
		if strings.TrimSpace(q) == "auth" {
			qop = "auth"
		}
	}
	ncs := fmt.Sprintf("%08x", nc)
	resp := Response(HA1(user, realm, password), nonce, ncs, cnonce, qop, method, uri)
	h := "Digest username=" + quote(user) + ", realm=" + quote(realm) + ", nonce=" + quote(nonce) +
		", uri=" + quote(uri) + ", algorithm=MD5, response=" + quote(resp)
	if qop != "" {
		h += ", qop=auth, nc=" + ncs + ", cnonce=" + quote(cnonce)
	}
	if o, ok := params["opaque"]; ok {
		h += ", opaque=" + quote(o)
	}
	return h, nil
}
