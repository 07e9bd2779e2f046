// Package nvrsim is the virtual rig's NVR: an HTTP (ISAPI) server on
// loopback with N PoE ports. Each port can be wired to a unit (its API base
// URL and a probe saying whether the port powers it). The NVR watches its
// ports: a unit that comes up inactive is activated with the NVR's
// camera-activation password, as a real NVR does over HTTP, and added as
// that port's channel. Channel status: online/connect when the unit is
// reachable and accepts the NVR's password, errorUserNameOrPasswd when it
// does not, offline/netUnreachable when the port is unpowered or the unit
// does not answer.
//
// Channel id N is PoE port N (the documented mapping; srcInputPort is the
// unit's own input, 1, as on real NVRs).
//
// The NVR logs in to a unit when it (re)appears on its port, and between
// appearances only checks that it still answers (no credentials), so its
// polling neither resets nor adds to a unit's failed-login count. A
// password changed while the unit stays up is therefore noticed at its
// next reboot, as with a real NVR holding a session.
//
// It imports nothing from harness/: it is a separate device.
package nvrsim

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"sort"
	"sync"
	"time"

	"github.com/camrig/camrig/rigs/virtual/isapisim/wire"
)

// Channel detection results (chanDetectResult).
const (
	DetectConnect        = "connect"
	DetectConnecting     = "connecting"
	DetectBadPassword    = "errorUserNameOrPasswd"
	DetectNetUnreachable = "netUnreachable"
	DetectUnknownError   = "unknownError"
)

// Config configures the NVR.
type Config struct {
	// Addr is the NVR API's loopback host:port (127.0.0.1:18080).
	Addr string
	Name string
	// User and Password log in to the NVR's own API.
	User     string
	Password string
	// CameraUser and CameraPassword are what the NVR activates units with
	// and logs in to them with. CameraPassword must pass the activation
	// rules (the NVR refuses to store one that does not).
	CameraUser     string
	CameraPassword string
	// Ports is the number of PoE ports (1..64).
	Ports int
	// Poll is the interval between probes of the ports (default 1 s);
	// Kick asks for one at once.
	Poll time.Duration
	// ProbeTimeout bounds each HTTP exchange with a unit (default 2 s).
	ProbeTimeout time.Duration
	// ActivateAfter is how long a unit must have been seen inactive before
	// the NVR activates it (real time; 0: at once). Real NVRs scan for new
	// devices every few seconds, which leaves a harness a window to see a
	// reset unit inactive; meanwhile the channel reports "connecting".
	ActivateAfter time.Duration
	// Now is the NVR's clock (default time.Now).
	Now func() time.Time
	// SourceIP is the address the NVR dials units from (default the IP of
	// Addr), so IP-scoped lockouts tell it from the harness.
	SourceIP string
	Log      *slog.Logger
	// OnListen is called with the API's bound address.
	OnListen func(net.Addr)
	// OnProbe is called after each probe pass of the running NVR.
	OnProbe func()
	// Defects are faults to play (the rig file's sim.nvr.defects).
	Defects Defects
	// Down is the NVR down (a fault of the lab, not of the NVR: the rig
	// file's sim.nvr.down): its address still accepts connections but
	// every request is dropped unanswered, and it probes no port, so no
	// unit is activated or seen online by it.
	Down bool
}

// Defects are faults the NVR can be built with, so the specs that exist to
// catch them can be shown failing. The zero value is a sound NVR.
type Defects struct {
	// NeverActivates: an inactive unit on a port stays inactive (its
	// channel "connecting" for ever).
	NeverActivates bool
	// ChannelStaysOnline: a channel once online stays online when its
	// unit loses power or stops answering.
	ChannelStaysOnline bool
	// ChannelNeverReturns: a channel that went offline stays offline when
	// its unit comes back.
	ChannelNeverReturns bool
}

// NVR is the virtual NVR.
type NVR struct {
	cfg    Config
	realm  string
	nonces *wire.Nonces
	kick   chan struct{}
	probe  sync.Mutex // one probe pass at a time

	mu    sync.Mutex
	ports map[int]*port
}

// port is one PoE port and, once a unit was seen on it, its channel.
type port struct {
	n       int
	api     string
	ip      string
	powered func() bool
	cam     *camClient

	channel bool // a unit was seen: the channel exists
	online  bool
	detect  string
	seen    bool // reachable at the last probe
	loginOK bool // the last login was accepted
	// inactiveSince is when the unit was first seen inactive (zero: it
	// was active at the last probe).
	inactiveSince time.Time
	// lost: the channel was online and went offline (the
	// channel_never_returns defect keeps it so).
	lost bool
}

// New validates cfg.
func New(cfg Config) (*NVR, error) {
	host, _, err := net.SplitHostPort(cfg.Addr)
	if err != nil {
		return nil, fmt.Errorf("nvrsim: address %q: %w", cfg.Addr, err)
	}
	if ip := net.ParseIP(host); ip == nil || !ip.IsLoopback() {
		return nil, fmt.Errorf("nvrsim: address %q is not a loopback IP", cfg.Addr)
	}
	if cfg.SourceIP == "" {
		cfg.SourceIP = host
	}
	if ip := net.ParseIP(cfg.SourceIP); ip == nil || !ip.IsLoopback() {
		return nil, fmt.Errorf("nvrsim: source address %q is not a loopback IP", cfg.SourceIP)
	}
	if cfg.Name == "" {
		cfg.Name = "nvr"
	}
	if cfg.User == "" {
		cfg.User = "admin"
	}
	if cfg.CameraUser == "" {
		cfg.CameraUser = "admin"
	}
	if cfg.Password == "" {
		return nil, errors.New("nvrsim: no API password")
	}
	if p := wire.PasswordProblem(cfg.CameraUser, cfg.CameraPassword); p != "" {
		return nil, fmt.Errorf("nvrsim: camera-activation %s", p)
	}
	if cfg.Ports < 1 || cfg.Ports > 64 {
		return nil, fmt.Errorf("nvrsim: %d PoE ports: want 1..64", cfg.Ports)
	}
	if cfg.Poll <= 0 {
		cfg.Poll = time.Second
	}
	if cfg.ProbeTimeout <= 0 {
		cfg.ProbeTimeout = 2 * time.Second
	}
	if cfg.Log == nil {
		cfg.Log = slog.New(slog.DiscardHandler)
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.ActivateAfter < 0 {
		return nil, fmt.Errorf("nvrsim: negative activation delay %s", cfg.ActivateAfter)
	}
	return &NVR{
		cfg: cfg, realm: "Network Video Recorder(" + cfg.Name + ")",
		nonces: &wire.Nonces{}, kick: make(chan struct{}, 1), ports: map[int]*port{},
	}, nil
}

// Wire connects PoE port n (1-based) to a unit's API base URL (a loopback
// http URL); powered says whether the port's unit has power (nil: always).
func (n *NVR) Wire(p int, apiURL string, powered func() bool) error {
	if p < 1 || p > n.cfg.Ports {
		return fmt.Errorf("nvrsim: PoE port %d: the NVR has ports 1..%d", p, n.cfg.Ports)
	}
	u, err := url.Parse(apiURL)
	if err != nil || u.Scheme != "http" || u.Hostname() == "" {
		return fmt.Errorf("nvrsim: PoE port %d: API url %q: want http://<loopback>:<port>", p, apiURL)
	}
	if ip := net.ParseIP(u.Hostname()); ip == nil || !ip.IsLoopback() {
		return fmt.Errorf("nvrsim: PoE port %d: API url %q is not on a loopback IP", p, apiURL)
	}
	if powered == nil {
		powered = func() bool { return true }
	}
	n.mu.Lock()
	defer n.mu.Unlock()
	if _, dup := n.ports[p]; dup {
		return fmt.Errorf("nvrsim: PoE port %d is already wired", p)
	}
	n.ports[p] = &port{
		n: p, api: apiURL, ip: u.Hostname(), powered: powered, detect: DetectNetUnreachable,
		cam: newCamClient(apiURL, n.cfg.SourceIP, n.cfg.CameraUser, n.cfg.CameraPassword, n.cfg.ProbeTimeout),
	}
	return nil
}

// Kick asks the running NVR to probe its ports now (a unit's power or
// boot edge), instead of at the next poll.
func (n *NVR) Kick() {
	select {
	case n.kick <- struct{}{}:
	default:
	}
}

// Run serves the API and watches the ports until ctx ends.
func (n *NVR) Run(ctx context.Context) error {
	var lc net.ListenConfig
	ln, err := lc.Listen(ctx, "tcp", n.cfg.Addr)
	if err != nil {
		return fmt.Errorf("nvrsim: %w", err)
	}
	srv := &http.Server{
		Handler:           n.handler(),
		ReadHeaderTimeout: 5 * time.Second,
		ReadTimeout:       10 * time.Second,
		WriteTimeout:      10 * time.Second,
		IdleTimeout:       30 * time.Second,
		MaxHeaderBytes:    16 << 10,
		ErrorLog:          slog.NewLogLogger(n.cfg.Log.Handler(), slog.LevelDebug),
	}
	served := make(chan error, 1)
	go func() { served <- srv.Serve(ln) }()
	if n.cfg.OnListen != nil {
		n.cfg.OnListen(ln.Addr())
	}
	n.cfg.Log.Info("nvr up", "addr", ln.Addr().String(), "ports", n.cfg.Ports)
	tick := time.NewTicker(n.cfg.Poll)
	defer tick.Stop()
	for {
		if !n.cfg.Down {
			n.Probe(ctx)
		}
		if n.cfg.OnProbe != nil && ctx.Err() == nil {
			n.cfg.OnProbe()
		}
		select {
		case <-ctx.Done():
			srv.Close()
			<-served
			return nil
		case err := <-served:
			return fmt.Errorf("nvrsim: %w", err)
		case <-tick.C:
		case <-n.kick:
		}
	}
}

// handler is the API, or for a down NVR, a service that drops every
// request without a byte of answer.
func (n *NVR) handler() http.Handler {
	if !n.cfg.Down {
		return n.api()
	}
	return http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		if c, _, err := http.NewResponseController(w).Hijack(); err == nil {
			c.Close()
		}
	})
}

// Probe checks every wired port once, concurrently, and returns when all
// are done: the polling loop's step, callable directly (tests).
func (n *NVR) Probe(ctx context.Context) {
	n.probe.Lock()
	defer n.probe.Unlock()
	n.mu.Lock()
	ports := make([]*port, 0, len(n.ports))
	for _, p := range n.ports {
		ports = append(ports, p)
	}
	n.mu.Unlock()
	var wg sync.WaitGroup
	for _, p := range ports {
		wg.Add(1)
		go func() {
			defer wg.Done()
			n.probePort(ctx, p)
		}()
	}
	wg.Wait()
}

// probePort updates one port. Only this (under n.probe) writes the
// port's probe fields; readers take n.mu.
func (n *NVR) probePort(ctx context.Context, p *port) {
	log := n.cfg.Log.With("port", p.n)
	set := func(online bool, detect string, seen, loginOK bool) {
		n.mu.Lock()
		defer n.mu.Unlock()
		if p.online && !online {
			p.lost = true
		}
		if p.lost && n.cfg.Defects.ChannelNeverReturns {
			online, detect = false, DetectNetUnreachable // the defect
		}
		if p.detect != detect || p.online != online {
			log.Info("nvr channel status", "online", online, "result", detect)
		}
		p.online, p.detect, p.seen, p.loginOK = online, detect, seen, loginOK
		if seen {
			p.channel = true
		} else {
			p.inactiveSince = time.Time{}
		}
	}
	gone := func() {
		n.mu.Lock()
		stale := n.cfg.Defects.ChannelStaysOnline && p.online
		n.mu.Unlock()
		if !stale {
			set(false, DetectNetUnreachable, false, false)
		}
	}
	if !p.powered() {
		gone()
		return
	}
	ctx, cancel := context.WithTimeout(ctx, 3*n.cfg.ProbeTimeout)
	defer cancel()
	active, err := p.cam.activated(ctx)
	if err != nil {
		gone()
		return
	}
	n.mu.Lock()
	wasSeen, wasOK, was := p.seen, p.loginOK, p.detect
	n.mu.Unlock()
	if !active {
		now := n.cfg.Now()
		if p.inactiveSince.IsZero() {
			p.inactiveSince = now
		}
		if now.Sub(p.inactiveSince) < n.cfg.ActivateAfter || n.cfg.Defects.NeverActivates {
			set(false, DetectConnecting, true, false)
			return
		}
		log.Info("nvr: activating the unit on its PoE port", "api", p.api)
		if err := p.cam.activate(ctx); err != nil {
			log.Warn("nvr: activation failed", "err", err)
			set(false, DetectUnknownError, true, false)
			return
		}
		wasSeen = false // log in afresh
	}
	p.inactiveSince = time.Time{}
	if wasSeen {
		// Still up since the last login: keep its verdict without logging
		// in again (see the package comment).
		set(wasOK, was, true, wasOK)
		return
	}
	switch err := p.cam.login(ctx); {
	case err == nil:
		set(true, DetectConnect, true, true)
	case errors.Is(err, errRefused):
		set(false, DetectBadPassword, true, false)
	default:
		log.Info("nvr: login failed", "err", err)
		set(false, DetectNetUnreachable, false, false)
	}
}

// ChannelState is one channel as the NVR sees it.
type ChannelState struct {
	ID     int
	Port   int
	IP     string
	Online bool
	Detect string
}

// Channels lists the channels (units seen on a port), by id.
func (n *NVR) Channels() []ChannelState {
	n.mu.Lock()
	defer n.mu.Unlock()
	var out []ChannelState
	for _, p := range n.ports {
		if p.channel {
			out = append(out, ChannelState{ID: p.n, Port: p.n, IP: p.ip, Online: p.online, Detect: p.detect})
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].ID < out[j].ID })
	return out
}
