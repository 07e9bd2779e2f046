package plug_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net/http"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/camrig/camrig/harness/power"
	"github.com/camrig/camrig/harness/power/plug"
	"github.com/camrig/camrig/harness/power/powertest"
	"github.com/camrig/camrig/harness/secret"
)

const tasmotaPW = "pl&g=pw 7" // needs escaping in a query

func TestTasmotaExactRequests(t *testing.T) {
	const creds = "user=admin&password=pl%26g%3Dpw%207&"
	for _, tc := range []struct {
		name    string
		channel int
		pw      bool
		on      bool
		uris    []string
		reply   string
	}{
		{"single relay on", 0, true, true, []string{"/cm?" + creds + "cmnd=PulseTime1%200", "/cm?" + creds + "cmnd=Power%20On"}, `{"POWER":"ON"}`},
		{"single relay off", 0, true, false, []string{"/cm?" + creds + "cmnd=Power%20Off"}, `{"POWER":"OFF"}`},
		{"relay 1 indexed reply", 1, true, true, []string{"/cm?" + creds + "cmnd=PulseTime1%200", "/cm?" + creds + "cmnd=Power1%20On"}, `{"POWER1":"ON"}`},
		{"relay 1 of a single-relay plug", 1, true, false, []string{"/cm?" + creds + "cmnd=Power1%20Off"}, `{"POWER":"OFF"}`},
		{"relay 4 no password", 4, false, true, []string{"/cm?cmnd=PulseTime4%200", "/cm?cmnd=Power4%20On"}, `{"POWER4":"ON"}`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			stub := newPlugStub(t, func(w http.ResponseWriter, r *http.Request) {
				if c := r.URL.Query().Get("cmnd"); strings.HasPrefix(c, "PulseTime") {
					fmt.Fprintf(w, `{"%s":{"Set":0,"Remaining":0}}`, strings.Fields(c)[0])
					return
				}
				io.WriteString(w, tc.reply)
			})
			cfg := power.Config{URL: stub.URL, Channel: tc.channel}
			if tc.pw {
				t.Setenv("TASMOTA_PW", tasmotaPW)
				cfg.PasswordEnv = "TASMOTA_PW"
			}
			deps, logs := powertest.LoggedDeps()
			sw, err := plug.NewTasmota(cfg, deps)
			if err != nil {
				t.Fatal(err)
			}
			// Twice: a PulseTime possibly left by an earlier process is
			// cleared once, not before every ON.
			for range 2 {
				if err := sw.Set(context.Background(), tc.on); err != nil {
					t.Fatal(err)
				}
			}
			want := append(append([]string(nil), tc.uris...), tc.uris[len(tc.uris)-1])
			var got []string
			for _, r := range stub.requests() {
				if r.Method != "GET" || r.Auth != "" {
					t.Errorf("request %+v", r)
				}
				got = append(got, r.URI)
			}
			if strings.Join(got, " ") != strings.Join(want, " ") {
				t.Fatalf("requests\n got %v\nwant %v", got, want)
			}
			powertest.NoLeak(t, "log", logs.String(), "pl&g=pw 7")
			powertest.NoLeak(t, "log", logs.String(), "pl%26g%3Dpw%207")
		})
	}
}

func TestTasmotaGet(t *testing.T) {
	for _, tc := range []struct {
		reply string
		want  bool
	}{{`{"POWER2":"ON"}`, true}, {`{"POWER2":"OFF"}`, false}} {
		stub := newPlugStub(t, func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, tc.reply) })
		deps, _ := powertest.LoggedDeps()
		sw, err := plug.NewTasmota(power.Config{URL: stub.URL + "/", Channel: 2}, deps)
		if err != nil {
			t.Fatal(err)
		}
		on, err := sw.Get(context.Background())
		if err != nil || on != tc.want {
			t.Fatalf("Get = %v, %v; want %v", on, err, tc.want)
		}
		if u := stub.uris(); len(u) != 1 || u[0] != "/cm?cmnd=Power2" {
			t.Fatalf("requests = %v", u)
		}
	}
}

func TestTasmotaBadReplies(t *testing.T) {
	for _, tc := range []struct {
		name   string
		status int
		body   string
		want   string
	}{
		{"wrong password", 401, `{"WARNING":"Need user=<username>&password=<password>"}`, "HTTP 401"},
		{"old firmware auth warning", 200, `{"WARNING":"Need user=<username>&password=<password>"}`, "want key POWER1, got WARNING"},
		{"unknown command", 200, `{"Command":"Unknown"}`, "got Command"},
		{"other relay", 200, `{"POWER2":"ON"}`, "want key POWER1, got POWER2"},
		{"state not switched", 200, `{"POWER1":"ON"}`, "the plug reports on"},
		{"lower-case state", 200, `{"POWER1":"off"}`, `POWER1 is "off"`},
		{"extra key", 200, `{"POWER1":"OFF","POWER2":"ON"}`, "exactly one key"},
		{"not json", 200, `<html>busy</html>`, "not a JSON object"},
		{"trailing junk", 200, `{"POWER1":"ON"} x`, "trailing data"},
		{"empty", 200, ``, "an empty body"},
		{"server error", 500, `oops`, "HTTP 500"},
		{"echoes the query", 400, "bad request: user=admin&password=" + tasmotaPW, "[redacted]"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			stub := newPlugStub(t, func(w http.ResponseWriter, r *http.Request) {
				w.WriteHeader(tc.status)
				io.WriteString(w, tc.body)
			})
			t.Setenv("TASMOTA_PW", tasmotaPW)
			deps, logs := powertest.LoggedDeps()
			sw, err := plug.NewTasmota(power.Config{URL: stub.URL, Channel: 1, PasswordEnv: "TASMOTA_PW"}, deps)
			if err != nil {
				t.Fatal(err)
			}
			err = sw.Set(context.Background(), false)
			if err == nil {
				t.Fatal("accepted")
			}
			msg := err.Error()
			for _, want := range []string{"tasmota:" + stub.URL + "#1: set off", "cmnd=Power1%20Off", tc.want} {
				if !strings.Contains(msg, want) {
					t.Errorf("error %q lacks %q", msg, want)
				}
			}
			if !errors.Is(err, power.ErrDeviceReply) {
				t.Errorf("error %v is not ErrDeviceReply", err)
			}
			powertest.NoLeak(t, "error", msg, tasmotaPW)
			powertest.NoLeak(t, "error", msg, "pl%26g%3Dpw%207")
			powertest.NoLeak(t, "log", logs.String(), tasmotaPW)
			if n := len(stub.requests()); n != 1 {
				t.Errorf("%d requests for a reply error, want 1", n)
			}
		})
	}
}

func TestTasmotaMissingPassword(t *testing.T) {
	_, err := plug.NewTasmota(power.Config{URL: "http://127.0.0.1:1", Channel: 1, PasswordEnv: "CAMRIG_NO_SUCH_VAR"}, power.Deps{})
	if err == nil || !strings.Contains(err.Error(), "CAMRIG_NO_SUCH_VAR") || !strings.Contains(err.Error(), "tasmota http://127.0.0.1:1#1") {
		t.Fatalf("err = %v", err)
	}
}

// pulsePlug answers PulseTime and Power like a one-relay-per-index Tasmota.
func pulsePlug(w http.ResponseWriter, r *http.Request) {
	cmnd := r.URL.Query().Get("cmnd")
	var idx, v int
	var arg string
	switch {
	case fmtScan(cmnd, "PulseTime%d %d", &idx, &v):
		fmt.Fprintf(w, `{"PulseTime%d":{"Set":%d,"Remaining":%d}}`, idx, v, v)
	case fmtScan(cmnd, "Power%d %s", &idx, &arg):
		fmt.Fprintf(w, `{"POWER%d":"%s"}`, idx, strings.ToUpper(arg))
	case fmtScan(cmnd, "Power %s", &arg):
		fmt.Fprintf(w, `{"POWER":"%s"}`, strings.ToUpper(arg))
	default:
		http.Error(w, "unexpected "+cmnd, 400)
	}
}

func fmtScan(s, format string, args ...any) bool {
	n, err := fmt.Sscanf(s, format, args...)
	return err == nil && n == len(args)
}

func TestTasmotaPulseArmsAndClearsPulseTime(t *testing.T) {
	stub := newPlugStub(t, pulsePlug)
	deps, _ := powertest.LoggedDeps()
	sw, err := plug.NewTasmota(power.Config{URL: stub.URL, Channel: 2}, deps)
	if err != nil {
		t.Fatal(err)
	}
	var p power.Pulser = sw
	ctx := context.Background()
	if err := p.Pulse(ctx, true, 1500*time.Millisecond); err != nil {
		t.Fatal(err)
	}
	if err := sw.Set(ctx, false); err != nil {
		t.Fatal(err)
	}
	if err := sw.Set(ctx, true); err != nil { // a plain ON clears the pulse first
		t.Fatal(err)
	}
	want := []string{
		"/cm?cmnd=PulseTime2%2015", "/cm?cmnd=Power2%20On",
		"/cm?cmnd=Power2%20Off", // the release does not wait for the clear
		"/cm?cmnd=PulseTime2%200", "/cm?cmnd=Power2%20On",
	}
	if got := stub.uris(); strings.Join(got, " ") != strings.Join(want, " ") {
		t.Fatalf("requests\n got %v\nwant %v", got, want)
	}
}

func TestTasmotaPulseThenOnClearsFirst(t *testing.T) {
	stub := newPlugStub(t, pulsePlug)
	deps, _ := powertest.LoggedDeps()
	sw, err := plug.NewTasmota(power.Config{URL: stub.URL}, deps)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	if err := sw.Pulse(ctx, true, 20*time.Second); err != nil {
		t.Fatal(err)
	}
	if err := sw.Set(ctx, true); err != nil {
		t.Fatal(err)
	}
	// Channel 0 uses the unindexed Power and PulseTime1.
	want := []string{"/cm?cmnd=PulseTime1%20120", "/cm?cmnd=Power%20On", "/cm?cmnd=PulseTime1%200", "/cm?cmnd=Power%20On"}
	if got := stub.uris(); strings.Join(got, " ") != strings.Join(want, " ") {
		t.Fatalf("requests\n got %v\nwant %v", got, want)
	}
}

func TestTasmotaPulseRejects(t *testing.T) {
	stub := newPlugStub(t, func(w http.ResponseWriter, r *http.Request) {
		io.WriteString(w, `{"PulseTime1":{"Set":0,"Remaining":0}}`) // firmware ignoring the value
	})
	deps, _ := powertest.LoggedDeps()
	sw, err := plug.NewTasmota(power.Config{URL: stub.URL, Channel: 1}, deps)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	if err := sw.Pulse(ctx, false, time.Second); err == nil || !strings.Contains(err.Error(), "cannot pulse off") {
		t.Errorf("pulse off: %v", err)
	}
	if err := sw.Pulse(ctx, true, 0); err == nil || !strings.Contains(err.Error(), "must be positive") {
		t.Errorf("pulse 0: %v", err)
	}
	if err := sw.Pulse(ctx, true, time.Second); err == nil || !strings.Contains(err.Error(), "PulseTime set to 0, asked for 10") {
		t.Errorf("ignored PulseTime: %v", err)
	}
	if u := stub.uris(); len(u) != 1 {
		t.Errorf("after a failed arm the relay must not be switched on; requests %v", u)
	}
}

func TestTasmotaFailedClearStopsTheOn(t *testing.T) {
	stub := newPlugStub(t, func(w http.ResponseWriter, r *http.Request) {
		http.Error(w, "settings locked", http.StatusInternalServerError)
	})
	deps, _ := powertest.LoggedDeps()
	sw, err := plug.NewTasmota(power.Config{URL: stub.URL, Channel: 1}, deps)
	if err != nil {
		t.Fatal(err)
	}
	err = sw.Set(context.Background(), true)
	if err == nil || !strings.Contains(err.Error(), "set on: clear PulseTime: GET /cm?cmnd=PulseTime1%200: not HTTP 200: HTTP 500") {
		t.Errorf("a failed clear must stop the ON and say so: %v", err)
	}
	if u := stub.uris(); len(u) != 1 {
		t.Errorf("the relay was switched on with a PulseTime possibly armed; requests %v", u)
	}
}

func TestEncodePulseTime(t *testing.T) {
	for _, tc := range []struct {
		d    time.Duration
		want int
	}{
		{time.Millisecond, 1},
		{100 * time.Millisecond, 1},
		{101 * time.Millisecond, 2},
		{time.Second, 10},
		{11100 * time.Millisecond, 111},
		{11150 * time.Millisecond, 112}, // 11.2 s cannot be expressed: next is 12 s
		{12 * time.Second, 112},
		{13 * time.Second, 113},
		{6 * time.Minute, 460},
		{64800 * time.Second, 64900},
	} {
		got, err := plug.EncodePulseTime(tc.d)
		if err != nil || got != tc.want {
			t.Errorf("EncodePulseTime(%v) = %d, %v; want %d", tc.d, got, err, tc.want)
		}
		if back := plug.DecodePulseTime(got); back < tc.d {
			t.Errorf("DecodePulseTime(%d) = %v < %v: the plug would release early", got, back, tc.d)
		}
	}
	for _, d := range []time.Duration{0, -time.Second, 64801 * time.Second} {
		if v, err := plug.EncodePulseTime(d); err == nil {
			t.Errorf("EncodePulseTime(%v) = %d, want an error", d, v)
		}
	}
	for v, want := range map[int]time.Duration{0: 0, 1: 100 * time.Millisecond, 111: 11100 * time.Millisecond, 112: 12 * time.Second, 64900: 64800 * time.Second} {
		if got := plug.DecodePulseTime(v); got != want {
			t.Errorf("DecodePulseTime(%d) = %v, want %v", v, got, want)
		}
	}
}

func TestParseTasmotaPulseTime(t *testing.T) {
	for _, tc := range []struct {
		body string
		want int
		ok   bool
	}{
		{`{"PulseTime2":{"Set":15,"Remaining":15}}`, 15, true},
		{`{"PulseTime2":15}`, 15, true},
		{`{"PulseTime1":15}`, 0, false},
		{`{"PulseTime2":{"Remaining":15}}`, 0, false},
		{`{"PulseTime2":64901}`, 0, false},
		{`{"PulseTime2":"15"}`, 0, false},
		{`[15]`, 0, false},
	} {
		got, err := plug.ParseTasmotaPulseTime([]byte(tc.body), 2)
		if (err == nil) != tc.ok || got != tc.want {
			t.Errorf("%s: %d, %v", tc.body, got, err)
		}
	}
}

func FuzzParseTasmotaPower(f *testing.F) {
	for _, s := range []string{`{"POWER":"ON"}`, `{"POWER1":"OFF"}`, `{"POWER12":"ON"}`, `{"WARNING":"x"}`, `{"POWER1":"ON"}{}`, `null`, `{"POWER1":1}`} {
		f.Add([]byte(s), 1)
	}
	f.Fuzz(func(t *testing.T, body []byte, channel int) {
		on, err := plug.ParseTasmotaPower(body, channel)
		if err != nil {
			return
		}
		want := `"OFF"`
		if on {
			want = `"ON"`
		}
		if !strings.Contains(string(body), want) && !strings.Contains(string(body), `\u`) {
			t.Fatalf("%q parsed as %v", body, on)
		}
	})
}

func FuzzParseTasmotaPulseTime(f *testing.F) {
	for _, s := range []string{`{"PulseTime1":{"Set":15,"Remaining":1}}`, `{"PulseTime1":3}`, `{"PulseTime1":{"Set":-1}}`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		v, err := plug.ParseTasmotaPulseTime(body, 1)
		if err == nil && (v < 0 || v > 64900) {
			t.Fatalf("%q gave out-of-range %d", body, v)
		}
	})
}

// A missing password file is an error a caller can test for: the cause is
// wrapped, not flattened into text.
func TestMissingPasswordFileIsTestable(t *testing.T) {
	missing := filepath.Join(t.TempDir(), "no-such-password")
	_, err := plug.NewTasmota(power.Config{URL: "http://127.0.0.1:1", Channel: 1, PasswordFile: missing}, power.Deps{})
	if !errors.Is(err, fs.ErrNotExist) || !errors.Is(err, secret.ErrMissing) {
		t.Errorf("tasmota: err = %v; want it to wrap fs.ErrNotExist and secret.ErrMissing", err)
	}
	_, err = plug.NewShelly(context.Background(), power.Config{URL: "http://127.0.0.1:1", PasswordFile: missing}, power.Deps{})
	if !errors.Is(err, fs.ErrNotExist) || !errors.Is(err, secret.ErrMissing) {
		t.Errorf("shelly: err = %v; want it to wrap fs.ErrNotExist and secret.ErrMissing", err)
	}
}
