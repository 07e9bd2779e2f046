// Package isapisim is a virtual unit's network API: a Hikvision-style ISAPI
// HTTP server that runs as a device.Service while the unit is powered and
// booted, on the unit's own loopback address. Its state lives in the
// unit's persistent config store, so a reboot or a power cut keeps it and
// a factory reset wipes it.
//
// Inactive (factory state): only /SDK/activateStatus,
// POST /ISAPI/Security/challenge and PUT /ISAPI/System/activate answer;
// every other call gets the profile's not-activated status with
// subStatusCode notActivated. Activation enforces the password rules and
// stores HA1 (MD5(user:realm:password)), never the password.
//
// Active: HTTP Digest (MD5, qop=auth, realm "IP Camera(<model>)"); failed
// logins count towards the profile's lockout (attempts, duration x
// timescale, per source IP or per account), reported by userCheck; the
// right password is refused while locked. The lockout lives in memory, as
// on the devices: a reboot clears it.
//
// It imports nothing from harness/: it is a separate device.
package isapisim

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/camrig/camrig/rigs/virtual/device"
	"github.com/camrig/camrig/rigs/virtual/isapisim/wire"
)

// Keys in the unit's config store.
const (
	KeyActivated  = "isapi.activated"
	KeyUsers      = "isapi.users"
	KeyDeviceName = "isapi.deviceName"
	// KeyNetworkPrefix marks network settings, kept by a basic reset.
	KeyNetworkPrefix = "net."
)

// DefaultDeviceName is the name a unit reports until one is set.
const DefaultDeviceName = "IP CAMERA"

// Config configures one unit's API.
type Config struct {
	// Addr is the unit's own loopback host:port (127.0.0.12:18001).
	Addr string
	// Model is reported in deviceInfo and in the Digest realm.
	Model        string
	Manufacturer string
	// Firmware is the version deviceInfo reports; FirmwareOf, when set,
	// is asked instead at every request (a unit whose flash holds the
	// image it booted reports that image's version).
	Firmware   string
	FirmwareOf func() string
	// User is the administrator account activation creates (admin).
	User string
	// NotActivatedStatus is the HTTP status of an inactive unit's refusal:
	// 401 (statusCode 4) or 403 (statusCode 6), per profile.
	NotActivatedStatus int
	// Lockout: Attempts failed logins lock for Duration (device time,
	// scaled by Timescale); Scope is "ip" or "account". Attempts 0: none.
	LockoutAttempts int
	LockoutDuration time.Duration
	LockoutScope    string
	// Timescale is the rig's (0 < t <= 1; 0 means 1).
	Timescale float64
	// Namespace is the XML namespace of replies (default isapi.org; older
	// firmware uses hikvision.com).
	Namespace string
	// Now is the unit's clock (default time.Now).
	Now func() time.Time
	Log *slog.Logger
	// OnListen is called with the bound address each time the API comes up.
	OnListen func(net.Addr)
	// Defects are faults to play (the rig file's sim.units.<name>.defects).
	Defects Defects
	// Junk makes every answer 200 OK, XML by its Content-Type, with a body
	// of binary junk (a fault of the fault matrix, sim.units.<name>.api_junk:
	// a firmware whose web server hands out garbage).
	Junk bool
}

// Defects are faults the API can be built with, so the specs that exist to
// catch them can be shown failing. The zero value is a sound API.
type Defects struct {
	// NeverServes: the unit comes up but its API never listens.
	NeverServes bool
	// NoLockout: failed logins are never counted.
	NoLockout bool
	// LockoutNeverExpires: a lock, once set, stays until the unit
	// restarts.
	LockoutNeverExpires bool
	// AcceptsPasswordWhileLocked: the right password gets in while the
	// source is locked (userCheck still reports the lock).
	AcceptsPasswordWhileLocked bool
	// OpenWhileInactive: an inactive unit serves deviceInfo (read and
	// write) to anyone, without activation or a login.
	OpenWhileInactive bool
	// AcceptsWeakPassword: activation takes a password that breaks the
	// rules (too short, one character class, the user name in it).
	AcceptsWeakPassword bool
}

// Server is one unit's API; Run is its device.Service.
type Server struct {
	cfg Config
}

// New validates cfg.
func New(cfg Config) (*Server, error) {
	host, _, err := net.SplitHostPort(cfg.Addr)
	if err != nil {
		return nil, fmt.Errorf("isapisim: address %q: %w", cfg.Addr, err)
	}
	if ip := net.ParseIP(host); ip == nil || !ip.IsLoopback() {
		return nil, fmt.Errorf("isapisim: address %q is not a loopback IP (the virtual rig only listens on 127.0.0.0/8 or ::1)", cfg.Addr)
	}
	if cfg.Model == "" {
		return nil, errors.New("isapisim: no model")
	}
	if cfg.User == "" {
		cfg.User = "admin"
	}
	switch cfg.NotActivatedStatus {
	case 0:
		cfg.NotActivatedStatus = http.StatusUnauthorized
	case http.StatusUnauthorized, http.StatusForbidden:
	default:
		return nil, fmt.Errorf("isapisim: not-activated status %d: want 401 or 403", cfg.NotActivatedStatus)
	}
	if cfg.LockoutAttempts < 0 || (cfg.LockoutAttempts > 0 && cfg.LockoutDuration <= 0) {
		return nil, fmt.Errorf("isapisim: lockout of %d attempts for %s is not valid", cfg.LockoutAttempts, cfg.LockoutDuration)
	}
	switch cfg.LockoutScope {
	case "":
		cfg.LockoutScope = "ip"
	case "ip", "account":
	default:
		return nil, fmt.Errorf("isapisim: lockout scope %q: want ip or account", cfg.LockoutScope)
	}
	if cfg.Timescale == 0 {
		cfg.Timescale = 1
	}
	if !(cfg.Timescale > 0 && cfg.Timescale <= 1) {
		return nil, fmt.Errorf("isapisim: timescale %v: want 0 < t <= 1", cfg.Timescale)
	}
	if cfg.Namespace == "" {
		cfg.Namespace = wire.NamespaceISAPI
	}
	if cfg.Manufacturer == "" {
		cfg.Manufacturer = "camrig virtual"
	}
	if cfg.Firmware == "" {
		cfg.Firmware = "V5.5.71"
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Log == nil {
		cfg.Log = slog.New(slog.DiscardHandler)
	}
	return &Server{cfg: cfg}, nil
}

// Realm is the Digest realm.
func (s *Server) Realm() string { return "IP Camera(" + s.cfg.Model + ")" }

// action is what a handler asks the unit to do once its reply is sent.
type action struct {
	reboot bool
	full   bool
}

// junk answers a request with binary garbage labelled as XML.
func junk(w http.ResponseWriter, _ *http.Request) {
	body := make([]byte, 256)
	for i := range body {
		body[i] = 0x80 | byte(i*53+7)
	}
	w.Header().Set("Content-Type", "application/xml; charset=\"UTF-8\"")
	w.Header().Set("Content-Length", strconv.Itoa(len(body)))
	w.WriteHeader(http.StatusOK)
	w.Write(body)
}

// Run serves the API until ctx ends (power loss, reboot) or a reboot or
// factory reset is requested through the API; then it asks the host. The
// host's Reboot/FactoryReset may block until the service has returned only
// if it cancels ctx first.
func (s *Server) Run(ctx context.Context, h device.Host) error {
	if s.cfg.Defects.NeverServes {
		<-ctx.Done()
		return nil
	}
	var lc net.ListenConfig
	ln, err := lc.Listen(ctx, "tcp", s.cfg.Addr)
	if err != nil {
		return fmt.Errorf("isapisim %s: %w", h.Name(), err)
	}
	u := newUnit(s, h)
	log := s.cfg.Log.With("unit", h.Name())
	var handler http.Handler = u
	if s.cfg.Junk {
		handler = http.HandlerFunc(junk)
	}
	srv := &http.Server{
		Handler:           handler,
		ReadHeaderTimeout: 5 * time.Second,
		ReadTimeout:       10 * time.Second,
		WriteTimeout:      10 * time.Second,
		IdleTimeout:       30 * time.Second,
		MaxHeaderBytes:    16 << 10,
		ErrorLog:          slog.NewLogLogger(log.Handler(), slog.LevelDebug),
		BaseContext:       func(net.Listener) context.Context { return ctx },
	}
	served := make(chan error, 1)
	go func() { served <- srv.Serve(ln) }()
	log.Debug("isapi up", "addr", ln.Addr().String())
	if s.cfg.OnListen != nil {
		s.cfg.OnListen(ln.Addr())
	}
	var act *action
	select {
	case <-ctx.Done():
		// Power loss or a restart from elsewhere: silence at once.
		srv.Close()
		<-served
		return nil
	case err := <-served:
		return fmt.Errorf("isapisim %s: %w", h.Name(), err)
	case a := <-u.actions:
		act = &a
	}
	// Let the handler that asked finish its reply before going down.
	sctx, cancel := context.WithTimeout(ctx, time.Second)
	srv.Shutdown(sctx)
	cancel()
	srv.Close()
	<-served
	done := make(chan struct{})
	go func() {
		defer close(done)
		if act.reboot {
			log.Info("isapi: reboot requested")
			h.Reboot("ISAPI reboot")
			return
		}
		log.Info("isapi: factory reset requested", "full", act.full)
		h.FactoryReset(act.full)
	}()
	select {
	case <-done:
	case <-ctx.Done():
	}
	return nil
}

// BasicResetKeep lists the keys of st a basic factory reset keeps
// (activation, users, network settings): pass it to st.Wipe.
func BasicResetKeep(st *device.Store) []string {
	keep := []string{KeyActivated, KeyUsers}
	for _, k := range st.Keys() {
		if strings.HasPrefix(k, KeyNetworkPrefix) {
			keep = append(keep, k)
		}
	}
	return keep
}
