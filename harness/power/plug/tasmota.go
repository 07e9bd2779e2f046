package plug

// Driver "tasmota": a relay of a plug running Tasmota, over its HTTP command
// endpoint.
//
//	power: {driver: tasmota, url: http://192.168.1.50, channel: 1,
//	        user: admin, password_env: PLUG_PASSWORD, timeout: 3s, retries: 2}
//
// Wire: GET /cm?user=<u>&password=<p>&cmnd=Power<N>%20On|Off, answered with
// {"POWER<N>":"ON"|"OFF"}; GET /cm?cmnd=Power<N> reads the state back.
// channel 0 sends the unindexed `Power` (the only relay of a single-relay
// plug, which answers {"POWER":...}); channel N >= 1 sends `Power<N>`, and a
// single-relay plug answers `Power1` with the unindexed key, which is
// accepted for channel 1 only. Credentials go in the query (Tasmota has no
// other scheme on /cm); user defaults to admin, the only web user Tasmota
// knows, and are sent only when a password is configured.
//
// Pulse arms PulseTime<N> (0.1 s steps up to 11.1 s, whole seconds + 100
// beyond, 64800 s at most; see EncodePulseTime) before switching on, so the
// plug itself switches off. PulseTime is a persistent Tasmota setting that
// applies to every later ON, so a plain Set(true) first clears it
// (PulseTime<N> 0) whenever one may be armed: after this switch's own Pulse,
// and once per process, since a process killed mid-press leaves it armed
// (on a press line, the safe direction). Set(false) never waits for that:
// PulseTime only acts on an ON, and a release must be quick.

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/camrig/camrig/harness/internal/bindcheck"
	"github.com/camrig/camrig/harness/power"
	"github.com/camrig/camrig/harness/power/netdevice"
	"github.com/camrig/camrig/harness/secret"
)

func init() {
	power.Register(power.Driver{
		Name:  "tasmota",
		Press: true,
		Open: func(ctx context.Context, cfg power.Config, deps power.Deps) (power.Switch, error) {
			return NewTasmota(cfg, deps)
		},
		// Tasmota numbers relays 1..32 (PulseTime covers the same range);
		// 0 is the unindexed Power of a single-relay plug.
		Check: func(cfg power.Config, scope bindcheck.Scope) bindcheck.Problems { return checkPlug(cfg, scope, 32) },
	})
}

// Tasmota is one relay of a Tasmota plug. It implements Switch, Pulser and
// Closer.
type Tasmota struct {
	dev     *httpDevice
	channel int
	// cmd is the command name for this relay: "Power" or "Power<N>".
	cmd  string
	user string
	pass secret.Secret // resolved; zero when the plug has no password

	mu sync.Mutex
	// armed says a PulseTime may be configured on the plug: true until this
	// process has cleared it, since an earlier one may have died mid-press.
	armed bool
}

// NewTasmota validates cfg (url, channel 0-32, timeout, retries, password)
// and returns the switch. It does not contact the plug.
func NewTasmota(cfg power.Config, deps power.Deps) (*Tasmota, error) {
	deps = deps.WithDefaults()
	base, err := parseDeviceURL("tasmota", cfg.URL)
	if err != nil {
		return nil, err
	}
	// Tasmota numbers relays 1..32 (PulseTime covers the same range).
	if cfg.Channel < 0 || cfg.Channel > 32 {
		return nil, fmt.Errorf("tasmota %s: channel %d out of range 0..32 (0 = the plug's only relay)", base.Redacted(), cfg.Channel)
	}
	timeout, retries, err := netdevice.Budget(cfg)
	if err != nil {
		return nil, fmt.Errorf("tasmota %s: %w", base.Redacted(), err)
	}
	t := &Tasmota{channel: cfg.Channel, cmd: "Power", user: cfg.User, armed: true}
	if cfg.Channel > 0 {
		t.cmd += strconv.Itoa(cfg.Channel)
	}
	if ref := cfg.Password(); !ref.IsZero() {
		if t.pass, err = ref.Resolve(); err != nil {
			return nil, fmt.Errorf("tasmota %s#%d: password: %w", base.Redacted(), cfg.Channel, err)
		}
		if t.user == "" {
			t.user = "admin"
		}
	}
	t.dev = &httpDevice{
		name:    fmt.Sprintf("tasmota:%s#%d", base.Redacted(), cfg.Channel),
		base:    base,
		client:  newHTTPClient(),
		timeout: timeout, retries: retries,
		clk: deps.Clock, log: deps.Log,
		redactParams: []string{"password"},
	}
	if !t.pass.IsZero() {
		t.dev.secrets = []secret.Secret{t.pass}
	}
	return t, nil
}

func (t *Tasmota) String() string { return t.dev.name }

// Close drops kept-alive connections.
func (t *Tasmota) Close() error { t.dev.closeIdle(); return nil }

// Set switches the relay and checks the plug's answer names the new state.
func (t *Tasmota) Set(ctx context.Context, on bool) error {
	op := "set " + power.State(on)
	if on {
		if err := t.disarm(ctx, op); err != nil {
			return err
		}
	}
	return t.power(ctx, op, on)
}

// Get reads the relay state with the argument-less Power<N>.
func (t *Tasmota) Get(ctx context.Context) (bool, error) {
	target := t.target(t.cmd)
	rep, err := t.dev.get(ctx, "get", target)
	if err != nil {
		return false, err
	}
	on, why := t.parsePower(rep)
	if why != "" {
		return false, t.dev.replyError("get", target, rep, why)
	}
	return on, nil
}

// Pulse switches the relay on with PulseTime armed, so the plug switches it
// off by itself after `after` (rounded up to what PulseTime can express; see
// EncodePulseTime). Tasmota's PulseTime only ever ends an ON, so on=false is
// refused.
func (t *Tasmota) Pulse(ctx context.Context, on bool, after time.Duration) error {
	op := fmt.Sprintf("pulse %s for %v", power.State(on), after)
	if !on {
		return t.dev.errorf(op, "Tasmota's PulseTime only switches an ON relay off; it cannot pulse off")
	}
	v, err := EncodePulseTime(after)
	if err != nil {
		return t.dev.errorf(op, "%v", err)
	}
	if err := t.pulseTime(ctx, op, v); err != nil {
		return err
	}
	t.mu.Lock()
	t.armed = v != 0
	t.mu.Unlock()
	return t.power(ctx, op, true)
}

// disarm clears a PulseTime that may be armed, so a plain ON stays on.
func (t *Tasmota) disarm(ctx context.Context, op string) error {
	t.mu.Lock()
	armed := t.armed
	t.mu.Unlock()
	if !armed {
		return nil
	}
	if err := t.pulseTime(ctx, op+": clear PulseTime", 0); err != nil {
		return err
	}
	t.mu.Lock()
	t.armed = false
	t.mu.Unlock()
	return nil
}

func (t *Tasmota) power(ctx context.Context, op string, on bool) error {
	arg := "Off"
	if on {
		arg = "On"
	}
	target := t.target(t.cmd + " " + arg)
	rep, err := t.dev.get(ctx, op, target)
	if err != nil {
		return err
	}
	got, why := t.parsePower(rep)
	if why == "" && got != on {
		why = "the plug reports " + power.State(got)
	}
	if why != "" {
		return t.dev.replyError(op, target, rep, why)
	}
	return nil
}

func (t *Tasmota) pulseTime(ctx context.Context, op string, v int) error {
	idx := max(t.channel, 1)
	name := "PulseTime" + strconv.Itoa(idx)
	target := t.target(name + " " + strconv.Itoa(v))
	rep, err := t.dev.get(ctx, op, target)
	if err != nil {
		return err
	}
	if rep.status != 200 {
		return t.dev.replyError(op, target, rep, "not HTTP 200")
	}
	set, err := ParseTasmotaPulseTime(rep.body, idx)
	if err != nil {
		return t.dev.replyError(op, target, rep, err.Error())
	}
	if set != v {
		return t.dev.replyError(op, target, rep, fmt.Sprintf("PulseTime set to %d, asked for %d", set, v))
	}
	return nil
}

// target builds /cm?[user=&password=&]cmnd=<command>, every value
// query-escaped with a space as %20 (as Tasmota's docs write it; the plug
// decodes both, but %20 cannot be confused with a literal plus).
func (t *Tasmota) target(command string) string {
	var q strings.Builder
	q.WriteString("/cm?")
	if !t.pass.IsZero() {
		pass, _ := t.pass.Value()
		q.WriteString("user=" + escape20(t.user) + "&password=" + escape20(pass) + "&")
	}
	q.WriteString("cmnd=" + escape20(command))
	return t.dev.base.Path + q.String()
}

func escape20(s string) string { return strings.ReplaceAll(url.QueryEscape(s), "+", "%20") }

// parsePower checks an HTTP 200 reply names this relay's state; why says
// what is wrong otherwise.
func (t *Tasmota) parsePower(rep *httpReply) (on bool, why string) {
	if rep.status != 200 {
		return false, "not HTTP 200"
	}
	on, err := ParseTasmotaPower(rep.body, t.channel)
	if err != nil {
		return false, err.Error()
	}
	return on, ""
}

// ParseTasmotaPower parses the reply to Power<N> [On|Off] for channel
// (0 = unindexed). It must be exactly one key: POWER<N>, or POWER for
// channel 0 and 1 (single-relay plugs drop the index), with value "ON" or
// "OFF". Anything else, including {"Command":"Unknown"} and Tasmota's
// {"WARNING":"Need user=..."}, is an error quoting the key it found.
func ParseTasmotaPower(body []byte, channel int) (bool, error) {
	var m map[string]json.RawMessage
	if err := decodeStrictObject(body, &m); err != nil {
		return false, err
	}
	want := "POWER" + strconv.Itoa(channel)
	if channel == 0 {
		want = "POWER"
	}
	if len(m) != 1 {
		return false, fmt.Errorf("want exactly one key %s, got %d keys", want, len(m))
	}
	for k, raw := range m {
		if k != want && !(k == "POWER" && channel <= 1) {
			return false, fmt.Errorf("want key %s, got %s", want, k)
		}
		var v string
		if err := json.Unmarshal(raw, &v); err != nil {
			return false, fmt.Errorf("%s is not a string", k)
		}
		switch v {
		case "ON":
			return true, nil
		case "OFF":
			return false, nil
		}
		return false, fmt.Errorf("%s is %q, want ON or OFF", k, v)
	}
	panic("unreachable")
}

// ParseTasmotaPulseTime parses the reply to PulseTime<idx> <v>:
// {"PulseTime<idx>":{"Set":v,"Remaining":r}} (Tasmota 9+), or the older
// {"PulseTime<idx>":v}. It returns the value the plug now holds.
func ParseTasmotaPulseTime(body []byte, idx int) (int, error) {
	var m map[string]json.RawMessage
	if err := decodeStrictObject(body, &m); err != nil {
		return 0, err
	}
	key := "PulseTime" + strconv.Itoa(idx)
	raw, ok := m[key]
	if !ok || len(m) != 1 {
		keys := make([]string, 0, len(m))
		for k := range m {
			keys = append(keys, k)
		}
		return 0, fmt.Errorf("want exactly the key %s, got %v", key, keys)
	}
	var n int
	if err := json.Unmarshal(raw, &n); err == nil {
		return checkPulseValue(key, n)
	}
	var st struct {
		Set       *int `json:"Set"`
		Remaining *int `json:"Remaining"`
	}
	if err := json.Unmarshal(raw, &st); err != nil || st.Set == nil {
		return 0, fmt.Errorf("%s is neither a number nor {\"Set\":n,...}", key)
	}
	return checkPulseValue(key, *st.Set)
}

func checkPulseValue(key string, n int) (int, error) {
	if n < 0 || n > maxPulseTime {
		return 0, fmt.Errorf("%s value %d out of range 0..%d", key, n, maxPulseTime)
	}
	return n, nil
}

// decodeStrictObject decodes exactly one JSON object and nothing after it.
func decodeStrictObject(body []byte, out *map[string]json.RawMessage) error {
	dec := json.NewDecoder(bytes.NewReader(body))
	if err := dec.Decode(out); err != nil {
		return errors.New("not a JSON object")
	}
	if *out == nil {
		return errors.New("not a JSON object")
	}
	return noTrailingData(body, dec)
}

// noTrailingData insists that only white space follows the decoded value.
func noTrailingData(body []byte, dec *json.Decoder) error {
	if off := dec.InputOffset(); off < int64(len(body)) && len(bytes.TrimSpace(body[off:])) > 0 {
		return errors.New("trailing data after the JSON object")
	}
	return nil
}

// Tasmota's PulseTime encoding (Tasmota docs, command PulseTime): 0 = off,
// 1..111 = that many tenths of a second, 112..64900 = value-100 seconds.
const (
	maxPulseTime    = 64900
	pulseTenthsMax  = 111
	pulseSecondsOff = 100
)

// EncodePulseTime returns the PulseTime value for d, rounded up so the plug
// never releases before d: 0.1 s steps up to 11.1 s, then whole seconds
// (11.15 s becomes 12 s, the next value Tasmota can express). d must be
// within 0 < d <= 64800 s.
func EncodePulseTime(d time.Duration) (int, error) {
	if d <= 0 {
		return 0, fmt.Errorf("pulse time %v must be positive", d)
	}
	if d > DecodePulseTime(maxPulseTime) {
		return 0, fmt.Errorf("pulse time %v exceeds Tasmota's maximum %v", d, DecodePulseTime(maxPulseTime))
	}
	tenths := int(math.Ceil(float64(d) / float64(100*time.Millisecond)))
	if tenths <= pulseTenthsMax {
		return tenths, nil
	}
	secs := int(math.Ceil(float64(d) / float64(time.Second)))
	return max(secs, 12) + pulseSecondsOff, nil
}

// DecodePulseTime is the duration a PulseTime value stands for.
func DecodePulseTime(v int) time.Duration {
	switch {
	case v <= 0:
		return 0
	case v <= pulseTenthsMax:
		return time.Duration(v) * 100 * time.Millisecond
	}
	return time.Duration(v-pulseSecondsOff) * time.Second
}
