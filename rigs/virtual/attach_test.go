package virtual

import (
	"bytes"
	"context"
	"errors"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// miniRig writes a rig file with the given units (YAML under `units:`)
// and extra top-level YAML, using ${state_dir} = dir.
func miniRig(t *testing.T, dir, top, units string) string {
	t.Helper()
	profiles, err := filepath.Abs("../../fixtures/profiles")
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, "rig.yaml")
	data := "rig: mini\ntimescale: 0.001\nstate_dir: " + dir + "\nprofiles: " + profiles + "\n" + top + "units:\n" + units
	if err := os.WriteFile(path, []byte(data), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

// freeAddr is a loopback host:port nobody listens on now.
func freeAddr(t *testing.T, ip string) string {
	t.Helper()
	ln, err := net.Listen("tcp", ip+":0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

func TestLoopbackAddr(t *testing.T) {
	tests := []struct {
		in, want, err string
	}{
		{"http://127.0.0.11:18001", "127.0.0.11:18001", ""},
		{"http://127.0.0.11", "127.0.0.11:80", ""},
		{"http://[::1]:8080", "[::1]:8080", ""},
		{"https://127.0.0.1:443", "", "plain http only"},
		{"http://192.168.1.64", "", "not a loopback IP"},
		{"http://localhost:80", "", "not a loopback IP"},
		{"http://%zz", "", "url"},
	}
	for _, tt := range tests {
		got, err := loopbackAddr(tt.in)
		if tt.err != "" {
			if err == nil || !strings.Contains(err.Error(), tt.err) {
				t.Errorf("loopbackAddr(%q) = %q, %v; want error containing %q", tt.in, got, err, tt.err)
			}
			continue
		}
		if err != nil || got != tt.want {
			t.Errorf("loopbackAddr(%q) = %q, %v; want %q", tt.in, got, err, tt.want)
		}
	}
}

func TestPlugBindingsThatCannotBeWired(t *testing.T) {
	dir := stateDir(t)
	a := freeAddr(t, "127.0.0.1")
	unit := func(name, power string) string {
		return "  - name: " + name + "\n    profile: blink\n    console: {port: \"${state_dir}/" + name + ".uart\"}\n    power: " + power + "\n"
	}
	tests := []struct {
		name, units, want string
	}{
		{"routable url", unit("a", `{driver: tasmota, url: "http://10.0.0.5", channel: 1}`), "not a loopback IP"},
		{"tasmota relay 9", unit("a", `{driver: tasmota, url: "http://`+a+`", channel: 9}`), "relays 1-8"},
		{"shelly switch 4", unit("a", `{driver: shelly, url: "http://`+a+`", channel: 4}`), "switches 0-3"},
		{"two drivers one address", unit("a", `{driver: tasmota, url: "http://`+a+`", channel: 1}`) +
			unit("b", `{driver: shelly, url: "http://`+a+`", channel: 0}`), "is a tasmota plug (a power), not shelly"},
		{"relay used twice", unit("a", `{driver: tasmota, url: "http://`+a+`", channel: 1}`) +
			unit("b", `{driver: tasmota, url: "http://`+a+`", channel: 0}`), "relay 1 at " + a + " is already a power"},
		{"credentials differ", unit("a", `{driver: tasmota, url: "http://`+a+`", channel: 1, password_file: "${state_dir}/secrets/p1"}`) +
			unit("b", `{driver: tasmota, url: "http://`+a+`", channel: 2, password_file: "${state_dir}/secrets/p2"}`), "other credentials"},
		{"password env unset", unit("a", `{driver: shelly, url: "http://`+a+`", channel: 0, password_env: CAMRIG_TEST_UNSET_PLUG_PW}`), "CAMRIG_TEST_UNSET_PLUG_PW is not set"},
		{"password file missing", unit("a", `{driver: shelly, url: "http://`+a+`", channel: 0, password_file: "/nonexistent/pw"}`), "password_file"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Start(context.Background(), miniRig(t, dir, "", tt.units))
			var rfe *RigFileError
			if !errors.As(err, &rfe) || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("Start: %v; want a RigFileError containing %q", err, tt.want)
			}
		})
	}
}

func TestTwoUnitsOnOneMultiRelayPlug(t *testing.T) {
	dir := stateDir(t)
	a := freeAddr(t, "127.0.0.1")
	units := `  - name: a
    profile: blink
    console: {port: "${state_dir}/a.uart"}
    power: {driver: tasmota, url: "http://` + a + `", channel: 1}
  - name: b
    profile: blink
    console: {port: "${state_dir}/b.uart"}
    power: {driver: tasmota, url: "http://` + a + `", channel: 2, active_low: true}
`
	r, err := Start(context.Background(), miniRig(t, dir, "", units))
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	if r.Unit("a").Powered() || !r.Unit("b").Powered() {
		t.Fatalf("with the plug's relays off: a powered %v, b (active low) powered %v", r.Unit("a").Powered(), r.Unit("b").Powered())
	}
	var out bytes.Buffer
	r.Describe(&out)
	if !strings.Contains(out.String(), "relay 1 = a power, relay 2 = b power (active low) (no password)") {
		t.Fatalf("Describe:\n%s", out.String())
	}
}

func TestBusyAddressesAreNotedAndTheRestRuns(t *testing.T) {
	SetBindPatience(t, 100*time.Millisecond)
	dir := stateDir(t)
	nvrLn, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer nvrLn.Close()
	plugLn, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer plugLn.Close()
	apiLn, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer apiLn.Close()
	top := "nvr: {api: \"http://" + nvrLn.Addr().String() + "\", user: admin, password_file: \"${state_dir}/secrets/nvr\"}\n"
	units := `  - name: a
    profile: blink
    console: {port: "${state_dir}/a.uart"}
    power: {driver: shelly, url: "http://` + plugLn.Addr().String() + `", channel: 0}
    api: {url: "http://` + freeAddr(t, "127.0.0.1") + `", user: admin, password_file: "${state_dir}/secrets/a"}
    nvr_port: 1
  - name: b
    profile: blink
    console: {port: "${state_dir}/b.uart"}
    api: {url: "http://` + apiLn.Addr().String() + `", user: admin, password_file: "${state_dir}/secrets/b"}
`
	r, err := Start(context.Background(), miniRig(t, dir, top, units))
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	var out bytes.Buffer
	r.Describe(&out)
	for _, want := range []string{"(not served: no NVR simulator attached)", "note: nvr http://" + nvrLn.Addr().String() + " not served",
		"address already in use", "note: shelly plug http://" + plugLn.Addr().String() + " (relay 0 = a power) not served", "api    a"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("Describe lacks %q:\n%s", want, out.String())
		}
	}
	// Each busy device is listed with its reason, for a run to fail on;
	// the served ones are not.
	unserved := strings.Join(r.Unserved(), "\n")
	for _, want := range []string{"nvr http://" + nvrLn.Addr().String() + " not served", "plug http://" + plugLn.Addr().String(),
		"b api http://" + apiLn.Addr().String() + " not served", "address already in use"} {
		if !strings.Contains(unserved, want) {
			t.Errorf("Unserved lacks %q:\n%s", want, unserved)
		}
	}
	if n := len(r.Unserved()); n != 3 || strings.Contains(unserved, "a api") {
		t.Errorf("Unserved has %d entries, want the 3 busy ones:\n%s", n, unserved)
	}
}

func TestUnservedIsEmptyWhenEveryAddressIsFree(t *testing.T) {
	dir := stateDir(t)
	units := `  - name: a
    profile: blink
    console: {port: "${state_dir}/a.uart"}
    api: {url: "http://` + freeAddr(t, "127.0.0.1") + `", user: admin, password_file: "${state_dir}/secrets/a"}
`
	r, err := Start(context.Background(), miniRig(t, dir, "", units))
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	if u := r.Unserved(); len(u) != 0 {
		t.Fatalf("Unserved = %q", u)
	}
}

func TestUnitsOnNVRPortsShareTheCameraPassword(t *testing.T) {
	dir := stateDir(t)
	secrets := filepath.Join(dir, "secrets")
	os.MkdirAll(secrets, 0o700)
	// A previous run's distinct passwords: the first NVR unit's wins, so a
	// unit already activated with it stays reachable. d's firmware does not
	// sync with an NVR: it keeps its own.
	for name, pw := range map[string]string{"a": "Aaaaaaaa1111", "b": "Bbbbbbbb2222", "c": "Cccccccc3333", "d": "Dddddddd4444"} {
		os.WriteFile(filepath.Join(secrets, name), []byte(pw+"\n"), 0o600)
	}
	top := "nvr: {api: \"http://" + freeAddr(t, "127.0.0.1") + "\", user: admin, password_file: \"${state_dir}/secrets/nvr\"}\n"
	unit := func(name, profile, extra string) string {
		return "  - name: " + name + "\n    profile: " + profile + "\n    console: {port: \"${state_dir}/" + name + ".uart\"}\n" +
			"    api: {url: \"http://" + freeAddr(t, "127.0.0.1") + "\", user: admin, password_file: \"${state_dir}/secrets/" + name + "\"}\n" + extra
	}
	path := miniRig(t, dir, top, unit("c", "no-button", "")+unit("d", "blink", "    nvr_port: 3\n")+
		unit("a", "no-button", "    nvr_port: 2\n")+unit("b", "generic-poe-ipc", "    nvr_port: 1\n"))
	r, err := Start(context.Background(), path)
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]string{}
	for _, name := range []string{"a", "b", "c", "d", CameraSecret} {
		got[name], _ = r.Password(name)
	}
	notes := strings.Join(r.Notes(), "\n")
	r.Close()
	if got[CameraSecret] != "Aaaaaaaa1111" || got["a"] != got[CameraSecret] || got["b"] != got[CameraSecret] ||
		got["c"] != "Cccccccc3333" || got["d"] != "Dddddddd4444" {
		t.Fatalf("passwords after start: %v", got)
	}
	if !strings.Contains(notes, "d is on NVR port 3, but profile blink does not sync with an NVR") {
		t.Fatalf("notes:\n%s", notes)
	}

	// A camera password the NVR could not activate with is refused, by file
	// and rule, never echoed.
	os.WriteFile(filepath.Join(secrets, CameraSecret), []byte("admin1234\n"), 0o600)
	_, err = Start(context.Background(), path)
	if err == nil || !strings.Contains(err.Error(), filepath.Join(secrets, CameraSecret)) || strings.Contains(err.Error(), "admin1234") {
		t.Fatalf("Start with a rule-breaking camera password: %v", err)
	}
}

func TestSimSectionErrors(t *testing.T) {
	dir := stateDir(t)
	units := "  - name: a\n    profile: blink\n    console: {port: \"${state_dir}/a.uart\"}\n"
	for _, tc := range []struct{ top, want string }{
		{"sim: {units: {b: {bricked: true}}}\n", `sim.units: no unit named "b"`},
		{"sim: {nvr: {poll: -1s}}\n", "must not be negative"},
		{"sim: {nvr: {poll: often}}\n", "often"},
		{"sim:\n  units:\n    a: {brickd: true}\n", `rig.yaml:7: sim.units.a: unknown key "brickd" (known: api_junk, bricked, `},
		{"sim:\n  nvrr: {poll: 1s}\n", `rig.yaml:6: sim: unknown key "nvrr"`},
	} {
		_, err := Start(context.Background(), miniRig(t, dir, tc.top, units))
		var rfe *RigFileError
		if !errors.As(err, &rfe) || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: %v, want a RigFileError containing %q", strings.TrimSpace(tc.top), err, tc.want)
		}
	}
}
