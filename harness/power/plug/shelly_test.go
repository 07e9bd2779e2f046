package plug_test

import (
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net/http"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/camrig/camrig/harness/power"
	"github.com/camrig/camrig/harness/power/plug"
	"github.com/camrig/camrig/harness/power/powertest"
)

const shellyPW = "sh3lly pw\"x"

const gen1Info = `{"type":"SHSW-1","mac":"A4CF12F45D7B","auth":true,"fw":"20230913-112003/v1.14.0-gcb84623"}`

// gen1Plug is a Shelly Gen1 stub checking Basic auth.
func gen1Plug(t *testing.T) *plugStub {
	wantAuth := "Basic " + base64.StdEncoding.EncodeToString([]byte("admin:"+shellyPW))
	ison := false
	var mu sync.Mutex
	return newPlugStub(t, func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/shelly" {
			io.WriteString(w, gen1Info)
			return
		}
		if r.Header.Get("Authorization") != wantAuth {
			w.WriteHeader(401)
			io.WriteString(w, "401 Unauthorized")
			return
		}
		mu.Lock()
		defer mu.Unlock()
		switch r.URL.Query().Get("turn") {
		case "on":
			ison = true
		case "off":
			ison = false
		}
		fmt.Fprintf(w, `{"ison":%t,"has_timer":%t,"timer_started":0,"timer_duration":0,"timer_remaining":0,"source":"http"}`,
			ison, r.URL.Query().Get("timer") != "")
	})
}

func TestShellyGen1ExactRequests(t *testing.T) {
	stub := gen1Plug(t)
	t.Setenv("SHELLY_PW", shellyPW)
	deps, logs := powertest.LoggedDeps()
	sw, err := plug.NewShelly(context.Background(), power.Config{URL: stub.URL, Channel: 0, PasswordEnv: "SHELLY_PW"}, deps)
	if err != nil {
		t.Fatal(err)
	}
	if sw.Generation() != 1 {
		t.Fatalf("generation %d", sw.Generation())
	}
	ctx := context.Background()
	if err := sw.Set(ctx, true); err != nil {
		t.Fatal(err)
	}
	if on, err := sw.Get(ctx); err != nil || !on {
		t.Fatalf("Get = %v, %v", on, err)
	}
	if err := sw.Pulse(ctx, false, 1500*time.Millisecond); err != nil {
		t.Fatal(err)
	}
	want := []string{"/shelly", "/relay/0?turn=on", "/relay/0", "/relay/0?turn=off&timer=2"}
	if got := stub.uris(); strings.Join(got, " ") != strings.Join(want, " ") {
		t.Fatalf("requests\n got %v\nwant %v", got, want)
	}
	if r := stub.requests(); r[0].Auth != "" {
		t.Errorf("/shelly sent credentials: %q", r[0].Auth)
	}
	powertest.NoLeak(t, "log", logs.String(), shellyPW)
	powertest.NoLeak(t, "log", logs.String(), base64.StdEncoding.EncodeToString([]byte("admin:"+shellyPW)))
}

func TestShellyGen1WrongPassword(t *testing.T) {
	stub := gen1Plug(t)
	t.Setenv("SHELLY_PW", "not-the-password")
	deps, _ := powertest.LoggedDeps()
	sw, err := plug.NewShelly(context.Background(), power.Config{URL: stub.URL, Channel: 0, PasswordEnv: "SHELLY_PW"}, deps)
	if err != nil {
		t.Fatal(err)
	}
	err = sw.Set(context.Background(), true)
	if err == nil || !errors.Is(err, power.ErrDeviceReply) || !strings.Contains(err.Error(), "shelly:"+stub.URL+"#0: set on: GET /relay/0?turn=on: not HTTP 200: HTTP 401, got `401 Unauthorized`") {
		t.Fatalf("err = %v", err)
	}
	powertest.NoLeak(t, "error", err.Error(), "not-the-password")
}

// gen2Plug is a Shelly Gen2 stub that demands Digest (SHA-256, qop=auth)
// and checks every response with its own computation.
type gen2Plug struct {
	*plugStub
	mu     sync.Mutex
	nonce  string
	lastNC map[string]int
	output bool
	rotate bool // next authorized request is answered stale with a fresh nonce
}

const gen2Realm = "shellyplus1-a8032ab12345"

var digestParam = regexp.MustCompile(`(\w+)=(?:"((?:[^"\\]|\\.)*)"|([^,\s]+))`)

func newGen2Plug(t *testing.T, password string) *gen2Plug {
	p := &gen2Plug{nonce: "1631102208", lastNC: map[string]int{}}
	p.plugStub = newPlugStub(t, func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/shelly" {
			fmt.Fprintf(w, `{"name":null,"id":%q,"mac":"A8032AB12345","model":"SNSW-001X16EU","gen":2,"fw_id":"20230912-082236/1.0.3-g6176478","ver":"1.0.3","app":"Plus1","auth_en":true,"auth_domain":%q}`, gen2Realm, gen2Realm)
			return
		}
		p.mu.Lock()
		defer p.mu.Unlock()
		if why := p.checkDigest(r, password); why != "" {
			stale := ""
			if why == "stale" {
				p.nonce = fmt.Sprint(len(p.nonce) * 7919)
				stale = ", stale=true"
			}
			w.Header().Set("WWW-Authenticate", fmt.Sprintf(`Digest qop="auth", realm=%q, nonce=%q, algorithm=SHA-256%s`, gen2Realm, p.nonce, stale))
			w.WriteHeader(401)
			return
		}
		q := r.URL.Query()
		switch r.URL.Path {
		case "/rpc/Switch.Set":
			if q.Get("id") != "1" {
				w.WriteHeader(500)
				fmt.Fprintf(w, `{"code":-105,"message":"Argument 'id', value %s not found!"}`, q.Get("id"))
				return
			}
			fmt.Fprintf(w, `{"was_on":%t}`, p.output)
			p.output = q.Get("on") == "true"
		case "/rpc/Switch.GetStatus":
			fmt.Fprintf(w, `{"id":1, "source":"HTTP", "output":%t, "apower":0.0, "voltage":12.1}`, p.output)
		default:
			w.WriteHeader(404)
		}
	})
	return p
}

// checkDigest returns "" when r carries a correct answer to the current
// nonce, "stale" when the plug decided to rotate it, else why not.
func (p *gen2Plug) checkDigest(r *http.Request, password string) string {
	h := r.Header.Get("Authorization")
	if !strings.HasPrefix(h, "Digest ") {
		return "no digest"
	}
	f := map[string]string{}
	for _, m := range digestParam.FindAllStringSubmatch(h[len("Digest "):], -1) {
		f[m[1]] = strings.NewReplacer(`\"`, `"`, `\\`, `\`).Replace(m[2] + m[3])
	}
	if f["username"] != "admin" || f["realm"] != gen2Realm || f["uri"] != r.RequestURI || f["qop"] != "auth" || f["algorithm"] != "SHA-256" {
		return "bad fields"
	}
	if f["nonce"] != p.nonce {
		return "old nonce"
	}
	var nc int
	if _, err := fmt.Sscanf(f["nc"], "%08x", &nc); err != nil || len(f["nc"]) != 8 || nc <= p.lastNC[p.nonce] {
		return "nc not increasing"
	}
	sum := func(s string) string { x := sha256.Sum256([]byte(s)); return hex.EncodeToString(x[:]) }
	ha1 := sum("admin:" + gen2Realm + ":" + password)
	ha2 := sum(r.Method + ":" + r.RequestURI)
	if f["response"] != sum(ha1+":"+p.nonce+":"+f["nc"]+":"+f["cnonce"]+":auth:"+ha2) {
		return "wrong response"
	}
	p.lastNC[p.nonce] = nc
	if p.rotate {
		p.rotate = false
		return "stale"
	}
	return ""
}

func (p *gen2Plug) authHeaders() []string {
	var out []string
	for _, r := range p.requests() {
		if i := strings.Index(r.Auth, "nc="); i >= 0 {
			out = append(out, r.Auth[i:i+11])
		} else {
			out = append(out, "none")
		}
	}
	return out
}

func TestShellyGen2DigestExactRequests(t *testing.T) {
	dev := newGen2Plug(t, shellyPW)
	t.Setenv("SHELLY_PW", shellyPW)
	deps, logs := powertest.LoggedDeps()
	ctx := context.Background()
	sw, err := plug.NewShelly(ctx, power.Config{URL: dev.URL, Channel: 1, PasswordEnv: "SHELLY_PW"}, deps)
	if err != nil {
		t.Fatal(err)
	}
	if sw.Generation() != 2 {
		t.Fatalf("generation %d", sw.Generation())
	}
	if err := sw.Set(ctx, true); err != nil {
		t.Fatal(err)
	}
	if on, err := sw.Get(ctx); err != nil || !on {
		t.Fatalf("Get = %v, %v", on, err)
	}
	if err := sw.Pulse(ctx, true, 250*time.Millisecond); err != nil {
		t.Fatal(err)
	}
	if err := sw.Pulse(ctx, false, 1234567*time.Microsecond); err != nil {
		t.Fatal(err)
	}
	if on, err := sw.Get(ctx); err != nil || on {
		t.Fatalf("Get = %v, %v", on, err)
	}
	want := []string{
		"/shelly",
		"/rpc/Switch.Set?id=1&on=true", "/rpc/Switch.Set?id=1&on=true", // challenge, then answer
		"/rpc/Switch.GetStatus?id=1",
		"/rpc/Switch.Set?id=1&on=true&toggle_after=0.25",
		"/rpc/Switch.Set?id=1&on=false&toggle_after=1.235",
		"/rpc/Switch.GetStatus?id=1",
	}
	if got := dev.uris(); strings.Join(got, " ") != strings.Join(want, " ") {
		t.Fatalf("requests\n got %v\nwant %v", got, want)
	}
	// One challenge, then the nonce is reused with a growing count.
	wantNC := []string{"none", "none", "nc=00000001", "nc=00000002", "nc=00000003", "nc=00000004", "nc=00000005"}
	if got := dev.authHeaders(); strings.Join(got, " ") != strings.Join(wantNC, " ") {
		t.Fatalf("auth\n got %v\nwant %v", got, wantNC)
	}
	powertest.NoLeak(t, "log", logs.String(), shellyPW)
}

func TestShellyGen2StaleNonce(t *testing.T) {
	dev := newGen2Plug(t, shellyPW)
	t.Setenv("SHELLY_PW", shellyPW)
	deps, _ := powertest.LoggedDeps()
	ctx := context.Background()
	sw, err := plug.NewShelly(ctx, power.Config{URL: dev.URL, Channel: 1, PasswordEnv: "SHELLY_PW"}, deps)
	if err != nil {
		t.Fatal(err)
	}
	if err := sw.Set(ctx, true); err != nil {
		t.Fatal(err)
	}
	dev.mu.Lock()
	dev.rotate = true
	dev.mu.Unlock()
	if err := sw.Set(ctx, false); err != nil {
		t.Fatal(err)
	}
	wantNC := []string{"none", "none", "nc=00000001", "nc=00000002", "nc=00000001"}
	if got := dev.authHeaders(); strings.Join(got, " ") != strings.Join(wantNC, " ") {
		t.Fatalf("auth\n got %v\nwant %v", got, wantNC)
	}
}

func TestShellyGen2Errors(t *testing.T) {
	dev := newGen2Plug(t, "the-real-one")
	t.Setenv("SHELLY_PW", shellyPW)
	deps, logs := powertest.LoggedDeps()
	ctx := context.Background()
	sw, err := plug.NewShelly(ctx, power.Config{URL: dev.URL, Channel: 1, PasswordEnv: "SHELLY_PW", Retries: 2}, deps)
	if err != nil {
		t.Fatal(err)
	}
	err = sw.Set(ctx, true)
	if err == nil || !strings.Contains(err.Error(), "shelly:"+dev.URL+"#1: set on: GET /rpc/Switch.Set?id=1&on=true: not HTTP 200: HTTP 401") {
		t.Fatalf("wrong password: %v", err)
	}
	powertest.NoLeak(t, "error", err.Error(), shellyPW)
	powertest.NoLeak(t, "log", logs.String(), shellyPW)
	if n := len(dev.requests()); n != 3 { // /shelly, challenge, rejected answer: no retries
		t.Errorf("%d requests", n)
	}

	good := newGen2Plug(t, shellyPW)
	sw, err = plug.NewShelly(ctx, power.Config{URL: good.URL, Channel: 3, PasswordEnv: "SHELLY_PW"}, deps)
	if err != nil {
		t.Fatal(err)
	}
	err = sw.Set(ctx, true)
	if err == nil || !strings.Contains(err.Error(), "HTTP 500, got `{\"code\":-105,\"message\":\"Argument 'id', value 3 not found!\"}`") {
		t.Fatalf("bad channel: %v", err)
	}
	if _, err := sw.Get(ctx); err == nil || !strings.Contains(err.Error(), `"id" is not 3`) {
		t.Fatalf("status of another switch accepted: %v", err)
	}
}

func TestShellyIdentifyErrors(t *testing.T) {
	for _, tc := range []struct {
		name, body, pwEnv, want string
	}{
		{"not a shelly", `<html>router</html>`, "", "not a JSON object"},
		{"no generation", `{"name":"x"}`, "", "not a Shelly"},
		{"auth needed", gen1Info, "", "authentication enabled; give password_env"},
		{"bad gen", `{"gen":"two"}`, "", "gen"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			stub := newPlugStub(t, func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, tc.body) })
			_, err := plug.NewShelly(context.Background(), power.Config{URL: stub.URL, Channel: 2}, power.Deps{})
			if err == nil || !strings.Contains(err.Error(), tc.want) || !strings.Contains(err.Error(), "shelly:"+stub.URL+"#2: identify") {
				t.Fatalf("err = %v, want %q", err, tc.want)
			}
		})
	}
	_, err := plug.NewShelly(context.Background(), power.Config{URL: refusedURL(t), Retries: 1, Timeout: time.Second}, power.Deps{})
	if err == nil || !strings.Contains(err.Error(), "connection refused") {
		t.Fatalf("unreachable: %v", err)
	}
}

func TestShellyPulseBounds(t *testing.T) {
	dev := newGen2Plug(t, shellyPW)
	t.Setenv("SHELLY_PW", shellyPW)
	sw, err := plug.NewShelly(context.Background(), power.Config{URL: dev.URL, Channel: 1, PasswordEnv: "SHELLY_PW"}, power.Deps{})
	if err != nil {
		t.Fatal(err)
	}
	for _, d := range []time.Duration{0, -time.Second, 25 * time.Hour} {
		if err := sw.Pulse(context.Background(), true, d); err == nil {
			t.Errorf("pulse %v accepted", d)
		}
	}
}

func TestParseShellyReplies(t *testing.T) {
	info, err := plug.ParseShellyInfo([]byte(gen1Info))
	if err != nil || info != (plug.ShellyInfo{Gen: 1, Auth: true, Model: "SHSW-1", ID: "A4CF12F45D7B"}) {
		t.Errorf("gen1 info = %+v, %v", info, err)
	}
	info, err = plug.ParseShellyInfo([]byte(`{"id":"shellyplusplugs-x","model":"SNPL-00112EU","gen":3,"auth_en":false}`))
	if err != nil || info != (plug.ShellyInfo{Gen: 3, Model: "SNPL-00112EU", ID: "shellyplusplugs-x"}) {
		t.Errorf("gen3 info = %+v, %v", info, err)
	}
	for _, bad := range []string{`{"gen":1}`, `{"gen":2.5}`, `{"type":5}`, `{"gen":2}{}`, `[]`, ``} {
		if info, err := plug.ParseShellyInfo([]byte(bad)); err == nil {
			t.Errorf("%s parsed as %+v", bad, info)
		}
	}
	for _, tc := range []struct {
		body string
		ok   bool
	}{{`{"ison":true,"has_timer":true}`, true}, {`{"ison":"true"}`, false}, {`{"has_timer":true}`, false}} {
		if _, err := plug.ParseShellyGen1Relay([]byte(tc.body)); (err == nil) != tc.ok {
			t.Errorf("gen1 relay %s: %v", tc.body, err)
		}
	}
	for _, tc := range []struct {
		body string
		ok   bool
	}{{`{"was_on":false}`, true}, {`{"was_on":null}`, false}, {`{"code":-103,"message":"x"}`, false}} {
		if _, err := plug.ParseShellyGen2Set([]byte(tc.body)); (err == nil) != tc.ok {
			t.Errorf("gen2 set %s: %v", tc.body, err)
		}
	}
}

func FuzzParseShelly(f *testing.F) {
	for _, s := range []string{gen1Info, `{"gen":2,"auth_en":true}`, `{"ison":true,"has_timer":false}`, `{"was_on":true}`, `{"id":0,"output":true}`, `{"id":0,"output":1}`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		if info, err := plug.ParseShellyInfo(body); err == nil && info.Gen < 1 {
			t.Fatalf("%q: generation %d", body, info.Gen)
		}
		_, _ = plug.ParseShellyGen1Relay(body)
		_, _ = plug.ParseShellyGen2Set(body)
		if _, err := plug.ParseShellyGen2Status(body, 0); err == nil && !strings.Contains(strings.ToLower(string(body)), "output") && !strings.Contains(string(body), `\u`) {
			t.Fatalf("%q: status without output accepted", body)
		}
	})
}
