package rig_test

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/camrig/camrig/harness/internal/bindcheck"
	"github.com/camrig/camrig/harness/internal/strictyaml"
	"github.com/camrig/camrig/harness/led"
	"github.com/camrig/camrig/harness/notation"
	"github.com/camrig/camrig/harness/power"
	"github.com/camrig/camrig/harness/rig"
)

// Secret values the tests put in the environment and in files; no error may
// ever contain them.
var (
	nvrSecret  = fmt.Sprintf("nvr-Secret-%06x", rand.IntN(1<<24))
	camSecret  = fmt.Sprintf("cam-Secret-%06x", rand.IntN(1<<24))
	fileSecret = fmt.Sprintf("file-Secret-%06x", rand.IntN(1<<24))
	literalPw  = fmt.Sprintf("literal-Pw-%06x", rand.IntN(1<<24))
)

// base is a valid rig; each error case edits it. Line numbers matter: the
// table below asserts them.
const base = `rig: bench
timescale: 1
state_dir: /tmp/camrig-test-state
profiles: PROFILES
nvr:
  api: http://127.0.0.1:18080
  user: admin
  password_env: CAMRIG_TEST_NVR_PW
units:
  - name: cam1
    profile: blink
    console: {port: "${state_dir}/cam1.uart", baud: 115200}
    power: {driver: numato, port: /dev/ttyACM0, channel: 0}
    press: {driver: numato, port: /dev/ttyACM0, channel: 1, max_hold: 60s}
    led: {driver: numato-gpio, port: /dev/ttyACM0, pin: 0}
    api: {url: http://127.0.0.11:18001, user: admin, password_env: CAMRIG_TEST_CAM_PW}
    nvr_port: 1
  - name: cam2
    profile: hikvision-ds2cd
    console: {port: /dev/ttyUSB1}
    power: {driver: lcus, port: /dev/ttyUSB2, channel: 1}
    press: {driver: numato, port: /dev/ttyACM0, channel: 3, max_hold: 45s}
    api: {url: https://127.0.0.12, user: admin, password_file: secrets/cam2}
    nvr_port: 2
sim:
  numato: {prompt: ">", echo: true}
`

func profilesDir(t testing.TB) string {
	dir, err := filepath.Abs("../../fixtures/profiles")
	if err != nil {
		t.Fatal(err)
	}
	return dir
}

// setup writes the rig text (with PROFILES filled in) to a temp dir with a
// secret file beside it, and sets the secret variables.
func setup(t *testing.T, text string) string {
	t.Helper()
	t.Setenv("CAMRIG_TEST_NVR_PW", nvrSecret)
	t.Setenv("CAMRIG_TEST_CAM_PW", camSecret)
	t.Setenv(notation.StateDirEnv, "")
	dir := t.TempDir()
	if err := os.MkdirAll(filepath.Join(dir, "secrets"), 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "secrets", "cam2"), []byte(fileSecret+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, "rig.yaml")
	text = strings.ReplaceAll(text, "PROFILES", profilesDir(t))
	if err := os.WriteFile(path, []byte(text), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

func TestLoadBase(t *testing.T) {
	path := setup(t, base)
	r, err := rig.Load(path)
	if err != nil {
		t.Fatal(err)
	}
	if r.Name != "bench" || r.Timescale != 1 || len(r.Units) != 2 || r.Virtual {
		t.Fatalf("rig = %+v", r)
	}
	u, ok := r.Unit("cam1")
	if !ok {
		t.Fatal("no cam1")
	}
	if u.Console.Port != "/tmp/camrig-test-state/cam1.uart" {
		t.Errorf("state_dir not expanded: %q", u.Console.Port)
	}
	if u.Console.DataBits != 8 || u.Console.Parity != "none" || u.Console.StopBits != 1 {
		t.Errorf("console defaults: %+v", u.Console)
	}
	if u.Line != 10 || u.NVRPort != 1 || u.Press.MaxHold.Seconds() != 60 || u.LED.Pin != "0" {
		t.Errorf("cam1 = %+v press %+v led %+v", u, u.Press, u.LED)
	}
	if v, err := u.API.Password.Value(); err != nil || v != camSecret {
		t.Errorf("cam1 api password: %v", err)
	}
	u2, _ := r.Unit("cam2")
	if want := filepath.Join(filepath.Dir(path), "secrets", "cam2"); u2.API.Password.File != want {
		t.Errorf("password_file = %q, want %q (relative to the rig file)", u2.API.Password.File, want)
	}
	if v, err := u2.API.Password.Value(); err != nil || v != fileSecret {
		t.Errorf("cam2 api password: %v", err)
	}
	if u2.Console.Baud != 115200 || u2.LED != nil || u2.Power.Driver != "lcus" {
		t.Errorf("cam2 = %+v", u2)
	}
	if p := r.Profile("cam2"); p == nil || p.Model != "hikvision-ds2cd" {
		t.Errorf("cam2 profile = %+v", p)
	}
	if r.Profile("nope") != nil {
		t.Error("profile of unknown unit")
	}
	if r.NVR == nil || r.NVR.API != "http://127.0.0.1:18080" || r.NVR.Password.Env != "CAMRIG_TEST_NVR_PW" {
		t.Errorf("nvr = %+v", r.NVR)
	}
	if r.ProfilesDir != profilesDir(t) || r.StateDir != "/tmp/camrig-test-state" {
		t.Errorf("dirs: profiles %q state %q", r.ProfilesDir, r.StateDir)
	}
	if !strings.HasSuffix(r.LockDir, filepath.Join("camrig", "bench")) && !strings.HasSuffix(r.LockDir, filepath.Join("camrig-locks", "bench")) {
		t.Errorf("lock dir %q is not per rig", r.LockDir)
	}
}

func TestStateDirEnvOverrides(t *testing.T) {
	path := setup(t, base)
	t.Setenv(notation.StateDirEnv, "/tmp/other-state")
	r, err := rig.Load(path)
	if err != nil {
		t.Fatal(err)
	}
	if u, _ := r.Unit("cam1"); u.Console.Port != "/tmp/other-state/cam1.uart" || r.StateDir != "/tmp/other-state" {
		t.Fatalf("port %q state %q", u.Console.Port, r.StateDir)
	}
}

func TestDefaultsWhenOmitted(t *testing.T) {
	// No timescale, profiles found beside the rigs directory by default.
	dir := t.TempDir()
	if err := os.MkdirAll(filepath.Join(dir, "rigs"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(filepath.Join(dir, "fixtures"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(profilesDir(t), filepath.Join(dir, "fixtures", "profiles")); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, "rigs", "min.yaml")
	text := "rig: min\nunits:\n  - name: u1\n    profile: no-button\n    console: {port: /dev/ttyS0}\n"
	if err := os.WriteFile(path, []byte(text), 0o600); err != nil {
		t.Fatal(err)
	}
	r, err := rig.Load(path)
	if err != nil {
		t.Fatal(err)
	}
	if r.Timescale != 1 || r.Profile("u1") == nil || r.NVR != nil {
		t.Fatalf("rig = %+v", r)
	}
}

func TestShippedRigsLoad(t *testing.T) {
	t.Setenv(notation.StateDirEnv, "")
	// rigs/lab-example.yaml takes its PoE switch's community from here.
	t.Setenv("CAMRIG_POE_COMMUNITY", "example")
	files, err := filepath.Glob("../../rigs/*.yaml")
	if err != nil || len(files) == 0 {
		t.Fatalf("no rig files: %v", err)
	}
	for _, f := range files {
		r, err := rig.Load(f)
		if err != nil {
			t.Errorf("%v", err)
			continue
		}
		for _, u := range r.Units {
			if r.Profile(u.Name) == nil {
				t.Errorf("%s: unit %s has no profile", f, u.Name)
			}
		}
	}
}

func TestShippedVirtualRigLoads(t *testing.T) {
	t.Setenv(notation.StateDirEnv, "")
	r, err := rig.Load("../../rigs/virtual.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if !r.Virtual || r.Timescale != 0.01 || len(r.Units) != 4 {
		t.Fatalf("rig = %+v", r)
	}
	models := map[string]string{"cam1": "blink", "cam2": "hikvision-ds2cd", "cam3": "generic-poe-ipc", "cam4": "no-button"}
	for unit, model := range models {
		u, ok := r.Unit(unit)
		if !ok || r.Profile(unit) == nil || r.Profile(unit).Model != model {
			t.Errorf("%s: %+v", unit, u)
			continue
		}
		paths := []string{u.Console.Port, u.API.Password.File}
		// Serial boards live in the state dir; plugs are URLs with a
		// password file there.
		for _, b := range []*power.Config{u.Power, u.Press} {
			switch {
			case b == nil:
			case b.Port != "":
				paths = append(paths, b.Port)
			case b.PasswordFile != "":
				paths = append(paths, b.PasswordFile)
			}
		}
		for _, s := range paths {
			if strings.Contains(s, "${") || !strings.HasPrefix(s, r.StateDir) {
				t.Errorf("%s: %q not under state_dir %q", unit, s, r.StateDir)
			}
		}
	}
}

type edit struct{ old, new string }

func TestLoadErrors(t *testing.T) {
	cases := []struct {
		name  string
		edits []edit
		line  int
		key   string // what the error must name
		msg   string
	}{
		{"unknown key", []edit{{"    nvr_port: 2", "    nvr_prot: 2"}}, 24, `"nvr_prot"`, "unknown key"},
		{"unknown nested key", []edit{{"channel: 0}", "chanel: 0}"}}, 13, `"chanel"`, "unknown key"},
		{"wrong type", []edit{{"timescale: 1", "timescale: fast"}}, 2, `"timescale"`, "want a number"},
		{"timescale rounds a duration below a microsecond", []edit{{"timescale: 1", "timescale: 0.0000001"}}, 2, "timescale",
			"under 1µs: want a timescale of at least"},
		{"wrong type inside {...} names its key", []edit{{"channel: 3, max_hold: 45s", "channel: three, max_hold: 45s"}}, 22, `key "channel"`, "want a whole number"},
		{"wrong type nvr_port", []edit{{"nvr_port: 2", "nvr_port: two"}}, 24, `"nvr_port"`, "whole number"},
		{"duplicate unit", []edit{{"- name: cam2", "- name: cam1"}}, 18, "units[1].name", "duplicate unit name \"cam1\" (first at line 10)"},
		{"bad unit name", []edit{{"- name: cam2", "- name: ../cam2"}}, 18, "units[1].name", "unit name"},
		{"bad rig name", []edit{{"rig: bench", "rig: a/b"}}, 1, "rig", "rig name"},
		{"unknown power driver", []edit{{"driver: lcus", "driver: lcuss"}}, 21, "units[1].power.driver", `unknown power driver "lcuss"`},
		{"unknown press driver", []edit{{"driver: numato, port: /dev/ttyACM0, channel: 3", "driver: numatoo, port: /dev/ttyACM0, channel: 3"}}, 22, "units[1].press.driver", `unknown press driver "numatoo"`},
		{"missing driver", []edit{{"driver: lcus, ", ""}}, 21, "units[1].power.driver", "driver is required"},
		{"unknown led driver", []edit{{"driver: numato-gpio", "driver: numato-gpo"}}, 15, "units[0].led.driver", `unknown led driver "numato-gpo"`},
		{"numato led pin", []edit{{"pin: 0", "pin: x"}}, 15, "units[0].led.pin", "GPIO index"},
		{"unknown profile", []edit{{"profile: blink", "profile: blnk"}}, 11, "units[0].profile", `unknown profile "blnk"`},
		{"missing profile", []edit{{"    profile: blink\n", "    console2: x\n"}}, 11, `"console2"`, "unknown key"},
		{"profile path", []edit{{"profile: blink", "profile: ../blink"}}, 11, "units[0].profile", "invalid"},
		{"missing env", []edit{{"CAMRIG_TEST_CAM_PW", "CAMRIG_TEST_UNSET_PW"}}, 16, "units[0].api.password_env", "environment variable CAMRIG_TEST_UNSET_PW is not set"},
		{"missing nvr env", []edit{{"CAMRIG_TEST_NVR_PW", "CAMRIG_TEST_UNSET_PW"}}, 8, "nvr.password_env", "is not set"},
		{"env name is a password", []edit{{"password_env: CAMRIG_TEST_NVR_PW", "password_env: " + literalPw + "!"}}, 8, "nvr.password_env", "not a valid environment variable name"},
		{"timescale zero", []edit{{"timescale: 1", "timescale: 0"}}, 2, "timescale", "out of range"},
		{"timescale above one", []edit{{"timescale: 1", "timescale: 1.5"}}, 2, "timescale", "out of range"},
		{"timescale negative", []edit{{"timescale: 1", "timescale: -0.1"}}, 2, "timescale", "out of range"},
		{"timescale nan", []edit{{"timescale: 1", "timescale: .nan"}}, 2, "timescale", "out of range"},
		{"duplicate nvr_port", []edit{{"nvr_port: 2", "nvr_port: 1"}}, 24, "units[1].nvr_port", "NVR port 1 is already used by unit cam1 (line 17)"},
		{"negative nvr_port", []edit{{"nvr_port: 2", "nvr_port: -2"}}, 24, "units[1].nvr_port", "want a port number"},
		{"nvr_port without nvr", []edit{{"nvr:\n  api: http://127.0.0.1:18080\n  user: admin\n  password_env: CAMRIG_TEST_NVR_PW\n", "#\n#\n#\n#\n"}}, 17, "units[0].nvr_port", "no nvr section"},
		{"api url scheme", []edit{{"http://127.0.0.11:18001", "ftp://127.0.0.11"}}, 16, "units[0].api.url", `scheme "ftp" not supported`},
		{"api url no host", []edit{{"http://127.0.0.11:18001", "http://"}}, 16, "units[0].api.url", "has no host"},
		{"api url bad port", []edit{{"http://127.0.0.11:18001", "http://127.0.0.11:99999"}}, 16, "units[0].api.url", "bad port"},
		{"nvr url not a url", []edit{{"api: http://127.0.0.1:18080", "api: 127.0.0.1:18080"}}, 6, "nvr.api", "not a valid URL"},
		{"nvr url missing", []edit{{"  api: http://127.0.0.1:18080\n", "  #\n"}}, 5, "nvr.api", "URL is required"},
		{"url with credentials", []edit{{"http://127.0.0.1:18080", "http://admin:" + literalPw + "@127.0.0.1:18080"}}, 6, "nvr.api", "credentials in the URL are refused"},
		{"nvr user missing", []edit{{"  user: admin\n", "  #\n"}}, 5, "nvr.user", "user is required"},
		{"baud typo", []edit{{"baud: 115200", "baud: 11520"}}, 12, "units[0].console.baud", "not a standard rate"},
		{"data bits", []edit{{"{port: /dev/ttyUSB1}", "{port: /dev/ttyUSB1, data_bits: 9}"}}, 20, "units[1].console.data_bits", "want 5, 6, 7 or 8"},
		{"parity", []edit{{"{port: /dev/ttyUSB1}", "{port: /dev/ttyUSB1, parity: n}"}}, 20, "units[1].console.parity", "want none, even"},
		{"stop bits", []edit{{"{port: /dev/ttyUSB1}", "{port: /dev/ttyUSB1, stop_bits: 3}"}}, 20, "units[1].console.stop_bits", "want 1 or 2"},
		{"console relative", []edit{{"{port: /dev/ttyUSB1}", "{port: ttyUSB1}"}}, 20, "units[1].console.port", "absolute device path"},
		{"console tcp no port", []edit{{"{port: /dev/ttyUSB1}", "{port: \"tcp://127.0.0.1\"}"}}, 20, "units[1].console.port", "want tcp://host:port"},
		{"console scheme", []edit{{"{port: /dev/ttyUSB1}", "{port: \"ssh://127.0.0.1:22\"}"}}, 20, "units[1].console.port", `scheme "ssh"`},
		{"console unix relative", []edit{{"{port: /dev/ttyUSB1}", "{port: \"unix://run/x\"}"}}, 20, "units[1].console.port", "unix:///absolute/path"},
		{"qemu without port", []edit{{"driver: lcus, port: /dev/ttyUSB2", "driver: qemu"}}, 21, "units[1].power", "needs port"},
		{"press on a PoE port", []edit{{"driver: numato, port: /dev/ttyACM0, channel: 3, max_hold: 45s", "driver: snmp-poe, url: \"udp://127.0.0.1:161\", community_env: CAMRIG_TEST_CAM_PW, channel: 3, max_hold: 45s"}}, 22, "units[1].press.driver", "the snmp-poe driver cannot drive a reset-button solenoid"},
		{"qemu off loopback", []edit{{"driver: lcus, port: /dev/ttyUSB2", "driver: qemu, port: \"tcp://10.0.0.5:4444\""}}, 21, "units[1].power.port", "host must be a loopback address"},
		{"qemu relative socket", []edit{{"driver: lcus, port: /dev/ttyUSB2", "driver: qemu, port: \"unix:run/qmp.sock\""}}, 21, "units[1].power.port", "want an absolute QMP socket path"},
		{"qemu rfc2217", []edit{{"driver: lcus, port: /dev/ttyUSB2", "driver: qemu, port: \"rfc2217://127.0.0.1:4000\""}}, 21, "units[1].power.port", `scheme "rfc2217" not supported`},
		{"console missing", []edit{{"    console: {port: /dev/ttyUSB1}\n", ""}}, 18, "units[1]", "needs a console"},
		{"console port missing", []edit{{"{port: /dev/ttyUSB1}", "{baud: 9600}"}}, 20, "units[1].console.port", "port is required"},
		{"literal nvr password", []edit{{"password_env: CAMRIG_TEST_NVR_PW", "password: " + literalPw}}, 8, "nvr.password", "use password_env"},
		{"literal api password", []edit{{"password_env: CAMRIG_TEST_CAM_PW", "password: " + literalPw}}, 16, "units[0].api.password", "use password_env"},
		{"literal power password", []edit{{"channel: 0}", "channel: 0, password: " + literalPw + "}"}}, 13, "units[0].power.password", "use password_env"},
		{"literal community", []edit{{"channel: 0}", "channel: 0, community: " + literalPw + "}"}}, 13, "units[0].power.community", "use community_env"},
		{"both env and file", []edit{{"password_file: secrets/cam2", "password_file: secrets/cam2, password_env: CAMRIG_TEST_CAM_PW"}}, 23, "units[1].api.password_env", "not both"},
		{"api without password", []edit{{", password_env: CAMRIG_TEST_CAM_PW", ""}}, 16, "units[0].api", "needs password_env or password_file"},
		{"api without user", []edit{{"user: admin, password_env: CAMRIG_TEST_CAM_PW", "password_env: CAMRIG_TEST_CAM_PW"}}, 16, "units[0].api.user", "user is required"},
		{"unknown variable", []edit{{"${state_dir}/cam1.uart", "${stat_dir}/cam1.uart"}}, 12, "port", "unknown variable ${stat_dir}"},
		{"state_dir unset", []edit{{"state_dir: /tmp/camrig-test-state\n", ""}}, 11, "port", "state_dir is not set"},
		{"state_dir with variable", []edit{{"state_dir: /tmp/camrig-test-state", "state_dir: ${state_dir}/x"}}, 3, "state_dir", "cannot use variables"},
		{"unquoted variable in flow", []edit{{`"${state_dir}/cam1.uart"`, `${state_dir}/cam1.uart`}}, 0, "", "must be quoted"},
		{"press without max_hold", []edit{{", max_hold: 45s", ""}}, 22, "units[1].press.max_hold", "positive max_hold"},
		{"max_hold below profile", []edit{{"max_hold: 60s", "max_hold: 20s"}}, 14, "units[0].press.max_hold", "shorter than profile blink's factory hold of 35s"},
		{"max_hold on power", []edit{{"channel: 0}", "channel: 0, max_hold: 5s}"}}, 13, "units[0].power.max_hold", "only applies to press"},
		{"relay wired twice", []edit{{"channel: 3, max_hold: 45s", "channel: 1, max_hold: 45s"}}, 22, "units[1].press", "numato:/dev/ttyACM0#1 (unit cam2 press) is already wired as numato:/dev/ttyACM0#1 (unit cam1 press) (line 14)"},
		{"power and press on one relay", []edit{{"channel: 1, max_hold: 60s", "channel: 0, max_hold: 60s"}}, 14, "units[0].press", "already wired"},
		{"led wired twice", []edit{{"    nvr_port: 2\n", "    led: {driver: numato-gpio, port: /dev/ttyACM0, pin: 0}\n"}}, 24, "units[1].led", "already wired"},
		{"negative channel", []edit{{"channel: 0}", "channel: -1}"}}, 13, "units[0].power.channel", "channel -1 out of range 0-31"},
		{"lcus channel 9", []edit{{"driver: lcus, port: /dev/ttyUSB2, channel: 1", "driver: lcus, port: /dev/ttyUSB2, channel: 9"}}, 21, "units[1].power.channel", "channel 9 out of range 1-8"},
		{"numato channel 32", []edit{{"channel: 3, max_hold: 45s", "channel: 32, max_hold: 45s"}}, 22, "units[1].press.channel", "channel 32 out of range 0-31"},
		{"kmtronic channel 0", []edit{{"driver: lcus, port: /dev/ttyUSB2, channel: 1", "driver: kmtronic, port: /dev/ttyUSB2, channel: 0"}}, 21, "units[1].power.channel", "channel 0 out of range 1-254"},
		{"numato led pin 32", []edit{{"pin: 0}", "pin: 32}"}}, 15, "units[0].led.pin", "GPIO index (0-31)"},
		{"tasmota channel", []edit{{"driver: lcus, port: /dev/ttyUSB2, channel: 1", "driver: tasmota, url: \"http://127.0.0.1:8080\", channel: 33"}}, 21, "units[1].power.channel", "channel 33 out of range 0-32"},
		{"shelly channel", []edit{{"driver: lcus, port: /dev/ttyUSB2, channel: 1", "driver: shelly, url: \"http://127.0.0.1:8080\", channel: 16"}}, 21, "units[1].power.channel", "channel 16 out of range 0-15"},
		{"tasmota url query", []edit{{"driver: lcus, port: /dev/ttyUSB2", "driver: tasmota, url: \"http://127.0.0.1/?cmnd=x\""}}, 21, "units[1].power.url", "without query"},
		// Tasmota's own documented form: refused, keys named, never printed.
		{"tasmota credentials in query", []edit{{"driver: lcus, port: /dev/ttyUSB2", "driver: tasmota, url: \"http://127.0.0.1/cm?user=admin&password=" + literalPw + "\""}},
			21, "units[1].power.url", "credentials in its query (user=..., password=...)"},
		{"api credentials in query", []edit{{"url: https://127.0.0.12", "url: \"https://127.0.0.12/?pwd=" + literalPw + "\""}}, 23, "units[1].api.url", "credentials in its query (pwd=...)"},
		{"nvr credentials in fragment", []edit{{"api: http://127.0.0.1:18080", "api: \"http://127.0.0.1:18080/#Password=" + literalPw + "\""}}, 6, "nvr.api", "credentials in its query (Password=...)"},
		{"plug retries", []edit{{"driver: lcus, port: /dev/ttyUSB2", "driver: tasmota, url: \"http://127.0.0.1\", retries: 11"}}, 21, "units[1].power.retries", "retries 11 out of range"},
		{"snmp port 0", []edit{{"driver: lcus, port: /dev/ttyUSB2, channel: 1", "driver: snmp-poe, community_env: CAMRIG_TEST_CAM_PW, url: \"udp://127.0.0.1:161\", channel: 0"}}, 21, "units[1].power.channel", "channel (port) 0"},
		{"virtual with routable plug", []edit{{"timescale: 1", "virtual: true"}, {"driver: lcus, port: /dev/ttyUSB2", "driver: tasmota, url: \"http://192.168.1.50\""}}, 21, "units[1].power.url", `host "192.168.1.50" is not a loopback address`},
		{"relative relay port", []edit{{"port: /dev/ttyUSB2", "port: ttyUSB2"}}, 21, "units[1].power.port", "absolute device path"},
		{"exec without commands", []edit{{"driver: lcus, port: /dev/ttyUSB2", "driver: exec"}}, 21, "units[1].power", "needs on and off"},
		{"snmp without community", []edit{{"driver: lcus, port: /dev/ttyUSB2", "driver: snmp-poe, url: \"udp://127.0.0.1:161\""}}, 21, "units[1].power", "needs community_env"},
		{"snmp url scheme", []edit{{"driver: lcus, port: /dev/ttyUSB2", "driver: snmp-poe, community_env: CAMRIG_TEST_CAM_PW, url: \"http://127.0.0.1\""}}, 21, "units[1].power.url", "want udp"},
		{"tasmota without url", []edit{{"driver: lcus, port: /dev/ttyUSB2", "driver: tasmota"}}, 21, "units[1].power.url", "url is required"},
		{"gpio without pin", []edit{{"driver: lcus, port: /dev/ttyUSB2", "driver: gpio"}}, 21, "units[1].power.pin", "needs pin"},
		{"virtual with routable api", []edit{{"timescale: 1", "virtual: true"}, {"https://127.0.0.12", "https://192.168.1.64"}}, 23, "units[1].api.url", `host "192.168.1.64" is not a loopback address`},
		{"virtual with routable console", []edit{{"timescale: 1", "virtual: true"}, {"{port: /dev/ttyUSB1}", "{port: \"rfc2217://10.0.0.5:2217\"}"}}, 20, "units[1].console.port", "not a loopback"},
		{"profiles dir missing", []edit{{"profiles: PROFILES", "profiles: /nonexistent/profiles"}}, 4, "profiles", "profiles directory /nonexistent/profiles"},
		{"no units", []edit{{"units:\n", "units: []\nold_units:\n"}}, 10, `"old_units"`, "unknown key"},
		{"poll negative", []edit{{"pin: 0}", "pin: 0, poll: -1s}"}}, 15, "units[0].led.poll", "positive interval"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			text := base
			for _, e := range c.edits {
				if !strings.Contains(text, e.old) {
					t.Fatalf("edit %q does not apply", e.old)
				}
				text = strings.Replace(text, e.old, e.new, 1)
			}
			path := setup(t, text)
			_, err := rig.Load(path)
			if err == nil {
				t.Fatal("loaded without error")
			}
			assertNamed(t, err, path, c.line, c.key, c.msg)
			assertNoSecrets(t, err.Error())
		})
	}
}

// assertNamed wants one line of err that is path:line: naming key and
// saying msg.
func assertNamed(t *testing.T, err error, path string, line int, key, msg string) {
	t.Helper()
	prefix := path + ":"
	if line > 0 {
		prefix = path + ":" + itoa(line) + ": "
	}
	for _, l := range strings.Split(err.Error(), "\n") {
		if strings.HasPrefix(l, prefix) && strings.Contains(l, key) && strings.Contains(l, msg) {
			return
		}
	}
	t.Fatalf("no error line %q...%q...%q in:\n%v", prefix, key, msg, err)
}

func itoa(n int) string { return strconv.Itoa(n) }

func assertNoSecrets(t *testing.T, s string) {
	t.Helper()
	for _, secret := range []string{nvrSecret, camSecret, fileSecret, literalPw} {
		if strings.Contains(s, secret) {
			t.Fatalf("error leaks a secret (%q):\n%s", secret, s)
		}
	}
}

func TestAllProblemsAtOnce(t *testing.T) {
	text := strings.NewReplacer(
		"timescale: 1", "timescale: 2",
		"driver: lcus", "driver: lcuss",
		"baud: 115200", "baud: 11520",
		"nvr_port: 2", "nvr_port: 1",
	).Replace(base)
	path := setup(t, text)
	_, err := rig.Load(path)
	var errs strictyaml.Errors
	if !errors.As(err, &errs) {
		t.Fatalf("err = %T %v, want strictyaml.Errors", err, err)
	}
	lines := map[int]bool{}
	for _, e := range errs {
		if e.File != path {
			t.Errorf("error names %q, want %q", e.File, path)
		}
		lines[e.Line] = true
	}
	for _, l := range []int{2, 12, 21, 24} {
		if !lines[l] {
			t.Errorf("no error at line %d in:\n%v", l, err)
		}
	}
}

// Every binding error a driver knows is reported by Load, each at its own
// line, together with the rest.
func TestAllDriverProblemsAtOnce(t *testing.T) {
	text := strings.NewReplacer(
		"driver: numato, port: /dev/ttyACM0, channel: 0}", "driver: numato, port: ttyACM0, channel: 40}",
		"pin: 0}", "pin: 99}",
		"driver: lcus, port: /dev/ttyUSB2, channel: 1", "driver: lcus, port: /dev/ttyUSB2, channel: 9",
	).Replace(base)
	path := setup(t, text)
	_, err := rig.Load(path)
	for _, want := range []struct {
		line     int
		key, msg string
	}{
		{13, "units[0].power.port", "absolute device path"},
		{13, "units[0].power.channel", "channel 40 out of range 0-31"},
		{15, "units[0].led.pin", "GPIO index"},
		{21, "units[1].power.channel", "channel 9 out of range 1-8"},
	} {
		assertNamed(t, err, path, want.line, want.key, want.msg)
	}
}

// The smallest timescale load accepts keeps every profile duration at 1 µs
// or more; the one just below it is refused.
func TestTimescaleFloor(t *testing.T) {
	path := setup(t, base)
	r, err := rig.Load(path)
	if err != nil {
		t.Fatal(err)
	}
	shortest := time.Duration(0)
	for _, u := range r.Units {
		for _, nd := range r.Profile(u.Name).Durations() {
			if shortest == 0 || nd.D < shortest {
				shortest = nd.D
			}
		}
	}
	floor := float64(2*time.Microsecond) / float64(shortest)
	for _, tt := range []struct {
		scale float64
		ok    bool
	}{{floor, true}, {floor / 4, false}} {
		text := strings.Replace(base, "timescale: 1", fmt.Sprintf("timescale: %g", tt.scale), 1)
		_, err := rig.Load(setup(t, text))
		if (err == nil) != tt.ok {
			t.Errorf("timescale %g (shortest duration %v): err = %v, want ok=%v", tt.scale, shortest, err, tt.ok)
		}
	}
}

// A rig file path naming a FIFO, a device or a directory is refused at
// once, without reading: os.ReadFile on a FIFO with no writer never
// returns, on /dev/zero it fills memory.
func TestLoadRefusesNonRegularFiles(t *testing.T) {
	fifo := filepath.Join(t.TempDir(), "rig.yaml")
	if err := syscall.Mkfifo(fifo, 0o600); err != nil {
		t.Fatal(err)
	}
	big := setup(t, base+"#"+strings.Repeat("x", strictyaml.MaxSize)+"\n")
	for _, tt := range []struct{ path, want string }{
		{fifo, "not a regular file (a named pipe (FIFO))"},
		{"/dev/zero", "not a regular file (a character device)"},
		{t.TempDir(), "not a regular file (a directory)"},
		{big, "file too large"},
	} {
		done := make(chan error, 1)
		go func() { _, err := rig.Load(tt.path); done <- err }()
		select {
		case err := <-done:
			if err == nil || !strings.Contains(err.Error(), tt.path) || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("Load(%s) = %v, want %q", tt.path, err, tt.want)
			}
		case <-time.After(10 * time.Second):
			t.Fatalf("Load(%s) blocked", tt.path)
		}
	}
}

func TestMissingFile(t *testing.T) {
	_, err := rig.Load("/nonexistent/rig.yaml")
	if err == nil || !strings.Contains(err.Error(), "/nonexistent/rig.yaml") {
		t.Fatalf("err = %v", err)
	}
}

func FuzzLoad(f *testing.F) {
	f.Add([]byte(strings.ReplaceAll(base, "PROFILES", "../../fixtures/profiles")))
	if b, err := os.ReadFile("../../rigs/virtual.yaml"); err == nil {
		f.Add(b)
	}
	f.Add([]byte("rig: x\nunits: [{name: a, profile: blink, console: {port: /dev/x}}]\n"))
	f.Add([]byte("units:\n  - {name: a, power: {driver: exec}}\n  - {name: a}\nsim: [*x]\n"))
	f.Add([]byte("rig: ${x}\nstate_dir: ${state_dir}\n"))
	if b, err := os.ReadFile("../../rigs/lab-example.yaml"); err == nil {
		f.Add(b)
	}
	f.Add([]byte("rig: l\nlab: {etcd: [http://127.0.0.1:2379], ttl: 2s, prefix: /p, user: u, password_file: f, cert_file: c}\nunits: [{name: a, profile: blink, console: {port: /dev/x}}]\n"))
	profiles := profilesDir(f)
	f.Fuzz(func(t *testing.T, data []byte) {
		// The file sits in the profiles directory's parent's sibling, so
		// the default profiles path resolves like a repository checkout.
		file := filepath.Join(filepath.Dir(profiles), "..", "rigs", "fuzz.yaml")
		r, err := rig.Parse(file, data)
		if err == nil {
			if r == nil || r.Name == "" || len(r.Units) == 0 {
				t.Fatalf("accepted an incomplete rig: %+v", r)
			}
			return
		}
		if !strings.HasPrefix(err.Error(), file) {
			t.Fatalf("error does not name the file: %v", err)
		}
	})
}

// loadTest drivers record what Load does with their bindings. They are
// registered once per process (the registry refuses a second registration,
// and -count=N runs the test N times).
var (
	loadTestOnce    sync.Once
	loadTestMu      sync.Mutex
	loadTestChecked []string
	loadTestOpened  []string
)

func registerLoadTestDrivers() {
	note := func(list *[]string, what string) {
		loadTestMu.Lock()
		defer loadTestMu.Unlock()
		*list = append(*list, what)
	}
	loadTestOnce.Do(func() {
		power.Register(power.Driver{
			Name: "load-test-relay",
			Open: func(_ context.Context, cfg power.Config, _ power.Deps) (power.Switch, error) {
				note(&loadTestOpened, fmt.Sprintf("power#%d", cfg.Channel))
				return nil, errors.New("must not be opened")
			},
			Check: func(cfg power.Config, _ bindcheck.Scope) bindcheck.Problems {
				note(&loadTestChecked, fmt.Sprintf("power#%d", cfg.Channel))
				if cfg.Channel > 3 {
					return bindcheck.Problems{{Key: "channel", Msg: "load-test-relay has 4 channels"}}
				}
				return nil
			},
		})
		led.Register(led.Driver{
			Name: "load-test-led",
			Open: func(_ context.Context, cfg led.Config, _ led.Options) (*led.Sensor, error) {
				note(&loadTestOpened, "led "+cfg.Pin)
				return nil, errors.New("must not be opened")
			},
			Check: func(cfg led.Config) bindcheck.Problems {
				note(&loadTestChecked, "led "+cfg.Pin)
				return nil
			},
		})
	})
	loadTestMu.Lock()
	loadTestChecked, loadTestOpened = nil, nil
	loadTestMu.Unlock()
}

// Loading a rig file runs every binding's registered Check, reports what
// it finds at file:line, and never calls an Open: a rig file must load on a
// laptop with no bench attached, and loading one must not move a relay.
func TestLoadChecksBindingsAndOpensNothing(t *testing.T) {
	registerLoadTestDrivers()
	text := strings.NewReplacer(
		"power: {driver: numato, port: /dev/ttyACM0, channel: 0}", "power: {driver: load-test-relay, channel: 2}",
		"led: {driver: numato-gpio, port: /dev/ttyACM0, pin: 0}", "led: {driver: load-test-led, pin: x}",
		"driver: lcus, port: /dev/ttyUSB2, channel: 1", "driver: load-test-relay, channel: 7",
	).Replace(base)
	path := setup(t, text)
	_, err := rig.Load(path)
	assertNamed(t, err, path, 21, "units[1].power.channel", "load-test-relay has 4 channels")
	loadTestMu.Lock()
	defer loadTestMu.Unlock()
	if want := []string{"power#2", "led x", "power#7"}; !slices.Equal(loadTestChecked, want) {
		t.Errorf("checked %v, want %v", loadTestChecked, want)
	}
	if len(loadTestOpened) > 0 {
		t.Errorf("rig.Load opened %v", loadTestOpened)
	}
}

// One relay channel reached through two spellings of its board (a doubled
// slash, a symlink such as /dev/serial/by-id/..., ..) or one plug through
// two spellings of its URL (case, a trailing slash, the default port) is
// refused at load like two identical bindings; distinct channels and
// distinct devices still load.
func TestOneRelayUnderTwoSpellingsIsRefused(t *testing.T) {
	dir := t.TempDir()
	tty := filepath.Join(dir, "ttyACM0")
	if err := os.WriteFile(tty, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	byID := filepath.Join(dir, "by-id")
	os.Mkdir(byID, 0o755)
	alias := filepath.Join(byID, "usb-Numato_Lab_8_Channel_USB_Relay_Module-if00")
	if err := os.Symlink(tty, alias); err != nil {
		t.Fatal(err)
	}
	serial := func(a, b string, chB int) []edit {
		return []edit{
			{"power: {driver: numato, port: /dev/ttyACM0, channel: 0}", "power: {driver: numato, port: " + a + ", channel: 0}"},
			{"power: {driver: lcus, port: /dev/ttyUSB2, channel: 1}", fmt.Sprintf("power: {driver: numato, port: %s, channel: %d}", b, chB)},
		}
	}
	plug := func(a, b string) []edit {
		return []edit{
			{"power: {driver: numato, port: /dev/ttyACM0, channel: 0}", "power: {driver: tasmota, url: \"" + a + "\", channel: 1}"},
			{"power: {driver: lcus, port: /dev/ttyUSB2, channel: 1}", "power: {driver: tasmota, url: \"" + b + "\", channel: 1}"},
		}
	}
	for _, tt := range []struct {
		name  string
		edits []edit
		dup   bool
	}{
		{"doubled slash", serial("/dev/ttyACM7", "/dev//ttyACM7", 0), true},
		{"dot-dot", serial("/dev/ttyACM7", "/dev/serial/../ttyACM7", 0), true},
		{"by-id symlink", serial(tty, alias, 0), true},
		{"by-id symlink, other channel", serial(tty, alias, 2), false},
		{"other board", serial("/dev/ttyACM7", "/dev/ttyACM8", 0), false},
		{"plug trailing slash", plug("http://127.0.0.1:18002", "http://127.0.0.1:18002/"), true},
		{"plug scheme case, another host name", plug("http://127.0.0.1:18002", "HTTP://LOCALHOST:18002"), false},
		{"plug host case", plug("http://plug-a.lab:18002", "http://PLUG-A.lab:18002/"), true},
		{"plug default port", plug("http://plug-a.lab", "http://plug-a.lab:80"), true},
		{"plug other host", plug("http://plug-a.lab", "http://plug-b.lab"), false},
	} {
		t.Run(tt.name, func(t *testing.T) {
			text := base
			for _, e := range tt.edits {
				if !strings.Contains(text, e.old) {
					t.Fatalf("edit %q does not apply", e.old)
				}
				text = strings.Replace(text, e.old, e.new, 1)
			}
			path := setup(t, text)
			_, err := rig.Load(path)
			if !tt.dup {
				if err != nil && strings.Contains(err.Error(), "already wired") {
					t.Fatalf("distinct lines refused: %v", err)
				}
				return
			}
			assertNamed(t, err, path, 21, "units[1].power", "is already wired as")
		})
	}
}
