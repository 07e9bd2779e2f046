// Package bindcheck is what rig.Load and the drivers' Checks share to
// validate a binding before anything is opened: the Problem a Check reports
// (placed at file:line by rig.Load), and the address, URL and device-path
// rules every binding with such a key obeys. Nothing here does I/O.
package bindcheck

import (
	"fmt"
	"net"
	"net/url"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
)

// Problem is one thing wrong with a binding. Key is the binding's key it is
// about ("channel", "url"), or "" for the binding as a whole; rig.Load
// reports it at that key's line.
type Problem struct {
	Key string
	Msg string
}

func (p Problem) String() string {
	if p.Key == "" {
		return p.Msg
	}
	return p.Key + ": " + p.Msg
}

// Problems collects a Check's findings.
type Problems []Problem

// Add records a problem with key.
func (ps *Problems) Add(key, format string, args ...any) {
	*ps = append(*ps, Problem{Key: key, Msg: fmt.Sprintf(format, args...)})
}

// Err records err (if any) as a problem with key.
func (ps *Problems) Err(key string, err error) {
	if err != nil {
		*ps = append(*ps, Problem{Key: key, Msg: err.Error()})
	}
}

// Has reports whether a problem with key was recorded.
func (ps Problems) Has(key string) bool {
	return slices.ContainsFunc(ps, func(p Problem) bool { return p.Key == key })
}

// Scope is what a Check knows beyond the binding itself.
type Scope struct {
	// LoopbackOnly: the rig is virtual, so every network address must be
	// on this machine (its devices are the simulator's, and a routable
	// address there is a copy-paste from a bench).
	LoopbackOnly bool
}

// DevicePath requires an absolute device path (a tty).
func DevicePath(port string) error {
	switch {
	case port == "":
		return fmt.Errorf("port is required")
	case !filepath.IsAbs(port):
		return fmt.Errorf("port %s: want an absolute device path", SafeURL(port))
	}
	return nil
}

// Addr accepts an absolute path or a URL with one of schemes: host:port for
// network schemes, an absolute path for unix://. pathKind names what a bare
// path is ("a device path").
func Addr(addr string, s Scope, pathKind string, schemes ...string) error {
	want := func() string {
		return fmt.Sprintf("want an absolute %s or a %s:// address", strings.TrimPrefix(pathKind, "a "), strings.Join(schemes, ":// or "))
	}
	if addr == "" {
		return fmt.Errorf("port is required")
	}
	if !strings.Contains(addr, "://") {
		if !filepath.IsAbs(addr) {
			return fmt.Errorf("port %s: %s", SafeURL(addr), want())
		}
		return nil
	}
	u, err := url.Parse(addr)
	if err != nil {
		return fmt.Errorf("port %s is not a valid address", SafeURL(addr))
	}
	switch {
	case !slices.Contains(schemes, u.Scheme):
		return fmt.Errorf("port %s: scheme %q not supported (%s)", SafeURL(addr), u.Scheme, want())
	case u.Scheme == "unix":
		if u.Path == "" || !filepath.IsAbs(u.Path) || u.Host != "" {
			return fmt.Errorf("port %s: want unix:///absolute/path", SafeURL(addr))
		}
		return nil
	}
	n, err := strconv.Atoi(u.Port())
	if u.Hostname() == "" || err != nil || n < 1 || n > 65535 {
		return fmt.Errorf("%s: want %s://host:port", SafeURL(u.String()), u.Scheme)
	}
	return Loopback(u.Hostname(), s)
}

// URL accepts a URL with one of schemes, a host, a valid port if any, and
// no credentials (a password in a rig file would end up in logs and version
// control).
func URL(raw string, s Scope, schemes ...string) error {
	if raw == "" {
		return fmt.Errorf("URL is required")
	}
	u, err := url.Parse(raw)
	if err != nil {
		return fmt.Errorf("%s is not a valid URL", SafeURL(raw))
	}
	if u.User != nil {
		return fmt.Errorf("credentials in the URL are refused: use user and password_env or password_file")
	}
	if err := NoQueryCredentials(u); err != nil {
		return err
	}
	if !slices.Contains(schemes, u.Scheme) {
		return fmt.Errorf("%s: scheme %q not supported (want %s)", SafeURL(raw), u.Scheme, strings.Join(schemes, " or "))
	}
	if u.Hostname() == "" {
		return fmt.Errorf("%s has no host", SafeURL(raw))
	}
	if port := u.Port(); port != "" {
		if n, err := strconv.Atoi(port); err != nil || n < 1 || n > 65535 {
			return fmt.Errorf("%s: bad port %q", SafeURL(raw), port)
		}
	}
	return Loopback(u.Hostname(), s)
}

// credentialKeys are query parameter names that carry a credential
// (Tasmota documents http://plug/cm?user=admin&password=...; others use
// pass, pwd, token, key, community).
var credentialKeys = []string{"user", "username", "usr", "login", "password", "passwd", "pass", "pwd", "pw",
	"token", "key", "apikey", "api_key", "auth", "secret", "community", "sig", "signature"}

// NoQueryCredentials refuses a URL whose query (or fragment) names a
// credential. The message names the keys, never a value and never the URL.
func NoQueryCredentials(u *url.URL) error {
	var found []string
	for _, raw := range []string{u.RawQuery, u.Fragment} {
		for _, part := range strings.FieldsFunc(raw, func(r rune) bool { return r == '&' || r == ';' }) {
			k, _, _ := strings.Cut(part, "=")
			if dk, err := url.QueryUnescape(k); err == nil {
				k = dk
			}
			if slices.Contains(credentialKeys, strings.ToLower(strings.TrimSpace(k))) && !slices.Contains(found, k) {
				found = append(found, k)
			}
		}
	}
	if len(found) == 0 {
		return nil
	}
	return fmt.Errorf("the URL carries credentials in its query (%s=...): refused, and not shown; give user and password_env or password_file instead",
		strings.Join(found, "=..., "))
}

// Loopback refuses a non-loopback host when the scope is loopback-only.
func Loopback(host string, s Scope) error {
	if !s.LoopbackOnly || host == "localhost" {
		return nil
	}
	if ip := net.ParseIP(host); ip == nil || !ip.IsLoopback() {
		return fmt.Errorf("host %q is not a loopback address, but the rig is virtual", host)
	}
	return nil
}

// SafeURL echoes an address, quoted, unless it may carry credentials
// (user:pass@host, ?password=...): every message here echoes through it.
func SafeURL(raw string) string {
	if strings.Contains(raw, "@") {
		return "(address not shown: it contains '@', which may hold credentials)"
	}
	if strings.ContainsAny(raw, "?#") {
		return "(address not shown: it has a query, which may hold credentials)"
	}
	return strconv.Quote(raw)
}

// Range checks an integer key against [lo, hi]; what names its meaning
// ("channel", "relay"), unit the range's note ("0 = the plug's only relay").
func Range(ps *Problems, key string, v, lo, hi int, note string) {
	if v < lo || v > hi {
		if note != "" {
			note = " (" + note + ")"
		}
		ps.Add(key, "%s %d out of range %d-%d%s", key, v, lo, hi, note)
	}
}
