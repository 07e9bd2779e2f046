package plugsim

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/camrig/camrig/rigs/virtual/simclock"
)

// edges collects what a plug reports to its wiring.
type edges struct {
	mu  sync.Mutex
	got []string
}

func (e *edges) record(relay int, on bool) {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.got = append(e.got, fmt.Sprintf("%d:%s", relay, onOff(on)))
}

func (e *edges) String() string {
	e.mu.Lock()
	defer e.mu.Unlock()
	return strings.Join(e.got, " ")
}

func get(t *testing.T, u string, hdr ...string) (int, string, http.Header) {
	t.Helper()
	req, err := http.NewRequest("GET", u, nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(hdr) == 1 {
		req.Header.Set("Authorization", hdr[0])
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b), resp.Header
}

func startTasmota(t *testing.T, cfg TasmotaConfig) *Tasmota {
	t.Helper()
	p, err := StartTasmota(cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { p.Close() })
	return p
}

func cm(p *Tasmota, cmnd string, creds ...string) string {
	q := "cmnd=" + url.QueryEscape(cmnd)
	if len(creds) == 2 {
		q = "user=" + url.QueryEscape(creds[0]) + "&password=" + url.QueryEscape(creds[1]) + "&" + q
	}
	return p.URL() + "/cm?" + q
}

func TestTasmotaCommands(t *testing.T) {
	var e edges
	multi := startTasmota(t, TasmotaConfig{Relays: 2, OnChange: e.record})
	single := startTasmota(t, TasmotaConfig{})
	for _, tc := range []struct {
		p          *Tasmota
		cmnd, want string
	}{
		{multi, "Power2 On", `{"POWER2":"ON"}`},
		{multi, "power2", `{"POWER2":"ON"}`},
		{multi, "Power1", `{"POWER1":"OFF"}`},
		{multi, "Power", `{"POWER1":"OFF"}`},
		{multi, "POWER 1", `{"POWER1":"ON"}`},
		{multi, "Power1 toggle", `{"POWER1":"OFF"}`},
		{multi, "Power2 0", `{"POWER2":"OFF"}`},
		{multi, "Power3 On", `{"Command":"Unknown"}`},
		{multi, "Power2 blink", `{"Command":"Unknown"}`},
		{multi, "Status 0", `{"Command":"Unknown"}`},
		{multi, "", `{"Command":"Unknown"}`},
		{multi, "PulseTime2", `{"PulseTime2":{"Set":0,"Remaining":0}}`},
		{multi, "PulseTime2 150", `{"PulseTime2":{"Set":150,"Remaining":0}}`},
		{multi, "PulseTime2 64901", `{"Command":"Unknown"}`},
		{single, "Power1 On", `{"POWER":"ON"}`},
		{single, "Power", `{"POWER":"ON"}`},
		{single, "Power2 On", `{"Command":"Unknown"}`},
	} {
		code, body, _ := get(t, cm(tc.p, tc.cmnd))
		if code != 200 || body != tc.want {
			t.Errorf("%q: %d %s, want %s", tc.cmnd, code, body, tc.want)
		}
	}
	if got := e.String(); got != "2:ON 1:ON 1:OFF 2:OFF" {
		t.Errorf("edges %s", got)
	}
}

func TestTasmotaAuth(t *testing.T) {
	p := startTasmota(t, TasmotaConfig{Password: "s3cret"})
	for _, creds := range [][]string{nil, {"admin", "wrong"}, {"root", "s3cret"}} {
		code, body, _ := get(t, cm(p, "Power On", creds...))
		if code != 401 || body != `{"WARNING":"Need user=<username>&password=<password>"}` {
			t.Errorf("%v: %d %s", creds, code, body)
		}
	}
	if p.State(1) {
		t.Fatal("an unauthorized command switched the relay")
	}
	if code, body, _ := get(t, cm(p, "Power On", "admin", "s3cret")); code != 200 || body != `{"POWER":"ON"}` {
		t.Fatalf("%d %s", code, body)
	}
}

func TestTasmotaPulseTimeAutoOff(t *testing.T) {
	clk := simclock.NewFake(time.Unix(1000, 0))
	var e edges
	p := startTasmota(t, TasmotaConfig{Relays: 2, OnChange: e.record, Clock: clk})
	get(t, cm(p, "PulseTime1 5"))   // 0.5 s
	get(t, cm(p, "PulseTime2 113")) // 13 s
	get(t, cm(p, "Power1 On"))
	get(t, cm(p, "Power2 On"))
	clk.Advance(400 * time.Millisecond)
	if _, body, _ := get(t, cm(p, "PulseTime1")); body != `{"PulseTime1":{"Set":5,"Remaining":1}}` {
		t.Errorf("remaining: %s", body)
	}
	clk.Advance(99 * time.Millisecond)
	if !p.State(1) {
		t.Fatal("released before PulseTime")
	}
	clk.Advance(time.Millisecond)
	if p.State(1) || !p.State(2) {
		t.Fatalf("at 0.5 s: relay1 %v relay2 %v", p.State(1), p.State(2))
	}
	clk.Advance(12500 * time.Millisecond)
	if p.State(2) {
		t.Fatal("relay 2 still on after 13 s")
	}
	if got := e.String(); got != "1:ON 2:ON 1:OFF 2:OFF" {
		t.Errorf("edges %s", got)
	}
	ev := p.Events()
	if len(ev) != 4 || ev[2].Cause != "timer" || ev[2].At.Sub(ev[0].At) != 500*time.Millisecond {
		t.Errorf("events %+v", ev)
	}
	// An OFF cancels the pulse; a repeated ON re-arms it from that moment.
	get(t, cm(p, "Power1 On"))
	get(t, cm(p, "Power1 Off"))
	get(t, cm(p, "Power1 On"))
	clk.Advance(300 * time.Millisecond)
	get(t, cm(p, "Power1 On"))
	clk.Advance(300 * time.Millisecond)
	if !p.State(1) {
		t.Fatal("re-armed pulse ended early")
	}
	clk.Advance(200 * time.Millisecond)
	if p.State(1) {
		t.Fatal("re-armed pulse never ended")
	}
	// PulseTime 0 disarms.
	get(t, cm(p, "PulseTime1 0"))
	get(t, cm(p, "Power1 On"))
	clk.Advance(time.Hour)
	if !p.State(1) || clk.Pending() != 0 {
		t.Fatalf("PulseTime 0 still auto-offs: state %v pending %d", p.State(1), clk.Pending())
	}
}

func TestCloseSilencesTimers(t *testing.T) {
	clk := simclock.NewFake(time.Unix(0, 0))
	var e edges
	p, err := StartTasmota(TasmotaConfig{OnChange: e.record, Clock: clk})
	if err != nil {
		t.Fatal(err)
	}
	get(t, cm(p, "PulseTime 2"))
	get(t, cm(p, "Power On"))
	if err := p.Close(); err != nil {
		t.Fatal(err)
	}
	clk.Advance(time.Second)
	if got := e.String(); got != "1:ON" {
		t.Fatalf("edges after close: %s", got)
	}
	if _, err := http.Get(p.URL() + "/cm?cmnd=Power"); err == nil {
		t.Fatal("closed plug still answers")
	}
}

func TestLoopbackOnly(t *testing.T) {
	for _, addr := range []string{"0.0.0.0:0", ":0", "192.0.2.1:0", "[::]:0", "example.com:80", "nonsense"} {
		if _, err := StartTasmota(TasmotaConfig{Addr: addr}); err == nil {
			t.Errorf("tasmota listened on %s", addr)
		}
		if _, err := StartShelly(ShellyConfig{Addr: addr}); err == nil {
			t.Errorf("shelly listened on %s", addr)
		}
	}
	for _, cfg := range []TasmotaConfig{{Relays: 9}, {Relays: -1}} {
		if _, err := StartTasmota(cfg); err == nil {
			t.Errorf("%+v accepted", cfg)
		}
	}
}

// digestAnswer builds a correct SHA-256 Digest answer from a 401's challenge.
func digestAnswer(t *testing.T, challenge, password, uri, nc string) string {
	t.Helper()
	_, rest, _ := strings.Cut(challenge, " ")
	p, err := ParseAuthParams(rest)
	if err != nil {
		t.Fatal(err)
	}
	sum := func(s string) string { x := sha256.Sum256([]byte(s)); return hex.EncodeToString(x[:]) }
	ha1 := sum("admin:" + p["realm"] + ":" + password)
	ha2 := sum("GET:" + uri)
	resp := sum(ha1 + ":" + p["nonce"] + ":" + nc + ":abc:auth:" + ha2)
	return fmt.Sprintf(`Digest username="admin", realm=%q, nonce=%q, uri=%q, algorithm=SHA-256, qop=auth, nc=%s, cnonce="abc", response=%q`,
		p["realm"], p["nonce"], uri, nc, resp)
}

func TestShellyDigestAndRPC(t *testing.T) {
	clk := simclock.NewFake(time.Unix(1700000000, 0))
	var e edges
	s, err := StartShelly(ShellyConfig{Switches: 2, Password: "pw", OnChange: e.record, Clock: clk})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	code, body, _ := get(t, s.URL()+"/shelly")
	var info map[string]any
	if code != 200 || json.Unmarshal([]byte(body), &info) != nil || info["gen"] != 2.0 || info["auth_en"] != true || info["id"] != "shellyplus1-c0ffee000001" {
		t.Fatalf("/shelly: %d %s", code, body)
	}
	uri := "/rpc/Switch.Set?id=1&on=true&toggle_after=0.25"
	code, _, hdr := get(t, s.URL()+uri)
	ch := hdr.Get("WWW-Authenticate")
	if code != 401 || !strings.HasPrefix(ch, `Digest qop="auth", realm="shellyplus1-c0ffee000001", nonce="`) || !strings.HasSuffix(ch, `algorithm=SHA-256`) {
		t.Fatalf("challenge: %d %q", code, ch)
	}
	if code, body, _ := get(t, s.URL()+uri, digestAnswer(t, ch, "pw", uri, "00000001")); code != 200 || body != `{"was_on":false}` {
		t.Fatalf("authorized set: %d %s", code, body)
	}
	// The same nc again is a replay.
	if code, _, _ := get(t, s.URL()+uri, digestAnswer(t, ch, "pw", uri, "00000001")); code != 401 {
		t.Fatalf("replayed nc: %d", code)
	}
	// Wrong password, and a correct answer for another URI.
	if code, _, _ := get(t, s.URL()+uri, digestAnswer(t, ch, "nope", uri, "00000002")); code != 401 {
		t.Fatalf("wrong password: %d", code)
	}
	if code, _, _ := get(t, s.URL()+uri, digestAnswer(t, ch, "pw", "/rpc/Switch.Set?id=0&on=true", "00000002")); code != 401 {
		t.Fatalf("answer for another uri: %d", code)
	}
	st := "/rpc/Switch.GetStatus?id=1"
	code, body, _ = get(t, s.URL()+st, digestAnswer(t, ch, "pw", st, "00000003"))
	if code != 200 || !strings.Contains(body, `"output":true`) || !strings.Contains(body, `"timer_duration":0.25`) || !strings.Contains(body, `"source":"HTTP_in"`) {
		t.Fatalf("status: %d %s", code, body)
	}
	clk.Advance(250 * time.Millisecond)
	if s.State(1) {
		t.Fatal("toggle_after did not flip the output back")
	}
	code, body, _ = get(t, s.URL()+st, digestAnswer(t, ch, "pw", st, "00000004"))
	if code != 200 || !strings.Contains(body, `"output":false`) || strings.Contains(body, "timer_") || !strings.Contains(body, `"source":"timer"`) {
		t.Fatalf("status after flip: %d %s", code, body)
	}
	// A nonce past its life is stale: a correct answer gets a new challenge.
	clk.Advance(nonceLife + time.Second)
	code, _, hdr = get(t, s.URL()+st, digestAnswer(t, ch, "pw", st, "00000005"))
	if code != 401 || !strings.Contains(hdr.Get("WWW-Authenticate"), "stale=true") {
		t.Fatalf("expired nonce: %d %q", code, hdr.Get("WWW-Authenticate"))
	}
	if got := e.String(); got != "1:ON 1:OFF" {
		t.Errorf("edges %s", got)
	}
}

func TestShellyRPCErrors(t *testing.T) {
	s, err := StartShelly(ShellyConfig{})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	for _, tc := range []struct {
		path string
		code int
		want string
	}{
		{"/rpc/Switch.Set?id=1&on=true", 500, `"code":-105`},
		{"/rpc/Switch.Set?id=x&on=true", 500, `"code":-103`},
		{"/rpc/Switch.Set?id=0", 500, `Missing required argument 'on'`},
		{"/rpc/Switch.Set?id=0&on=yes", 500, `Invalid argument 'on'`},
		{"/rpc/Switch.Set?id=0&on=true&toggle_after=-1", 500, `toggle_after`},
		{"/rpc/Switch.Set?id=0&on=true&toggle_after=NaN", 500, `toggle_after`},
		{"/rpc/Shelly.Reboot", 404, `No handler`},
		{"/rpc/Switch.Toggle?id=0", 200, `{"was_on":false}`},
		{"/rpc/Switch.GetStatus?id=0", 200, `"output":true`},
	} {
		code, body, _ := get(t, s.URL()+tc.path)
		if code != tc.code || !strings.Contains(body, tc.want) {
			t.Errorf("%s: %d %s, want %d %s", tc.path, code, body, tc.code, tc.want)
		}
	}
	if code, body, _ := get(t, s.URL()+"/shelly"); code != 200 || !strings.Contains(body, `"auth_en":false`) {
		t.Errorf("/shelly: %s", body)
	}
}

func TestRealClockPulse(t *testing.T) {
	// The default clock is the wall clock: a pulse ends by itself.
	done := make(chan time.Time, 2)
	p := startTasmota(t, TasmotaConfig{OnChange: func(_ int, on bool) {
		if !on {
			done <- time.Now()
		}
	}})
	get(t, cm(p, "PulseTime 1"))
	start := time.Now()
	get(t, cm(p, "Power On"))
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	select {
	case at := <-done:
		if at.Sub(start) < 100*time.Millisecond {
			t.Fatalf("released after %v, before PulseTime 1 (0.1 s)", at.Sub(start))
		}
	case <-ctx.Done():
		t.Fatal("the plug never released")
	}
}

func TestParseTasmotaCommand(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want TasmotaCommand
		ok   bool
	}{
		{"Power2 On", TasmotaCommand{"power", 2, "On"}, true},
		{"  pulsetime  12 ", TasmotaCommand{"pulsetime", 0, "12"}, true},
		{"POWER", TasmotaCommand{"power", 0, ""}, true},
		{"Power02 On", TasmotaCommand{}, false},
		{"Power100", TasmotaCommand{}, false},
		{"12", TasmotaCommand{}, false},
		{"Pow-er1", TasmotaCommand{}, false},
		{"", TasmotaCommand{}, false},
	} {
		got, err := ParseTasmotaCommand(tc.in)
		if (err == nil) != tc.ok || got != tc.want {
			t.Errorf("%q: %+v, %v", tc.in, got, err)
		}
	}
}

func FuzzParseTasmotaCommand(f *testing.F) {
	for _, s := range []string{"Power2 On", "PulseTime1 5", "power", "Power99 toggle", "Backlog Power1 On; Delay 5"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, in string) {
		cmd, err := ParseTasmotaCommand(in)
		if err != nil {
			return
		}
		if cmd.Name == "" || cmd.Index < 0 || cmd.Index > 99 || strings.ToLower(cmd.Name) != cmd.Name {
			t.Fatalf("%q -> %+v", in, cmd)
		}
	})
}

func TestParseAuthParams(t *testing.T) {
	p, err := ParseAuthParams(`username="ad\"min", realm=r, nc=00000001 ,  response="x"`)
	if err != nil || p["username"] != `ad"min` || p["realm"] != "r" || p["nc"] != "00000001" || p["response"] != "x" {
		t.Fatalf("%v %v", p, err)
	}
	for _, bad := range []string{`a`, `a=`, `=b`, `a="b`, `a=b c=d`, `a=b, a=c`} {
		if p, err := ParseAuthParams(bad); err == nil && bad != `a=` {
			t.Errorf("%q parsed as %v", bad, p)
		}
	}
}

func FuzzParseAuthParams(f *testing.F) {
	for _, s := range []string{`username="admin", realm="r", nonce="n", uri="/x", response="y", qop=auth, nc=00000001, cnonce="c"`, `a="\\"`, `,`} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, in string) {
		p, err := ParseAuthParams(in)
		if err != nil {
			return
		}
		for k := range p {
			if k == "" || strings.ToLower(k) != k {
				t.Fatalf("%q: bad name %q", in, k)
			}
		}
	})
}
