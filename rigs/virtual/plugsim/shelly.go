package plugsim

// The virtual Shelly Gen2 plug (a Plus 1 / Plus Plug class device):
//
//	GET /shelly (never authenticated) -> {"id":..,"model":..,"gen":2,"auth_en":..,...}
//	GET /rpc/Switch.Set?id=<n>&on=true|false[&toggle_after=<s>] -> {"was_on":bool}
//	GET /rpc/Switch.Toggle?id=<n> -> {"was_on":bool}
//	GET /rpc/Switch.GetStatus?id=<n> -> {"id":n,"source":..,"output":bool[,"timer_started_at":..,"timer_duration":..]}
//
// toggle_after (seconds, fractions allowed) flips the output back when it
// runs out; any later Set or Toggle replaces it. Errors are JSON-RPC style
// {"code":..,"message":..} bodies; the HTTP status the real firmware uses for
// them is not documented where we looked (unverified: 500 here, 404 for an
// unknown method). With a password set, every /rpc call needs Digest.

import (
	"fmt"
	"math"
	"net/http"
	"strconv"
	"time"

	"github.com/camrig/camrig/rigs/virtual/simclock"
)

// ShellyConfig describes one virtual Shelly Gen2 plug.
type ShellyConfig struct {
	// Addr is the loopback listen address; "" picks 127.0.0.1 and a free port.
	Addr string
	// Switches is the number of switch components, 1..4 (0 means 1).
	Switches int
	// ID is the device id, also the Digest realm ("" = shellyplus1-c0ffee000001).
	ID string
	// Password is the admin password; "" leaves authentication disabled.
	Password string
	// OnChange is told every output edge (switch id 0..Switches-1).
	OnChange RelayFunc
	// Clock is the plug's own time (nil: the wall clock).
	Clock simclock.Clock
}

// Shelly is a running virtual Shelly Gen2 plug.
type Shelly struct {
	cfg    ShellyConfig
	relay  *bank
	srv    *server
	digest *digestServer
}

// StartShelly starts the plug's HTTP server. Close stops it.
func StartShelly(cfg ShellyConfig) (*Shelly, error) {
	if cfg.Switches == 0 {
		cfg.Switches = 1
	}
	if cfg.Switches < 1 || cfg.Switches > 4 {
		return nil, fmt.Errorf("plugsim: shelly: %d switches, want 1..4", cfg.Switches)
	}
	if cfg.ID == "" {
		cfg.ID = "shellyplus1-c0ffee000001"
	}
	if cfg.Clock == nil {
		cfg.Clock = simclock.Real{}
	}
	s := &Shelly{cfg: cfg, relay: newBank(cfg.Switches, 0, cfg.Clock, cfg.OnChange)}
	if cfg.Password != "" {
		s.digest = newDigestServer(cfg.ID, "admin", cfg.Password, cfg.Clock)
	}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /shelly", s.info)
	mux.HandleFunc("GET /rpc/{method}", s.rpc)
	srv, err := serve(cfg.Addr, mux)
	if err != nil {
		return nil, err
	}
	s.srv = srv
	return s, nil
}

// URL is the plug's base URL (http://127.0.0.1:port), the rig file's url.
func (s *Shelly) URL() string { return "http://" + s.srv.ln.Addr().String() }

// Addr is the listen address.
func (s *Shelly) Addr() string { return s.srv.ln.Addr().String() }

// State is switch id's output.
func (s *Shelly) State(id int) bool { return s.relay.state(id) }

// Events is every output edge so far.
func (s *Shelly) Events() []Event { return s.relay.log() }

// Close stops serving and cancels pending flip-backs. No edge is reported
// after Close returns.
func (s *Shelly) Close() error {
	err := s.srv.close()
	s.relay.close()
	return err
}

func (s *Shelly) info(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "application/json")
	writeJSON(w, map[string]any{
		"name": nil, "id": s.cfg.ID, "mac": "C0FFEE000001", "slot": 0, "model": "SNSW-001X16EU",
		"gen": 2, "fw_id": "20240101-000000/1.1.0-plugsim", "ver": "1.1.0", "app": "Plus1",
		"auth_en": s.digest != nil, "auth_domain": authDomain(s),
	})
}

func authDomain(s *Shelly) any {
	if s.digest == nil {
		return nil
	}
	return s.cfg.ID
}

func rpcError(w http.ResponseWriter, status, code int, msg string) {
	w.WriteHeader(status)
	writeJSON(w, map[string]any{"code": code, "message": msg})
}

func (s *Shelly) rpc(w http.ResponseWriter, r *http.Request) {
	if s.digest != nil && !s.digest.check(w, r) {
		return
	}
	w.Header().Set("Content-Type", "application/json")
	method := r.PathValue("method")
	q := r.URL.Query()
	switch method {
	case "Switch.Set", "Switch.Toggle", "Switch.GetStatus":
	default:
		rpcError(w, http.StatusNotFound, 404, "No handler for "+method)
		return
	}
	id, err := strconv.Atoi(q.Get("id"))
	if err != nil {
		rpcError(w, http.StatusInternalServerError, -103, "Invalid argument 'id'!")
		return
	}
	if id < 0 || id >= s.cfg.Switches {
		rpcError(w, http.StatusInternalServerError, -105, fmt.Sprintf("Argument 'id', value %d not found!", id))
		return
	}
	switch method {
	case "Switch.GetStatus":
		s.status(w, id)
	case "Switch.Toggle":
		was := s.relay.set(id, !s.relay.state(id), 0)
		writeJSON(w, map[string]any{"was_on": was})
	case "Switch.Set":
		var on bool
		switch q.Get("on") {
		case "true":
			on = true
		case "false":
		case "":
			rpcError(w, http.StatusInternalServerError, -103, "Missing required argument 'on'!")
			return
		default:
			rpcError(w, http.StatusInternalServerError, -103, "Invalid argument 'on'!")
			return
		}
		var after time.Duration
		if v := q.Get("toggle_after"); v != "" {
			secs, err := strconv.ParseFloat(v, 64)
			if err != nil || !(secs > 0) || secs > 1e6 || math.IsInf(secs, 0) {
				rpcError(w, http.StatusInternalServerError, -103, "Invalid argument 'toggle_after'!")
				return
			}
			after = time.Duration(secs * float64(time.Second))
		}
		was := s.relay.set(id, on, after)
		writeJSON(w, map[string]any{"was_on": was})
	}
}

func (s *Shelly) status(w http.ResponseWriter, id int) {
	src := "init"
	for _, e := range s.relay.log() {
		if e.Relay == id {
			src = map[string]string{"http": "HTTP_in", "timer": "timer"}[e.Cause]
		}
	}
	st := map[string]any{"id": id, "source": src, "output": s.relay.state(id), "temperature": map[string]float64{"tC": 41.2, "tF": 106.2}}
	if from, until := s.relay.timerSpan(id); !until.IsZero() {
		// Reported like the device: start as Unix seconds, duration in seconds.
		st["timer_started_at"] = float64(from.UnixMilli()) / 1000
		st["timer_duration"] = until.Sub(from).Seconds()
	}
	writeJSON(w, st)
}
