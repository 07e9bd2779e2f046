package plug

// Driver "shelly": one relay (switch component) of a Shelly device.
//
//	power: {driver: shelly, url: http://192.168.1.51, channel: 0,
//	        password_env: SHELLY_PASSWORD, timeout: 3s, retries: 2}
//
// The generation is read once, when the switch is opened, from GET /shelly
// (no auth on any generation): Gen2 and later answer with "gen": 2 (or 3, 4)
// and speak RPC; Gen1 answers without "gen" but with "type".
//
//	Gen1: GET /relay/<ch>?turn=on|off[&timer=<s>] -> {"ison":...,"has_timer":...}
//	      GET /relay/<ch> reads ison. HTTP Basic auth when a password is set.
//	Gen2: GET /rpc/Switch.Set?id=<ch>&on=true|false[&toggle_after=<s>] -> {"was_on":...}
//	      GET /rpc/Switch.GetStatus?id=<ch> reads "output". HTTP Digest auth
//	      (SHA-256, qop=auth; user admin, the only Gen2 user) when a password is set.
//
// Pulse uses the plug's own flip-back timer (Gen1 timer, whole seconds, rounded
// up; Gen2 toggle_after, milliseconds), so the plug restores the line even if
// this process dies. A later Set replaces that timer.

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"strconv"
	"time"

	"github.com/camrig/camrig/harness/internal/bindcheck"
	"github.com/camrig/camrig/harness/power"
	"github.com/camrig/camrig/harness/power/netdevice"
	"github.com/camrig/camrig/harness/secret"
)

func init() {
	power.Register(power.Driver{
		Name:  "shelly",
		Press: true,
		Open: func(ctx context.Context, cfg power.Config, deps power.Deps) (power.Switch, error) {
			return NewShelly(ctx, cfg, deps)
		},
		Check: func(cfg power.Config, scope bindcheck.Scope) bindcheck.Problems { return checkPlug(cfg, scope, 15) },
	})
}

// Shelly is one relay of a Shelly device. It implements Switch, Pulser and
// Closer.
type Shelly struct {
	dev     *httpDevice
	channel int
	gen     int
}

// ShellyInfo is what GET /shelly tells about a device.
type ShellyInfo struct {
	// Gen is 1 for Gen1 devices (no "gen" field), else the "gen" value.
	Gen int
	// Auth reports whether the device has authentication enabled
	// ("auth" on Gen1, "auth_en" on Gen2+).
	Auth bool
	// Model is "type" (Gen1) or "model" (Gen2+), ID is "id" (Gen2+) or "mac".
	Model, ID string
}

// NewShelly validates cfg, asks the device for its generation (GET /shelly,
// bounded by cfg.Timeout and cfg.Retries) and returns the switch.
func NewShelly(ctx context.Context, cfg power.Config, deps power.Deps) (*Shelly, error) {
	deps = deps.WithDefaults()
	base, err := parseDeviceURL("shelly", cfg.URL)
	if err != nil {
		return nil, err
	}
	if cfg.Channel < 0 || cfg.Channel > 15 {
		return nil, fmt.Errorf("shelly %s: channel %d out of range 0..15", base.Redacted(), cfg.Channel)
	}
	timeout, retries, err := netdevice.Budget(cfg)
	if err != nil {
		return nil, fmt.Errorf("shelly %s: %w", base.Redacted(), err)
	}
	s := &Shelly{channel: cfg.Channel}
	s.dev = &httpDevice{
		name:    fmt.Sprintf("shelly:%s#%d", base.Redacted(), cfg.Channel),
		base:    base,
		client:  newHTTPClient(),
		timeout: timeout, retries: retries,
		clk: deps.Clock, log: deps.Log,
	}
	var pass secret.Secret
	if ref := cfg.Password(); !ref.IsZero() {
		if pass, err = ref.Resolve(); err != nil {
			return nil, fmt.Errorf("%s: password: %w", s.dev.name, err)
		}
		s.dev.secrets = []secret.Secret{pass}
	}
	target := base.Path + "/shelly"
	rep, err := s.dev.get(ctx, "identify", target)
	if err != nil {
		return nil, err
	}
	if rep.status != 200 {
		return nil, s.dev.replyError("identify", target, rep, "not HTTP 200")
	}
	info, err := ParseShellyInfo(rep.body)
	if err != nil {
		return nil, s.dev.replyError("identify", target, rep, err.Error())
	}
	s.gen = info.Gen
	if info.Auth && pass.IsZero() {
		return nil, s.dev.errorf("identify", "the device has authentication enabled; give password_env or password_file")
	}
	user := cfg.User
	if user == "" {
		user = "admin"
	}
	if !pass.IsZero() {
		if s.gen == 1 {
			s.dev.auth = basicAuth{user: user, pass: pass}
		} else {
			s.dev.auth = &digestAuth{user: user, pass: pass}
		}
	}
	deps.Log.Debug("power: shelly identified", "board", s.dev.name, "gen", info.Gen, "model", info.Model)
	return s, nil
}

func (s *Shelly) String() string { return s.dev.name }

// Generation is the device generation found when the switch was opened.
func (s *Shelly) Generation() int { return s.gen }

// Close drops kept-alive connections.
func (s *Shelly) Close() error { s.dev.closeIdle(); return nil }

// Set switches the relay (cancelling any flip-back timer) and checks the
// device acknowledged it.
func (s *Shelly) Set(ctx context.Context, on bool) error {
	return s.set(ctx, "set "+power.State(on), on, 0)
}

// Pulse switches the relay to on and arms the device's flip-back timer to
// restore !on after `after` (Gen1: whole seconds, rounded up; Gen2:
// milliseconds, rounded up).
func (s *Shelly) Pulse(ctx context.Context, on bool, after time.Duration) error {
	op := fmt.Sprintf("pulse %s for %v", power.State(on), after)
	if after <= 0 {
		return s.dev.errorf(op, "pulse time must be positive")
	}
	if after > 24*time.Hour {
		return s.dev.errorf(op, "pulse time above 24h is not a press")
	}
	return s.set(ctx, op, on, after)
}

func (s *Shelly) set(ctx context.Context, op string, on bool, after time.Duration) error {
	p := s.dev.base.Path
	if s.gen == 1 {
		target := fmt.Sprintf("%s/relay/%d?turn=%s", p, s.channel, power.State(on))
		if after > 0 {
			target += "&timer=" + strconv.FormatInt(int64(math.Ceil(after.Seconds())), 10)
		}
		rep, err := s.dev.get(ctx, op, target)
		if err != nil {
			return err
		}
		if rep.status != 200 {
			return s.dev.replyError(op, target, rep, "not HTTP 200")
		}
		st, err := ParseShellyGen1Relay(rep.body)
		switch {
		case err != nil:
			return s.dev.replyError(op, target, rep, err.Error())
		case st.IsOn != on:
			return s.dev.replyError(op, target, rep, "the relay reports "+power.State(st.IsOn))
		case after > 0 && !st.HasTimer:
			return s.dev.replyError(op, target, rep, "the timer was not armed")
		}
		return nil
	}
	target := fmt.Sprintf("%s/rpc/Switch.Set?id=%d&on=%t", p, s.channel, on)
	if after > 0 {
		ms := (after + time.Millisecond - 1) / time.Millisecond // rounded up
		target += "&toggle_after=" + strconv.FormatFloat(float64(ms)/1000, 'f', -1, 64)
	}
	rep, err := s.dev.get(ctx, op, target)
	if err != nil {
		return err
	}
	if rep.status != 200 {
		return s.dev.replyError(op, target, rep, "not HTTP 200")
	}
	if _, err := ParseShellyGen2Set(rep.body); err != nil {
		return s.dev.replyError(op, target, rep, err.Error())
	}
	return nil
}

// Get reads the relay state back.
func (s *Shelly) Get(ctx context.Context) (bool, error) {
	target := fmt.Sprintf("%s/rpc/Switch.GetStatus?id=%d", s.dev.base.Path, s.channel)
	if s.gen == 1 {
		target = fmt.Sprintf("%s/relay/%d", s.dev.base.Path, s.channel)
	}
	rep, err := s.dev.get(ctx, "get", target)
	if err != nil {
		return false, err
	}
	if rep.status != 200 {
		return false, s.dev.replyError("get", target, rep, "not HTTP 200")
	}
	if s.gen == 1 {
		st, err := ParseShellyGen1Relay(rep.body)
		if err != nil {
			return false, s.dev.replyError("get", target, rep, err.Error())
		}
		return st.IsOn, nil
	}
	on, err := ParseShellyGen2Status(rep.body, s.channel)
	if err != nil {
		return false, s.dev.replyError("get", target, rep, err.Error())
	}
	return on, nil
}

// ParseShellyInfo parses the reply to GET /shelly.
func ParseShellyInfo(body []byte) (ShellyInfo, error) {
	var raw struct {
		Gen    *json.Number `json:"gen"`
		Type   *string      `json:"type"`
		Model  string       `json:"model"`
		ID     string       `json:"id"`
		MAC    string       `json:"mac"`
		Auth   *bool        `json:"auth"`
		AuthEn *bool        `json:"auth_en"`
	}
	if err := decodeShellyObject(body, &raw); err != nil {
		return ShellyInfo{}, err
	}
	if raw.Gen != nil {
		g, err := strconv.Atoi(raw.Gen.String())
		if err != nil || g < 2 || g > 99 {
			return ShellyInfo{}, fmt.Errorf("gen %s is not a Shelly generation >= 2", raw.Gen.String())
		}
		info := ShellyInfo{Gen: g, Model: raw.Model, ID: raw.ID}
		if raw.AuthEn != nil {
			info.Auth = *raw.AuthEn
		}
		return info, nil
	}
	if raw.Type == nil {
		return ShellyInfo{}, errors.New(`neither "gen" (Gen2+) nor "type" (Gen1): not a Shelly`)
	}
	info := ShellyInfo{Gen: 1, Model: *raw.Type, ID: raw.MAC}
	if raw.Auth != nil {
		info.Auth = *raw.Auth
	}
	return info, nil
}

// ShellyGen1Relay is the reply to Gen1 /relay/N.
type ShellyGen1Relay struct {
	IsOn     bool
	HasTimer bool
}

// ParseShellyGen1Relay parses {"ison":bool,"has_timer":bool,...}; ison is
// required.
func ParseShellyGen1Relay(body []byte) (ShellyGen1Relay, error) {
	var raw struct {
		IsOn     *bool `json:"ison"`
		HasTimer bool  `json:"has_timer"`
	}
	if err := decodeShellyObject(body, &raw); err != nil {
		return ShellyGen1Relay{}, err
	}
	if raw.IsOn == nil {
		return ShellyGen1Relay{}, errors.New(`no boolean "ison"`)
	}
	return ShellyGen1Relay{IsOn: *raw.IsOn, HasTimer: raw.HasTimer}, nil
}

// ParseShellyGen2Set parses the result of Switch.Set, {"was_on":bool}.
func ParseShellyGen2Set(body []byte) (wasOn bool, err error) {
	var raw struct {
		WasOn *bool `json:"was_on"`
	}
	if err := decodeShellyObject(body, &raw); err != nil {
		return false, err
	}
	if raw.WasOn == nil {
		return false, errors.New(`no boolean "was_on"`)
	}
	return *raw.WasOn, nil
}

// ParseShellyGen2Status parses the result of Switch.GetStatus for switch id:
// {"id":id,"output":bool,...}.
func ParseShellyGen2Status(body []byte, id int) (bool, error) {
	var raw struct {
		ID     *int  `json:"id"`
		Output *bool `json:"output"`
	}
	if err := decodeShellyObject(body, &raw); err != nil {
		return false, err
	}
	if raw.ID == nil || *raw.ID != id {
		return false, fmt.Errorf(`"id" is not %d`, id)
	}
	if raw.Output == nil {
		return false, errors.New(`no boolean "output"`)
	}
	return *raw.Output, nil
}

// decodeShellyObject decodes one JSON object (unknown fields are normal:
// Shelly replies carry many) with nothing after it. A field of the wrong
// type is an error.
func decodeShellyObject(body []byte, out any) error {
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.UseNumber()
	if len(bytes.TrimSpace(body)) == 0 || bytes.TrimSpace(body)[0] != '{' {
		return errors.New("not a JSON object")
	}
	if err := dec.Decode(out); err != nil {
		var te *json.UnmarshalTypeError
		if errors.As(err, &te) {
			return fmt.Errorf("%q has the wrong type (%s)", te.Field, te.Value)
		}
		return errors.New("not a JSON object")
	}
	return noTrailingData(body, dec)
}
