package main

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/camrig/camrig/harness/lab/labtest"
	"github.com/camrig/camrig/harness/rig"
)

// reserveAndRefuse reserves cam1 and shows every other command refused
// (naming the reserving holder) until the token is given, then released.
func reserveAndRefuse(t *testing.T, rigPath string) {
	t.Helper()
	t.Setenv(rig.ReservationEnv, "")
	stdout, _ := wantExit(t, exitOK, "reserve", "--rig", rigPath, "--unit", "cam1", "--for", "1h")
	token := strings.TrimSpace(stdout)
	if len(token) != 32 {
		t.Fatalf("reserve printed %q, want the token alone", stdout)
	}
	_, stderr := wantExit(t, exitBusy, "power", "on", "--rig", rigPath, "--unit", "cam1")
	if !strings.Contains(stderr, "reserved by pid") || strings.Contains(stderr, token) {
		t.Fatalf("refusal must name the holder and never the token:\n%s", stderr)
	}
	wantExit(t, exitBusy, "reserve", "--rig", rigPath, "--unit", "cam1")
	stdout, _ = wantExit(t, exitOK, "who", "--rig", rigPath)
	if !strings.Contains(stdout, "cam1") || !strings.Contains(stdout, "cam2") || !strings.Contains(stdout, " until ") {
		t.Fatalf("who must list both units and cam1's reservation:\n%s", stdout)
	}
	if strings.Contains(stdout, token) {
		t.Fatalf("who printed the token:\n%s", stdout)
	}
	t.Setenv(rig.ReservationEnv, token)
	wantExit(t, exitOK, "power", "off", "--rig", rigPath, "--unit", "cam1")
	t.Setenv(rig.ReservationEnv, "")
	wantExit(t, exitBusy, "release", "--rig", rigPath, "--unit", "cam1", "--token", strings.Repeat("0", 32))
	wantExit(t, exitOK, "release", "--rig", rigPath, "--unit", "cam1", "--token", token)
	wantExit(t, exitOK, "power", "off", "--rig", rigPath, "--unit", "cam1")
}

func TestReserveOnOneHost(t *testing.T) {
	rigPath, _ := execPowerRig(t)
	reserveAndRefuse(t, rigPath)
}

func TestReserveAndWhoInALab(t *testing.T) {
	c := labtest.Start(t, 3)
	rigPath, _ := execPowerRig(t)
	eps := `"` + strings.Join(c.Endpoints(), `", "`) + `"`
	lab := fmt.Sprintf("lab: {etcd: [%s], ttl: 2s, prefix: /cli/}\n", eps)
	rigPath = writeRig(t, lab, strings.SplitN(readFile(t, rigPath), "units:\n", 2)[1])
	reserveAndRefuse(t, rigPath)

	r, err := rig.Load(rigPath)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	l, err := r.Lease("cam1")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Release()
	stdout, _ := wantExit(t, exitOK, "who", "--rig", rigPath)
	var cam1 string
	for _, line := range strings.Split(stdout, "\n") {
		if strings.HasPrefix(line, "cam1") {
			cam1 = line
		}
	}
	if !strings.Contains(cam1, fmt.Sprintf("pid %d", l.Holder.PID)) || !strings.Contains(cam1, "not probed (in use)") ||
		strings.Count(cam1, "Z") < 2 {
		t.Fatalf("who must show cam1's holder, since and expiry:\n%s", stdout)
	}
	_, stderr := wantExit(t, exitBusy, "power", "on", "--rig", rigPath, "--unit", "cam1")
	if !strings.Contains(stderr, "etcd key /cli/test/units/cam1/holder") {
		t.Fatalf("busy must name the etcd key:\n%s", stderr)
	}
}

func TestWhoListsEveryUnitOfTheVirtualRig(t *testing.T) {
	path, _ := virtualRig(t, virtualCam1)
	stdout, _ := wantExit(t, exitOK, "who", "--rig", path)
	lines := strings.Split(strings.TrimSpace(stdout), "\n")
	if len(lines) != 2 || !strings.HasPrefix(lines[1], "cam1") || !strings.HasSuffix(lines[1], "yes") ||
		!strings.Contains(lines[1], "free") {
		t.Fatalf("who on the virtual rig:\n%s", stdout)
	}
}

func readFile(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// A remote unit of a lab: its UART served by ser2net (RFC 2217) as on a
// bench host, its lease in the lab's etcd. A runner elsewhere boots it and
// reads its boot log through ser2net, and who finds its console reachable.
func TestLabUnitConsoleOverSer2net(t *testing.T) {
	c := labtest.Start(t, 3)
	virtualRig(t, virtualCam1) // the bench: the simulated unit and its relay board
	stateDir := os.Getenv("CAMRIG_STATE_DIR")
	port := labtest.Ser2net(t, filepath.Join(stateDir, "cam1.uart"), 115200)
	remote := strings.Replace(virtualCam1, `"${state_dir}/cam1.uart"`, `"`+port+`"`, 1)
	lab := fmt.Sprintf("virtual: true\nlab: {etcd: [\"%s\"], ttl: 2s, prefix: /ser2net/}\n", strings.Join(c.Endpoints(), `", "`))
	labRig := writeRig(t, lab, remote)
	stdout, _ := wantExit(t, exitOK, "console", "--rig", labRig, "--unit", "cam1", "--cycle", "--expect", "blink: app ready")
	for _, want := range []string{"U-Boot 2013.07", "Starting kernel", "blink: app ready"} {
		if !strings.Contains(stdout, want) {
			t.Errorf("the boot log read through ser2net lacks %q:\n%s", want, stdout)
		}
	}
	stdout, _ = wantExit(t, exitOK, "who", "--rig", labRig)
	if !strings.Contains(stdout, "free") || !strings.HasSuffix(strings.TrimSpace(stdout), "yes") {
		t.Errorf("who: the unit is free and its ser2net console reachable:\n%s", stdout)
	}
}
