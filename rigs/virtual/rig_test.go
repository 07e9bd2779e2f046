package virtual

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/camrig/camrig/harness/notation"
	"github.com/camrig/camrig/rigs/virtual/unit"
	"golang.org/x/sys/unix"
)

const virtualRig = "../virtual.yaml"

// stateDir is a short temp dir (symlink paths stay readable in errors).
func stateDir(t *testing.T) string {
	t.Helper()
	d, err := os.MkdirTemp("", "camrig-sim-test-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(d) })
	return d
}

func start(t *testing.T, dir string, opts ...Option) *Rig {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	r, err := Start(ctx, RelocatedRig(t, dir, 0), append([]Option{WithStateDir(dir), WithTimescale(0.001)}, opts...)...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { r.Close() })
	return r
}

// tty opens a slave end as the harness does and reads with deadlines.
type tty struct {
	f   *os.File
	buf []byte
}

func openTTY(t *testing.T, path string) *tty {
	t.Helper()
	f, err := os.OpenFile(path, os.O_RDWR|unix.O_NOCTTY|unix.O_NONBLOCK, 0)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { f.Close() })
	return &tty{f: f}
}

func (c *tty) send(t *testing.T, s string) {
	t.Helper()
	if _, err := c.f.Write([]byte(s)); err != nil {
		t.Fatal(err)
	}
}

// expect reads until s arrives and drops everything up to its end.
func (c *tty) expect(t *testing.T, s string) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	b := make([]byte, 4096)
	for {
		if i := bytes.Index(c.buf, []byte(s)); i >= 0 {
			c.buf = c.buf[i+len(s):]
			return
		}
		c.f.SetReadDeadline(deadline)
		n, err := c.f.Read(b)
		c.buf = append(c.buf, b[:n]...)
		if err != nil {
			t.Fatalf("waiting for %q: %v; got %q", s, err, c.buf)
		}
	}
}

func TestStartWiresTheVirtualRig(t *testing.T) {
	dir := stateDir(t)
	r := start(t, dir)

	for _, name := range []string{"cam1", "cam2", "cam3", "nvr"} {
		fi, err := os.Stat(r.SecretPath(name))
		if err != nil {
			t.Fatal(err)
		}
		if fi.Mode().Perm() != 0o600 {
			t.Errorf("secret %s mode %v, want 0600", name, fi.Mode().Perm())
		}
		pw, err := r.Password(name)
		if err != nil || len(pw) != passwordLength {
			t.Errorf("password for %s: %d chars, %v", name, len(pw), err)
		}
	}
	for _, link := range []string{"cam1.uart", "cam2.uart", "cam3.uart", "relay-numato", "relay-lcus"} {
		target, err := os.Readlink(filepath.Join(dir, link))
		if err != nil || !strings.HasPrefix(target, "/dev/pts/") {
			t.Errorf("link %s -> %q, %v", link, target, err)
		}
	}
	if len(r.Units()) != 4 || r.Unit("cam2").Model() != "hikvision-ds2cd" || r.Unit("nope") != nil {
		t.Fatalf("units %v", r.Units())
	}
	for _, u := range r.Units() {
		if u.Powered() {
			t.Errorf("%s powered before its relay closed", u.Name())
		}
	}

	// cam3's power, button and LED are on the Numato board.
	numato := openTTY(t, filepath.Join(dir, "relay-numato"))
	cam3 := openTTY(t, filepath.Join(dir, "cam3.uart"))
	numato.send(t, "gpio read 2\r")
	numato.expect(t, "gpio read 2\n\r0\n\r>")
	numato.send(t, "relay on 4\r")
	numato.expect(t, "relay on 4\n\r>")
	cam3.expect(t, "U-Boot 2016.11")
	cam3.expect(t, "ipc: system ready\r\n")
	numato.send(t, "gpio read 2\r")
	numato.expect(t, "gpio read 2\n\r1\n\r>")

	// The solenoid channel moves cam3's button; the unit logs the edges.
	numato.send(t, "relay on 5\r")
	numato.expect(t, "relay on 5\n\r>")
	numato.send(t, "relay off 5\r")
	numato.expect(t, "relay off 5\n\r>")
	if e := r.Unit("cam3").ButtonEdges(); len(e) != 2 || !e[0].Pressed || e[1].Pressed || !e[0].Powered {
		t.Fatalf("cam3 button edges %+v", e)
	}

	// cam2's power is on the LCUS board.
	lcus := openTTY(t, filepath.Join(dir, "relay-lcus"))
	cam2 := openTTY(t, filepath.Join(dir, "cam2.uart"))
	lcus.send(t, "\xa0\x01\x01\xa2\xff")
	lcus.expect(t, "CH1:ON\r\n")
	cam2.expect(t, "U-Boot 1.3.4")
	cam2.expect(t, "Check dir /dav ok!")
	lcus.send(t, "\xa0\x01\x00\xa1\xff")
	lcus.expect(t, "CH1:OFF\r\n")
	if r.Unit("cam2").Powered() {
		t.Fatal("cam2 still powered after its LCUS channel opened")
	}

	var out bytes.Buffer
	r.Describe(&out)
	for _, want := range []string{"unit   cam1", "relay  numato", "relay 4 = cam3 power", "gpio 2 = cam3 led",
		"ch 1 = cam2 power", "api    cam1     http://127.", "ISAPI (blink)", "nvr    nvr      http://127.",
		"plug   tasmota", "relay 1 = cam1 power", "plug   shelly", "relay 0 = cam4 power"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("Describe lacks %q:\n%s", want, out.String())
		}
	}
}

func TestCloseRemovesWhatStartMade(t *testing.T) {
	dir := stateDir(t)
	r := start(t, dir)
	slaves := []string{r.ConsoleSlave("cam1"), r.ConsoleSlave("cam3")}
	pw1, _ := r.Password("cam1")
	if err := r.Close(); err != nil {
		t.Fatal(err)
	}
	for _, link := range []string{"cam1.uart", "cam2.uart", "cam3.uart", "relay-numato", "relay-lcus", lockName} {
		if _, err := os.Lstat(filepath.Join(dir, link)); !errors.Is(err, os.ErrNotExist) {
			t.Errorf("%s still there after Close (%v)", link, err)
		}
	}
	for _, s := range slaves {
		if _, err := os.Stat(s); !errors.Is(err, os.ErrNotExist) {
			t.Errorf("pty %s still there after Close (%v)", s, err)
		}
	}
	if err := r.Close(); err != nil {
		t.Fatalf("second Close: %v", err)
	}
	// State stays: the next run keeps the passwords.
	r2 := start(t, dir)
	if pw2, _ := r2.Password("cam1"); pw2 != pw1 {
		t.Fatal("cam1's password changed across restarts")
	}
}

func TestSecondSimulatorOnTheSameStateDirFails(t *testing.T) {
	dir := stateDir(t)
	start(t, dir)
	_, err := Start(context.Background(), virtualRig, WithStateDir(dir))
	if !errors.Is(err, ErrBusy) || !strings.Contains(err.Error(), dir) || !strings.Contains(err.Error(), "pid ") {
		t.Fatalf("second Start: %v", err)
	}
	// The failed start must not have touched the running rig's links.
	if _, err := os.Readlink(filepath.Join(dir, "cam1.uart")); err != nil {
		t.Fatalf("the running rig lost its link: %v", err)
	}
}

func TestStateDirFromEnvironment(t *testing.T) {
	dir := stateDir(t)
	t.Setenv(notation.StateDirEnv, dir)
	r, err := Start(context.Background(), RelocatedRig(t, dir, 0))
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	if r.StateDir() != dir || r.UnitFile("cam1").Console.Port != filepath.Join(dir, "cam1.uart") {
		t.Fatalf("state dir %s, console %s", r.StateDir(), r.UnitFile("cam1").Console.Port)
	}
	if r.UnitFile("cam1").API.PasswordFile != filepath.Join(dir, "secrets", "cam1") {
		t.Fatalf("password_file %s", r.UnitFile("cam1").API.PasswordFile)
	}
}

func TestHooksAndUnwiredDrivers(t *testing.T) {
	dir := stateDir(t)
	rigFile := filepath.Join(dir, "rig.yaml")
	profiles, _ := filepath.Abs("../../fixtures/profiles")
	yaml := `rig: plugs
timescale: 0.001
state_dir: ` + dir + `
profiles: ` + profiles + `
units:
  - name: a
    profile: blink
    console: {port: "${state_dir}/a.uart"}
    power: {driver: kmtronic, port: "${state_dir}/k", channel: 1}
    led: {driver: gpio, pin: GPIO17}
  - name: b
    profile: no-button
    console: {port: "${state_dir}/b.uart", baud: 9600}
  - name: c
    profile: blink
    console: {port: "${state_dir}/c.uart"}
    power: {driver: numato, port: "${state_dir}/n", channel: 12, active_low: true}
`
	if err := os.WriteFile(rigFile, []byte(yaml), 0o644); err != nil {
		t.Fatal(err)
	}
	var hooked, attached []string
	r, err := Start(context.Background(), rigFile,
		WithUnitHook(func(u *unit.Unit) error {
			if u.Powered() {
				t.Errorf("%s powered before its hook ran", u.Name())
			}
			hooked = append(hooked, u.Name())
			return nil
		}),
		WithAttach(func(r *Rig) error {
			attached = append(attached, r.Name())
			r.AddDevice(Device{Kind: "api", Name: "a", Where: "http://127.0.0.11:1"})
			return nil
		}))
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	if strings.Join(hooked, ",") != "a,b,c" || len(attached) != 1 {
		t.Fatalf("hooks %v, attach %v", hooked, attached)
	}
	uw := r.Unwired()
	if len(uw) != 2 || uw[0].Unit.Name() != "a" || uw[0].Role != "power" || uw[0].Binding.Driver != "kmtronic" || uw[1].Role != "led" {
		t.Fatalf("unwired %+v", uw)
	}
	if r.Unit("a").Powered() {
		t.Error("a (kmtronic power) powered without a board simulator")
	}
	if !r.Unit("b").Powered() {
		t.Error("b (no power binding) not powered")
	}
	if !r.Unit("c").Powered() {
		t.Error("c (active-low relay, relay off) not powered")
	}
	if n := r.Numato(filepath.Join(dir, "n")); n == nil || n.Config().Relays != 16 {
		t.Fatalf("numato board for channel 12: %+v", n)
	}
	notes := strings.Join(r.Notes(), "\n")
	if !strings.Contains(notes, `"kmtronic" is not simulated`) || !strings.Contains(notes, "b has no power binding") {
		t.Fatalf("notes:\n%s", notes)
	}
}

func TestRigFileErrors(t *testing.T) {
	base := `rig: r
state_dir: /tmp/x
units:
  - name: cam1
    profile: blink
    console: {port: /tmp/x/cam1}
    power: {driver: numato, port: /tmp/x/n, channel: 0}
`
	cases := []struct{ name, yaml, want string }{
		{"not yaml", "rig: [", "bad.yaml:"},
		{"wrong type", strings.Replace(base, "channel: 0", "channel: zero", 1), "bad.yaml: line 7"},
		{"timescale", base + "timescale: 2\n", "timescale 2 out of range"},
		{"duplicate unit", base + `  - name: cam1
    profile: blink
    console: {port: /tmp/x/cam9}
`, "bad.yaml:8: unit \"cam1\" again (first at line 4)"},
		{"console shared", base + `  - name: cam2
    profile: blink
    console: {port: /tmp/x/cam1}
`, "bad.yaml:8: unit \"cam2\": console.port /tmp/x/cam1 is also cam1's"},
		{"channel reused", base + `    press: {driver: numato, port: /tmp/x/n, channel: 0}
`, "bad.yaml:4: unit \"cam1\": press uses /tmp/x/n relay 0, already used by cam1 power"},
		{"port with two drivers", base + `    press: {driver: lcus, port: /tmp/x/n, channel: 1}
`, "port /tmp/x/n is a numato board, not lcus"},
		{"lcus channel 0", strings.Replace(base, "driver: numato, port: /tmp/x/n, channel: 0", "driver: lcus, port: /tmp/x/l, channel: 0", 1), "lcus channel 0 out of range"},
		{"reserved name", strings.Replace(base, "name: cam1", "name: nvr", 1), "unit name \"nvr\" is reserved"},
		{"path in name", strings.Replace(base, "name: cam1", "name: ../x", 1), "must not contain a path"},
		{"no console", strings.Replace(base, "console: {port: /tmp/x/cam1}", "console: {}", 1), "console.port is missing"},
		{"bad led pin", base + "    led: {driver: numato-gpio, port: /tmp/x/n, pin: x}\n", "numato-gpio pin \"x\""},
		{"no units", "rig: r\nstate_dir: /tmp/x\n", "no units"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := ParseRigFile("bad.yaml", []byte(tc.yaml), "")
			var rfe *RigFileError
			if !errors.As(err, &rfe) || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("error %v, want a RigFileError containing %q", err, tc.want)
			}
		})
	}
}

func TestUnknownProfileIsARigFileError(t *testing.T) {
	dir := stateDir(t)
	rigFile := filepath.Join(dir, "rig.yaml")
	profiles, _ := filepath.Abs("../../fixtures/profiles")
	os.WriteFile(rigFile, []byte("rig: r\nstate_dir: "+dir+"\nprofiles: "+profiles+"\nunits:\n  - name: a\n    profile: nosuch\n    console: {port: "+dir+"/a}\n"), 0o644)
	_, err := Start(context.Background(), rigFile)
	var rfe *RigFileError
	if !errors.As(err, &rfe) || rfe.Line != 5 || !strings.Contains(err.Error(), "nosuch.yaml") {
		t.Fatalf("Start with an unknown profile: %v", err)
	}
	if _, err := os.Lstat(filepath.Join(dir, lockName)); !errors.Is(err, os.ErrNotExist) {
		t.Fatal("a failed Start left its lock behind")
	}
}

func TestRunPrintsAndCleansUp(t *testing.T) {
	dir := stateDir(t)
	ctx, cancel := context.WithCancel(context.Background())
	var out syncBuffer
	done := make(chan error, 1)
	go func() { done <- Run(ctx, RelocatedRig(t, dir, 0), &out, WithStateDir(dir)) }()
	deadline := time.Now().Add(10 * time.Second)
	for !strings.Contains(out.String(), "running;") {
		if time.Now().After(deadline) {
			t.Fatalf("Run printed:\n%s", out.String())
		}
		time.Sleep(time.Millisecond)
	}
	cancel()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out.String(), "unit   cam3") || !strings.Contains(out.String(), "stopped;") {
		t.Fatalf("Run printed:\n%s", out.String())
	}
	if _, err := os.Lstat(filepath.Join(dir, "cam1.uart")); !errors.Is(err, os.ErrNotExist) {
		t.Fatal("Run left cam1.uart behind")
	}
}

// FuzzParseRigFile: arbitrary rig files never panic the simulator's
// reader, and what it accepts has a positive timescale and named units.
func FuzzParseRigFile(f *testing.F) {
	data, err := os.ReadFile(virtualRig)
	if err != nil {
		f.Fatal(err)
	}
	f.Add(data)
	f.Add([]byte("rig: r\nstate_dir: /x\nunits: [{name: a, profile: b, console: {port: /x/a}}]\n"))
	f.Add([]byte("rig: r\nstate_dir: /x\nunits: [{name: a, profile: b, console: {port: /x/a}, power: {password_file: x}}]\n" +
		"sim: {units: {a: {bricked: true}}, nvr: {poll: 1s}, qemu: [{unit: a, pflash: p, serial: s, qmp: q}]}\n"))
	f.Add([]byte("rig: r\nstate_dir: /x\nunits: [{name: a, profile: b, console: {port: /x/a}}]\n" +
		"sim: {units: {a: {defects: [never_boots, no_lockout]}}, nvr: {defects: [never_activates]}}\n"))
	f.Add([]byte("rig: r\nstate_dir: /x\nunits: [{name: a, profile: b, console: {port: /x/a}}]\n" +
		"sim: {units: {a: {defects: [{x: 1}]}}, nvr: {defects: 3}}\n"))
	f.Add([]byte("rig: r\nstate_dir: /x\nunits: [{name: a, profile: b, console: {port: /x/a}}]\n" +
		"sim: {units: {a: {uart_unplug_during_boot: {after: 3s, for: 2s}}}}\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		rf, err := ParseRigFile("fuzz.yaml", data, "/tmp/state")
		if err != nil {
			return
		}
		if rf.Timescale <= 0 || rf.Timescale > 1 || len(rf.Units) == 0 {
			t.Fatalf("accepted timescale %v with %d units", rf.Timescale, len(rf.Units))
		}
		names := map[string]bool{}
		for _, u := range rf.Units {
			if u.Name == "" || u.Console.Port == "" {
				t.Fatalf("accepted unit %+v", u)
			}
			names[u.Name] = true
		}
		for name := range rf.Sim.Units {
			if !names[name] {
				t.Fatalf("accepted sim.units.%s", name)
			}
		}
		if rf.Sim.NVR.Poll < 0 || rf.Sim.NVR.ActivateAfter < 0 {
			t.Fatalf("accepted negative pacing %+v", rf.Sim.NVR)
		}
		for _, su := range rf.Sim.Units {
			if p := su.UARTUnplug; p != nil && (p.After <= 0 || p.For <= 0) {
				t.Fatalf("accepted uart_unplug_during_boot %+v", *p)
			}
			for _, d := range su.Defects {
				if d.On != OnUnit {
					t.Fatalf("accepted %s as a unit defect", d.Name)
				}
			}
		}
		for _, d := range rf.Sim.NVR.Defects {
			if d.On != OnNVR {
				t.Fatalf("accepted %s as an NVR defect", d.Name)
			}
		}
	})
}
