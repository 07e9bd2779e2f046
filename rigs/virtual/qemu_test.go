package virtual

import (
	"bufio"
	"context"
	"errors"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/camrig/camrig/rigs/virtual/qemusim"
)

const qemuRig = "../qemu-uboot.yaml"

func TestShippedQEMURigFile(t *testing.T) {
	rf, err := LoadRigFile(qemuRig, "/s")
	if err != nil {
		t.Fatal(err)
	}
	if len(rf.Sim.QEMU) != 1 {
		t.Fatalf("sim.qemu = %+v", rf.Sim.QEMU)
	}
	q := rf.Sim.QEMU[0]
	if q.Unit != "uboot1" || q.Serial != "/s/uboot1.uart" || q.QMP != "/s/uboot1.qmp" || q.PFlash != "/s/uboot1.pflash" || q.Line == 0 {
		t.Fatalf("sim.qemu[0] = %+v (${state_dir} must be expanded)", q)
	}
	if _, err := Start(context.Background(), qemuRig, WithStateDir(t.TempDir())); err == nil || !strings.Contains(err.Error(), "start it with Run") {
		t.Fatalf("Start on a QEMU rig: %v", err)
	}
}

func TestQEMUSectionErrors(t *testing.T) {
	base := `rig: q
state_dir: /s
units:
  - name: u1
    profile: qemu-arm-virt
    console: {port: "unix://${state_dir}/u1.uart"}
    power: {driver: qemu, port: "unix:${state_dir}/u1.qmp"}
sim:
  qemu:
    - unit: u1
      pflash: ${state_dir}/u1.pflash
      serial: ${state_dir}/u1.uart
      qmp: ${state_dir}/u1.qmp
`
	if _, err := ParseRigFile("q.yaml", []byte(base), "/s"); err != nil {
		t.Fatalf("the base rig: %v", err)
	}
	for _, tc := range []struct{ name, from, to, want string }{
		{"unknown key", "      qmp:", "      seriall: x\n      qmp:", `q.yaml:13: sim.qemu[0]: unknown key "seriall"`},
		{"no unit", "    - unit: u1\n", "    - \n", "q.yaml:11: sim.qemu[0]: unit is required"},
		{"missing path", "      pflash: ${state_dir}/u1.pflash\n", "", `q.yaml:10: sim.qemu[0]: unit "u1" needs pflash, serial and qmp paths`},
		{"unknown unit", "    - unit: u1\n", "    - unit: u2\n", `q.yaml:10: sim.qemu[0]: no unit named "u2"`},
		{"listed twice", "sim:\n  qemu:\n", "sim:\n  qemu:\n    - {unit: u1, pflash: a, serial: b, qmp: c}\n", `q.yaml:11: sim.qemu[1]: unit "u1" listed twice`},
		{"console elsewhere", `console: {port: "unix://${state_dir}/u1.uart"}`, `console: {port: "unix:///elsewhere"}`, `unit "u1"'s console.port is "unix:///elsewhere", but its QEMU serves the console at unix:///s/u1.uart`},
		{"power elsewhere", `port: "unix:${state_dir}/u1.qmp"`, `port: "/elsewhere"`, `unit "u1"'s power port is "/elsewhere", but its QEMU listens for QMP at unix:///s/u1.qmp`},
		{"unknown variable", "      pflash: ${state_dir}/u1.pflash", "      pflash: ${statedir}/u1.pflash", `q.yaml:10: sim.qemu[0]: "${statedir}/u1.pflash": only ${state_dir} expands`},
		{"bad timeout", "      qmp: ${state_dir}/u1.qmp\n", "      qmp: ${state_dir}/u1.qmp\n      start_timeout: soon\n", "line 14"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			src := strings.Replace(base, tc.from, tc.to, 1)
			if src == base {
				t.Fatal("the edit did not apply")
			}
			_, err := ParseRigFile("q.yaml", []byte(src), "/s")
			var rfe *RigFileError
			if !errors.As(err, &rfe) || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("err = %v, want a RigFileError containing %q", err, tc.want)
			}
		})
	}
}

// Run on a QEMU rig starts real U-Boot powered off with its console and
// QMP sockets where the rig file says, holds the state lock, and on
// cancel stops QEMU and removes the sockets and the lock.
func TestRunQEMURig(t *testing.T) {
	if _, err := exec.LookPath(qemusim.DefaultBinary); err != nil {
		t.Skipf("skipping: %s not installed (Debian package qemu-system-arm; run `make deps`)", qemusim.DefaultBinary)
	}
	if _, err := os.Stat(qemusim.DefaultBIOS); err != nil {
		t.Skipf("skipping: %s missing (Debian package u-boot-qemu; run `make deps`)", qemusim.DefaultBIOS)
	}
	dir := stateDir(t)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var out syncBuffer
	done := make(chan error, 1)
	go func() { done <- Run(ctx, qemuRig, &out, WithStateDir(dir)) }()
	deadline := time.Now().Add(30 * time.Second)
	for !strings.Contains(out.String(), "running;") {
		select {
		case err := <-done:
			t.Fatalf("Run ended early: %v\n%s", err, out.String())
		default:
		}
		if time.Now().After(deadline) {
			t.Fatalf("Run printed:\n%s", out.String())
		}
		time.Sleep(time.Millisecond)
	}
	if !strings.Contains(out.String(), "unit   uboot1   console unix://"+filepath.Join(dir, "uboot1.uart")) {
		t.Errorf("Run printed:\n%s", out.String())
	}
	if _, err := Start(context.Background(), RelocatedRig(t, t.TempDir(), 0), WithStateDir(dir)); !errors.Is(err, ErrBusy) {
		t.Errorf("a second simulator on the QEMU rig's state dir: %v, want ErrBusy", err)
	}
	qmp, err := net.Dial("unix", filepath.Join(dir, "uboot1.qmp"))
	if err != nil {
		t.Fatal(err)
	}
	qmp.SetReadDeadline(time.Now().Add(10 * time.Second))
	if line, err := bufio.NewReader(qmp).ReadString('\n'); err != nil || !strings.Contains(line, `"QMP"`) {
		t.Fatalf("QMP socket said %q (%v)", line, err)
	}
	qmp.Close()
	cancel()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out.String(), "stopped;") {
		t.Fatalf("Run printed:\n%s", out.String())
	}
	for _, name := range []string{"uboot1.uart", "uboot1.qmp", lockName} {
		if _, err := os.Lstat(filepath.Join(dir, name)); !errors.Is(err, os.ErrNotExist) {
			t.Errorf("Run left %s behind (%v)", name, err)
		}
	}
	if st, err := os.Stat(filepath.Join(dir, "uboot1.pflash")); err != nil || st.Size() != qemusim.PFlashSize {
		t.Errorf("the pflash file did not stay: %v", err)
	}
}
