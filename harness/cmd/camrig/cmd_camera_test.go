package main

import (
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/camrig/camrig/harness/rig"
	"github.com/camrig/camrig/rigs/virtual/isapisim"
	"github.com/camrig/camrig/rigs/virtual/isapisim/simtest"
)

// writeSecret writes a password file the way the virtual rig does.
func writeSecret(t *testing.T, dir, name, password string) string {
	t.Helper()
	path := filepath.Join(dir, name)
	if err := os.WriteFile(path, []byte(password+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

// cameraRig runs a virtual unit's ISAPI server (isapisim, powered and
// inactive) on its own loopback address and writes a rig whose cam1 api
// binding points at it with password.
func cameraRig(t *testing.T, ip, password string) (rigPath string, cam *simtest.Camera) {
	t.Helper()
	cam = simtest.NewCamera(t, "cam1", ip, isapisim.Config{
		Model: "DS-2CD2143G2", NotActivatedStatus: 401, LockoutAttempts: 7, LockoutDuration: 30 * time.Minute,
	})
	pw := writeSecret(t, t.TempDir(), "cam1", password)
	units := fmt.Sprintf(`  - name: cam1
    profile: hikvision-ds2cd
    console: {port: /dev/camrig-test-no-console}
    api: {url: "%s", user: admin, password_file: %s}
  - name: cam2
    profile: blink
    console: {port: /dev/camrig-test-no-console2}
`, cam.URL, pw)
	return writeRig(t, "", units), cam
}

func TestCameraStatusActivateInfoAgainstVirtualUnitAPI(t *testing.T) {
	const pw = "Adm1nPassw0rd"
	rigPath, _ := cameraRig(t, "127.0.0.61", pw)
	cmd := func(action string) []string { return []string{"camera", action, "--rig", rigPath, "--unit", "cam1"} }

	stdout, _ := wantExit(t, exitOK, cmd("status")...)
	if stdout != "cam1: uninitialized (Activated=false)\n" {
		t.Fatalf("status of a factory-fresh unit: %q", stdout)
	}
	_, stderr := wantExit(t, exitFailed, cmd("info")...)
	if !strings.Contains(stderr, "camrig camera activate") {
		t.Errorf("info on an inactive unit should say to activate it:\n%s", stderr)
	}
	stdout, _ = wantExit(t, exitOK, cmd("activate")...)
	if !strings.Contains(stdout, "cam1: activated (user admin, password from file ") {
		t.Errorf("activate printed %q", stdout)
	}
	stdout, _ = wantExit(t, exitOK, cmd("status")...)
	if stdout != "cam1: activated (Activated=true)\n" {
		t.Fatalf("status after activation: %q", stdout)
	}
	stdout, _ = wantExit(t, exitOK, cmd("activate")...)
	if !strings.Contains(stdout, "already activated; nothing sent") {
		t.Errorf("second activate printed %q", stdout)
	}
	stdout, stderr = wantExit(t, exitOK, cmd("info")...)
	for _, want := range []string{"deviceName", isapisim.DefaultDeviceName, "DS-2CD2143G2"} {
		if !strings.Contains(stdout, want) {
			t.Errorf("info does not show %q:\n%s", want, stdout)
		}
	}
	if strings.Contains(stdout+stderr, pw) {
		t.Fatal("the password reached the output")
	}
}

func TestCameraActivateRefusesARuleBreakingPasswordBeforeSending(t *testing.T) {
	const weak = "admin123" // contains the user name
	rigPath, _ := cameraRig(t, "127.0.0.62", weak)
	_, stderr := wantExit(t, exitFailed, "camera", "activate", "--rig", rigPath, "--unit", "cam1")
	if !strings.Contains(stderr, "refused before sending") || strings.Contains(stderr, weak) {
		t.Fatalf("want a local refusal that does not echo the password:\n%s", stderr)
	}
	stdout, _ := wantExit(t, exitOK, "camera", "status", "--rig", rigPath, "--unit", "cam1")
	if !strings.Contains(stdout, "uninitialized") {
		t.Fatalf("the unit must stay inactive: %q", stdout)
	}
}

func TestCameraLeasesForLoginsButNotForStatus(t *testing.T) {
	rigPath, _ := cameraRig(t, "127.0.0.63", "Adm1nPassw0rd")
	r, err := rig.Load(rigPath)
	if err != nil {
		t.Fatal(err)
	}
	lease, err := r.Lease("cam1")
	if err != nil {
		t.Fatal(err)
	}
	defer lease.Release()
	wantExit(t, exitOK, "camera", "status", "--rig", rigPath, "--unit", "cam1")
	wantExit(t, exitBusy, "camera", "activate", "--rig", rigPath, "--unit", "cam1")
	wantExit(t, exitBusy, "camera", "info", "--rig", rigPath, "--unit", "cam1")
}

func TestCameraUsageErrors(t *testing.T) {
	units := "  - name: cam2\n    profile: blink\n    console: {port: /dev/x}\n  - name: cam3\n    profile: blink\n    console: {port: /dev/y}\n"
	rigPath := writeRig(t, "", units)
	tests := []struct {
		name       string
		args       []string
		want       int
		wantStderr string
	}{
		{"no action", []string{"camera", "--rig", rigPath, "--unit", "cam2"}, exitUsage, "want exactly one action"},
		{"unknown action", []string{"camera", "reboot", "--rig", rigPath, "--unit", "cam2"}, exitUsage, `unknown action "reboot"`},
		{"no api binding", []string{"camera", "status", "--rig", rigPath, "--unit", "cam2"}, exitFailed, "has no api binding"},
		{"unit needed", []string{"camera", "status", "--rig", rigPath}, exitUsage, "--unit is required"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, stderr := wantExit(t, tt.want, tt.args...)
			if !strings.Contains(stderr, tt.wantStderr) {
				t.Fatalf("stderr does not mention %q:\n%s", tt.wantStderr, stderr)
			}
		})
	}
}

func TestCameraUnreachableIsExitFailedNamingTheUnit(t *testing.T) {
	// A free port nobody listens on.
	url := "http://" + simtest.FreeAddr(t, "127.0.0.64")
	pw := writeSecret(t, t.TempDir(), "cam1", "Adm1nPassw0rd")
	rigPath := writeRig(t, "", fmt.Sprintf("  - name: cam1\n    profile: hikvision-ds2cd\n    console: {port: /dev/x}\n    api: {url: %q, user: admin, password_file: %s}\n", url, pw))
	_, stderr := wantExit(t, exitFailed, "camera", "status", "--rig", rigPath, "--unit", "cam1")
	if !strings.Contains(stderr, "camera cam1") {
		t.Fatalf("the error should name the unit:\n%s", stderr)
	}
}

// TestCameraOnVirtualRig asks a simulated unit's API, served by the
// virtual rig only while the unit is up, with the password the simulator
// wrote to the unit's secret file.
func TestCameraOnVirtualRig(t *testing.T) {
	addr := simtest.FreeAddr(t, "127.0.0.81")
	rigPath, _ := virtualRig(t, virtualCam1+
		fmt.Sprintf("    api:     {url: \"http://%s\", user: admin, password_file: \"${state_dir}/secrets/cam1\"}\n", addr))
	cmd := func(action string) []string { return []string{"camera", action, "--rig", rigPath, "--unit", "cam1"} }

	_, stderr := wantExit(t, exitFailed, cmd("status")...)
	if !strings.Contains(stderr, "camera cam1") {
		t.Errorf("an unpowered unit's silence should be an error naming it:\n%s", stderr)
	}
	wantExit(t, exitOK, "console", "--rig", rigPath, "--unit", "cam1", "--cycle", "--expect", "blink: app ready")
	waitListening(t, addr)
	if stdout, _ := wantExit(t, exitOK, cmd("status")...); stdout != "cam1: uninitialized (Activated=false)\n" {
		t.Fatalf("status of the booted unit: %q", stdout)
	}
	wantExit(t, exitOK, cmd("activate")...)
	if stdout, _ := wantExit(t, exitOK, cmd("status")...); stdout != "cam1: activated (Activated=true)\n" {
		t.Fatalf("status after activation: %q", stdout)
	}
	if stdout, _ := wantExit(t, exitOK, cmd("info")...); !strings.Contains(stdout, "deviceName") {
		t.Fatalf("info: %q", stdout)
	}
}

// waitListening waits until something accepts TCP connections on addr: the
// unit's API starts just after its ready marker, and nothing announces it
// to a client. Bounded, and each attempt is itself an event (refused or
// accepted).
func waitListening(t *testing.T, addr string) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		c, err := net.DialTimeout("tcp", addr, time.Second)
		if err == nil {
			c.Close()
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("nothing listens on %s: %v", addr, err)
		}
		time.Sleep(10 * time.Millisecond)
	}
}
