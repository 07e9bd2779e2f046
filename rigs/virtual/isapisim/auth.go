package isapisim

import (
	"crypto/subtle"
	"encoding/json"
	"net"
	"net/http"
	"strconv"
	"strings"

	"github.com/camrig/camrig/rigs/virtual/isapisim/wire"
)

// userRecord is what the store keeps per account: the realm and HA1,
// enough to verify Digest, not the password.
type userRecord struct {
	Realm string `json:"realm"`
	HA1   string `json:"ha1"`
}

func (u *unit) users() map[string]userRecord {
	m := map[string]userRecord{}
	if v, ok := u.st.Get(KeyUsers); ok {
		if err := json.Unmarshal([]byte(v), &m); err != nil {
			u.log.Warn("isapi: user table unreadable", "err", err)
		}
	}
	return m
}

func remoteIP(r *http.Request) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return r.RemoteAddr
	}
	return host
}

func (u *unit) lockKey(r *http.Request, user string) string {
	if u.cfg.LockoutScope == "account" {
		return "account:" + user
	}
	return "ip:" + remoteIP(r)
}

// authenticate verifies Digest credentials; on failure it has answered.
func (u *unit) authenticate(w http.ResponseWriter, r *http.Request) (string, bool) {
	hdr := r.Header.Get("Authorization")
	scheme, rest := wire.SplitScheme(hdr)
	if hdr == "" || !strings.EqualFold(scheme, "Digest") {
		u.unauthorized(w, r, verdict{retriesLeft: -1}, false, false)
		return "", false
	}
	p, err := wire.ParseParams(rest)
	if err != nil {
		u.status(w, r, http.StatusBadRequest, 6, "badParameters", "Authorization: "+err.Error())
		return "", false
	}
	user := p["username"]
	key := u.lockKey(r, user)
	locked := u.lock.check(key)
	if locked.locked && !u.cfg.Defects.AcceptsPasswordWhileLocked {
		// The right password is refused too, and the try is not counted.
		u.unauthorized(w, r, locked, true, false)
		return "", false
	}
	if p["uri"] != r.RequestURI {
		u.status(w, r, http.StatusBadRequest, 6, "badParameters", "Digest uri does not match the request")
		return "", false
	}
	var nc uint64 = 1
	if p["qop"] != "" {
		if p["qop"] != "auth" || p["cnonce"] == "" {
			u.status(w, r, http.StatusBadRequest, 6, "badParameters", "Digest qop must be auth with a cnonce")
			return "", false
		}
		if nc, err = strconv.ParseUint(p["nc"], 16, 32); err != nil || len(p["nc"]) != 8 {
			u.status(w, r, http.StatusBadRequest, 6, "badParameters", "Digest nc must be 8 hex digits")
			return "", false
		}
	}
	if !u.nonces.Use(p["nonce"], nc) {
		// Unknown, expired or replayed nonce: a new challenge, not a failure.
		u.unauthorized(w, r, u.lock.check(key), false, true)
		return "", false
	}
	rec, known := u.users()[user]
	want := ""
	if known && rec.Realm == u.srv.Realm() && p["realm"] == rec.Realm {
		want = wire.Response(rec.HA1, p["nonce"], p["nc"], p["cnonce"], p["qop"], r.Method, p["uri"])
	}
	if want == "" || subtle.ConstantTimeCompare([]byte(want), []byte(p["response"])) != 1 {
		if locked.locked {
			// The defective path: still locked for a wrong password.
			u.unauthorized(w, r, locked, true, false)
			return "", false
		}
		v := u.lock.fail(key)
		u.log.Info("isapi: failed login", "user", user, "from", remoteIP(r), "locked", v.locked)
		u.unauthorized(w, r, v, true, false)
		return "", false
	}
	u.lock.success(key)
	return user, true
}

// unauthorized answers 401 with a fresh challenge and a <userCheck> body.
func (u *unit) unauthorized(w http.ResponseWriter, r *http.Request, v verdict, illegal, stale bool) {
	w.Header().Set("WWW-Authenticate", wire.WWWAuthenticate(u.srv.Realm(), u.nonces.Issue(), stale))
	u.writeUserCheck(w, http.StatusUnauthorized, v, illegal)
}

func (u *unit) writeUserCheck(w http.ResponseWriter, code int, v verdict, illegal bool) {
	inner := []string{
		wire.Element("statusValue", strconv.Itoa(code)),
		wire.Element("statusString", http.StatusText(code)),
		wire.Element("isIllegalLogin", strconv.FormatBool(illegal)),
	}
	if v.retriesLeft >= 0 || v.locked {
		lock, unlock := "unlock", 0
		if v.locked {
			lock, unlock = "lock", deviceSeconds(v.left, u.cfg.Timescale)
		}
		inner = append(inner,
			wire.Element("lockStatus", lock),
			wire.Element("unlockTime", strconv.Itoa(unlock)),
			wire.Element("retryLoginTime", strconv.Itoa(max(v.retriesLeft, 0))))
	}
	u.write(w, code, wire.Document("userCheck", "", inner...))
}
