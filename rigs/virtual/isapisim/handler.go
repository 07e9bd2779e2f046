package isapisim

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"strconv"
	"sync"
	"time"

	"github.com/camrig/camrig/rigs/virtual/device"
	"github.com/camrig/camrig/rigs/virtual/isapisim/wire"
)

// maxRequestBody bounds what a client may send.
const maxRequestBody = 64 << 10

// unit is the API's state for one boot: pending activation challenge,
// Digest nonces and the lockout live here (RAM); everything else in the
// store (flash).
type unit struct {
	srv     *Server
	cfg     *Config
	h       device.Host
	st      *device.Store
	log     *slog.Logger
	lock    *lockout
	actions chan action

	nonces *wire.Nonces

	mu        sync.Mutex
	challenge wire.Challenge
}

func newUnit(s *Server, h device.Host) *unit {
	c := &s.cfg
	attempts, lockDur := lockFor(c)
	return &unit{
		srv: s, cfg: c, h: h, st: h.Config(), log: c.Log.With("unit", h.Name()),
		lock:    newLockout(attempts, lockDur, c.Now),
		actions: make(chan action, 1),
		nonces:  &wire.Nonces{Now: c.Now},
	}
}

// lockFor is how long (real time) a lockout lasts, and how many failures
// set it, as the defects leave them.
func lockFor(c *Config) (attempts int, d time.Duration) {
	attempts, d = c.LockoutAttempts, time.Duration(float64(c.LockoutDuration)*c.Timescale)
	if c.Defects.NoLockout {
		attempts = 0
	}
	if c.Defects.LockoutNeverExpires {
		d = neverUnlocks
	}
	return attempts, d
}

// neverUnlocks is the lock of an API whose lockout never expires: longer
// than any run (the lockout lives in RAM; a restart clears it).
const neverUnlocks = 1000 * time.Hour

func (u *unit) activated() bool {
	v, _ := u.st.Get(KeyActivated)
	return v == "true"
}

func (u *unit) write(w http.ResponseWriter, code int, body []byte) {
	w.Header().Set("Content-Type", wire.ContentType)
	w.Header().Set("Content-Length", strconv.Itoa(len(body)))
	w.WriteHeader(code)
	w.Write(body)
}

// status answers with a ResponseStatus.
func (u *unit) status(w http.ResponseWriter, r *http.Request, httpCode, code int, sub, msg string) {
	u.write(w, httpCode, wire.ResponseStatus{RequestURL: r.URL.Path, StatusCode: code, SubStatusCode: sub, ErrorMsg: msg}.Render(u.cfg.Namespace))
}

func (u *unit) ok(w http.ResponseWriter, r *http.Request) {
	u.status(w, r, http.StatusOK, 1, "ok", "")
}

func (u *unit) notActivated(w http.ResponseWriter, r *http.Request) {
	code := 4
	if u.cfg.NotActivatedStatus == http.StatusForbidden {
		code = 6
	}
	u.status(w, r, u.cfg.NotActivatedStatus, code, "notActivated", "")
}

func (u *unit) wrongMethod(w http.ResponseWriter, r *http.Request) {
	u.status(w, r, http.StatusMethodNotAllowed, 4, "notSupport", r.Method+" not supported here")
}

func (u *unit) readBody(w http.ResponseWriter, r *http.Request) ([]byte, bool) {
	b, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxRequestBody))
	if err != nil {
		u.status(w, r, http.StatusBadRequest, 5, "badXmlFormat", "request body: "+err.Error())
		return nil, false
	}
	return b, true
}

func (u *unit) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	switch r.URL.Path {
	case "/SDK/activateStatus":
		if r.Method != http.MethodGet {
			u.wrongMethod(w, r)
			return
		}
		u.write(w, http.StatusOK, wire.Document("ActivateStatus", "", wire.Element("Activated", strconv.FormatBool(u.activated()))))
		return
	case "/ISAPI/Security/challenge":
		u.handleChallenge(w, r)
		return
	case "/ISAPI/System/activate":
		u.handleActivate(w, r)
		return
	}
	if !u.activated() {
		if u.cfg.Defects.OpenWhileInactive && r.URL.Path == "/ISAPI/System/deviceInfo" {
			u.handleDeviceInfo(w, r) // the defect: no activation, no login
			return
		}
		u.notActivated(w, r)
		return
	}
	user, ok := u.authenticate(w, r)
	if !ok {
		return
	}
	switch r.URL.Path {
	case "/ISAPI/System/deviceInfo":
		u.handleDeviceInfo(w, r)
	case "/ISAPI/Security/userCheck":
		if r.Method != http.MethodGet {
			u.wrongMethod(w, r)
			return
		}
		u.writeUserCheck(w, http.StatusOK, u.lock.check(u.lockKey(r, user)), false)
	case "/ISAPI/System/reboot":
		if r.Method != http.MethodPut {
			u.wrongMethod(w, r)
			return
		}
		u.ok(w, r)
		u.request(w, action{reboot: true})
	case "/ISAPI/System/factoryReset":
		if r.Method != http.MethodPut {
			u.wrongMethod(w, r)
			return
		}
		mode := r.URL.Query().Get("mode")
		if mode != "basic" && mode != "full" {
			u.status(w, r, http.StatusBadRequest, 6, "badParameters", "mode must be basic or full")
			return
		}
		u.ok(w, r)
		u.request(w, action{full: mode == "full"})
	default:
		u.status(w, r, http.StatusNotFound, 4, "notSupport", "")
	}
}

// request flushes the reply and hands the action to Run.
func (u *unit) request(w http.ResponseWriter, a action) {
	http.NewResponseController(w).Flush()
	select {
	case u.actions <- a:
	default: // one is already pending
	}
}

func (u *unit) handleChallenge(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPost {
		u.wrongMethod(w, r)
		return
	}
	if u.activated() {
		u.status(w, r, http.StatusForbidden, 4, "activated", "unit is already activated")
		return
	}
	body, ok := u.readBody(w, r)
	if !ok {
		return
	}
	k, err := wire.ParsePublicKey(body)
	if err != nil {
		u.status(w, r, http.StatusBadRequest, 5, "badXmlFormat", err.Error())
		return
	}
	ch, reply, err := wire.NewChallenge(k)
	if err != nil {
		u.status(w, r, http.StatusBadRequest, 6, "badParameters", err.Error())
		return
	}
	u.mu.Lock()
	u.challenge = ch
	u.mu.Unlock()
	u.write(w, http.StatusOK, wire.Document("PublicKey", u.cfg.Namespace, wire.Element("key", reply)))
}

func (u *unit) handleActivate(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPut {
		u.wrongMethod(w, r)
		return
	}
	if u.activated() {
		u.status(w, r, http.StatusForbidden, 4, "activated", "unit is already activated")
		return
	}
	body, ok := u.readBody(w, r)
	if !ok {
		return
	}
	enc, err := wire.ParseActivateInfo(body)
	if err != nil {
		u.status(w, r, http.StatusBadRequest, 5, "badXmlFormat", err.Error())
		return
	}
	// A challenge is good for one attempt.
	u.mu.Lock()
	ch := u.challenge
	u.challenge = ""
	u.mu.Unlock()
	if ch == "" {
		u.status(w, r, http.StatusForbidden, 4, "invalidOperation", "no activation challenge pending")
		return
	}
	password, err := ch.Open(enc)
	if err != nil {
		u.status(w, r, http.StatusBadRequest, 6, "badParameters", err.Error())
		return
	}
	if problem := wire.PasswordProblem(u.cfg.User, password); problem != "" && !u.cfg.Defects.AcceptsWeakPassword {
		u.status(w, r, http.StatusBadRequest, 6, "riskPassword", problem)
		return
	}
	users, _ := json.Marshal(map[string]userRecord{u.cfg.User: {Realm: u.srv.Realm(), HA1: wire.HA1(u.cfg.User, u.srv.Realm(), password)}})
	err = u.st.Update(func(m map[string]string) {
		m[KeyActivated] = "true"
		m[KeyUsers] = string(users)
	})
	if err != nil {
		u.status(w, r, http.StatusInternalServerError, 3, "deviceError", "config store: "+err.Error())
		return
	}
	u.log.Info("isapi: activated", "user", u.cfg.User)
	u.ok(w, r)
}

func (u *unit) deviceName() string {
	if v, ok := u.st.Get(KeyDeviceName); ok {
		return v
	}
	return DefaultDeviceName
}

func (u *unit) handleDeviceInfo(w http.ResponseWriter, r *http.Request) {
	switch r.Method {
	case http.MethodGet:
		id := sha256.Sum256([]byte(u.h.Name() + "/" + u.cfg.Model))
		x := hex.EncodeToString(id[:])
		mac := fmt.Sprintf("02:%s:%s:%s:%s:%s", x[0:2], x[2:4], x[4:6], x[6:8], x[8:10])
		u.write(w, http.StatusOK, wire.Document("DeviceInfo", u.cfg.Namespace,
			wire.Element("deviceName", u.deviceName()),
			wire.Element("deviceID", x[:8]+"-"+x[8:12]+"-"+x[12:16]+"-"+x[16:20]+"-"+x[20:32]),
			wire.Element("model", u.cfg.Model),
			wire.Element("serialNumber", "VRT"+x[32:44]),
			wire.Element("macAddress", mac),
			wire.Element("firmwareVersion", u.firmware()),
			wire.Element("firmwareReleasedDate", "build 180725"),
			wire.Element("bootVersion", "V1.3.4"),
			wire.Element("hardwareVersion", "0x0"),
			wire.Element("deviceType", "IPCamera"),
			wire.Element("manufacturer", u.cfg.Manufacturer),
		))
	case http.MethodPut:
		body, ok := u.readBody(w, r)
		if !ok {
			return
		}
		name, err := wire.ParseDeviceName(body)
		if err != nil {
			u.status(w, r, http.StatusBadRequest, 5, "badXmlFormat", err.Error())
			return
		}
		if name == "" || len(name) > 32 {
			u.status(w, r, http.StatusBadRequest, 6, "badParameters", "deviceName must be 1 to 32 bytes")
			return
		}
		for _, c := range name {
			if c < 0x20 || c == 0x7f {
				u.status(w, r, http.StatusBadRequest, 6, "badParameters", "deviceName contains a control character")
				return
			}
		}
		if err := u.st.Set(KeyDeviceName, name); err != nil {
			u.status(w, r, http.StatusInternalServerError, 3, "deviceError", "config store: "+err.Error())
			return
		}
		u.ok(w, r)
	default:
		u.wrongMethod(w, r)
	}
}

// firmware is the version the unit runs: its flash's image when it has
// one, else the configured string.
func (u *unit) firmware() string {
	if u.cfg.FirmwareOf != nil {
		if v := u.cfg.FirmwareOf(); v != "" {
			return v
		}
	}
	return u.cfg.Firmware
}
