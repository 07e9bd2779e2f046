package plugsim

// The virtual Tasmota plug: GET /cm?[user=..&password=..&]cmnd=<command>.
//
// Commands (case-insensitive, as Tasmota reads them):
//
//	Power[<n>] [ON|OFF|TOGGLE|1|0|2] -> {"POWER<n>":"ON"|"OFF"}
//	    A single-relay plug answers with the unindexed key POWER; `Power`
//	    without index is relay 1.
//	PulseTime[<n>] [<v>] -> {"PulseTime<n>":{"Set":v,"Remaining":r}}
//	    0 = off, 1..111 = v tenths of a second, 112..64900 = v-100 seconds;
//	    an ON starts the auto-off, an OFF cancels it. It is a setting: it
//	    stays until changed (not persisted across Close).
//	anything else, or a relay the plug lacks -> {"Command":"Unknown"}
//
// With a password set, a request without the right user and password gets
// HTTP 401 and {"WARNING":"Need user=<username>&password=<password>"}.

import (
	"bytes"
	"crypto/subtle"
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/camrig/camrig/rigs/virtual/simclock"
)

// TasmotaConfig describes one virtual Tasmota plug.
type TasmotaConfig struct {
	// Addr is the loopback listen address; "" picks 127.0.0.1 and a free port.
	Addr string
	// Relays is the relay count, 1..8 (0 means 1).
	Relays int
	// User is the web user (Tasmota only knows admin; "" means admin).
	User string
	// Password is the web password; "" leaves the plug open, as a fresh
	// Tasmota is.
	Password string
	// OnChange is told every relay edge (relay 1..Relays).
	OnChange RelayFunc
	// Clock is the plug's own time (nil: the wall clock).
	Clock simclock.Clock
}

// Tasmota is a running virtual Tasmota plug.
type Tasmota struct {
	cfg   TasmotaConfig
	relay *bank
	srv   *server

	mu        sync.Mutex
	pulseTime []int // PulseTime setting per relay (encoded)
	requests  int
}

// StartTasmota starts the plug's HTTP server. Close stops it.
func StartTasmota(cfg TasmotaConfig) (*Tasmota, error) {
	if cfg.Relays == 0 {
		cfg.Relays = 1
	}
	if cfg.Relays < 1 || cfg.Relays > 8 {
		return nil, fmt.Errorf("plugsim: tasmota: %d relays, want 1..8", cfg.Relays)
	}
	if cfg.User == "" {
		cfg.User = "admin"
	}
	if cfg.Clock == nil {
		cfg.Clock = simclock.Real{}
	}
	t := &Tasmota{cfg: cfg, relay: newBank(cfg.Relays, 1, cfg.Clock, cfg.OnChange), pulseTime: make([]int, cfg.Relays)}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /cm", t.handle)
	srv, err := serve(cfg.Addr, mux)
	if err != nil {
		return nil, err
	}
	t.srv = srv
	return t, nil
}

// URL is the plug's base URL (http://127.0.0.1:port), the rig file's url.
func (t *Tasmota) URL() string { return "http://" + t.srv.ln.Addr().String() }

// Addr is the listen address.
func (t *Tasmota) Addr() string { return t.srv.ln.Addr().String() }

// State is relay n's state (1-based).
func (t *Tasmota) State(n int) bool { return t.relay.state(n - 1) }

// PulseTime is relay n's PulseTime setting (encoded, 0 = none).
func (t *Tasmota) PulseTime(n int) int {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.pulseTime[n-1]
}

// Events is every relay edge so far.
func (t *Tasmota) Events() []Event { return t.relay.log() }

// Requests counts the /cm requests served (authorized or not).
func (t *Tasmota) Requests() int {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.requests
}

// Close stops serving and cancels pending auto-offs: a plug pulled from the
// wall. No edge is reported after Close returns.
func (t *Tasmota) Close() error {
	err := t.srv.close()
	t.relay.close()
	return err
}

func (t *Tasmota) handle(w http.ResponseWriter, r *http.Request) {
	t.mu.Lock()
	t.requests++
	t.mu.Unlock()
	w.Header().Set("Content-Type", "application/json")
	q := r.URL.Query()
	if t.cfg.Password != "" {
		userOK := subtle.ConstantTimeCompare([]byte(q.Get("user")), []byte(t.cfg.User)) == 1
		passOK := subtle.ConstantTimeCompare([]byte(q.Get("password")), []byte(t.cfg.Password)) == 1
		if !userOK || !passOK {
			w.WriteHeader(http.StatusUnauthorized)
			writeJSON(w, map[string]any{"WARNING": "Need user=<username>&password=<password>"})
			return
		}
	}
	writeJSON(w, t.execute(q.Get("cmnd")))
}

// TasmotaCommand is a parsed cmnd: Name is lower-cased ("power",
// "pulsetime"), Index is 0 when the command had none, Arg is the rest.
type TasmotaCommand struct {
	Name  string
	Index int
	Arg   string
}

// ParseTasmotaCommand splits `Power2 On` into name, index and argument.
// Indexes run 0..99; a name without letters or an index with leading
// garbage is an error.
func ParseTasmotaCommand(cmnd string) (TasmotaCommand, error) {
	cmnd = strings.TrimSpace(cmnd)
	word, arg, _ := strings.Cut(cmnd, " ")
	arg = strings.TrimSpace(arg)
	i := len(word)
	for i > 0 && word[i-1] >= '0' && word[i-1] <= '9' {
		i--
	}
	name, digits := strings.ToLower(word[:i]), word[i:]
	if name == "" {
		return TasmotaCommand{}, fmt.Errorf("no command in %q", cmnd)
	}
	for _, c := range name {
		if c < 'a' || c > 'z' {
			return TasmotaCommand{}, fmt.Errorf("command %q is not a word", word)
		}
	}
	cmd := TasmotaCommand{Name: name, Arg: arg}
	if digits != "" {
		n, err := strconv.Atoi(digits)
		if err != nil || n > 99 || (len(digits) > 1 && digits[0] == '0') {
			return TasmotaCommand{}, fmt.Errorf("index %q out of range", digits)
		}
		cmd.Index = n
	}
	return cmd, nil
}

var unknown = map[string]any{"Command": "Unknown"}

func (t *Tasmota) execute(cmnd string) any {
	cmd, err := ParseTasmotaCommand(cmnd)
	if err != nil {
		return unknown
	}
	idx := max(cmd.Index, 1)
	if idx > t.cfg.Relays {
		return unknown
	}
	switch cmd.Name {
	case "power":
		return t.power(idx, cmd.Arg)
	case "pulsetime":
		return t.pulse(idx, cmd.Arg)
	}
	return unknown
}

func (t *Tasmota) power(idx int, arg string) any {
	i := idx - 1
	key := "POWER" + strconv.Itoa(idx)
	if t.cfg.Relays == 1 {
		key = "POWER"
	}
	var on bool
	switch strings.ToLower(arg) {
	case "":
		return map[string]any{key: onOff(t.relay.state(i))}
	case "on", "1":
		on = true
	case "off", "0":
		on = false
	case "toggle", "2":
		on = !t.relay.state(i)
	default:
		return unknown
	}
	var after time.Duration
	if on {
		t.mu.Lock()
		after = decodePulseTime(t.pulseTime[i])
		t.mu.Unlock()
	}
	t.relay.set(i, on, after)
	return map[string]any{key: onOff(on)}
}

func (t *Tasmota) pulse(idx int, arg string) any {
	i := idx - 1
	if arg != "" {
		v, err := strconv.Atoi(arg)
		if err != nil || v < 0 || v > 64900 {
			return unknown
		}
		t.mu.Lock()
		t.pulseTime[i] = v
		t.mu.Unlock()
	}
	t.mu.Lock()
	set := t.pulseTime[i]
	t.mu.Unlock()
	left := t.relay.remaining(i)
	return map[string]any{"PulseTime" + strconv.Itoa(idx): pulseReply{Set: set, Remaining: encodeRemaining(left)}}
}

// pulseReply keeps Tasmota's key order.
type pulseReply struct {
	Set       int `json:"Set"`
	Remaining int `json:"Remaining"`
}

// decodePulseTime is Tasmota's PulseTime encoding, read by the plug.
func decodePulseTime(v int) time.Duration {
	switch {
	case v <= 0:
		return 0
	case v <= 111:
		return time.Duration(v) * 100 * time.Millisecond
	}
	return time.Duration(v-100) * time.Second
}

// encodeRemaining reports time left in PulseTime units, as Tasmota does.
func encodeRemaining(d time.Duration) int {
	if d <= 0 {
		return 0
	}
	if d <= 11100*time.Millisecond {
		return int((d + 100*time.Millisecond - 1) / (100 * time.Millisecond))
	}
	return int((d+time.Second-1)/time.Second) + 100
}

func onOff(on bool) string {
	if on {
		return "ON"
	}
	return "OFF"
}

// writeJSON writes v as the devices do: no HTML escaping, no newline.
func writeJSON(w http.ResponseWriter, v any) {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	_ = enc.Encode(v) // maps of strings, numbers and bools always encode
	w.Write(bytes.TrimSuffix(b.Bytes(), []byte("\n")))
}
