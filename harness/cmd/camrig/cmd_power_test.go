package main

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/camrig/camrig/harness/rig"
)

// execPowerRig is a rig whose cam1 power line is a state file switched by
// the exec driver, so the power commands run end to end without hardware
// or simulator. cam2 has no power binding.
func execPowerRig(t *testing.T) (rigPath, stateFile string) {
	t.Helper()
	stateFile = filepath.Join(t.TempDir(), "line")
	units := fmt.Sprintf(`  - name: cam1
    profile: blink
    console: {port: /dev/camrig-test-no-console}
    power:
      driver: exec
      on: [sh, -c, "echo on > %[1]s"]
      off: [sh, -c, "echo off > %[1]s"]
      status: [cat, %[1]s]
  - name: cam2
    profile: hikvision-ds2cd
    console: {port: /dev/camrig-test-no-console2}
`, stateFile)
	return writeRig(t, "", units), stateFile
}

func lineState(t *testing.T, file string) string {
	t.Helper()
	b, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	return strings.TrimSpace(string(b))
}

func TestPowerUsageAndRigErrors(t *testing.T) {
	t.Setenv(rigEnv, "")
	good, _ := execPowerRig(t)
	misspelt := writeRig(t, "", "  - name: cam1\n    profile: blink\n    consol: {port: /dev/x}\n")
	tests := []struct {
		name       string
		args       []string
		want       int
		wantStderr string
	}{
		{"no action", []string{"power", "--rig", good, "--unit", "cam1"}, exitUsage, "want exactly one action"},
		{"unknown action", []string{"power", "toggle", "--rig", good, "--unit", "cam1"}, exitUsage, `unknown action "toggle"`},
		{"two actions", []string{"power", "on", "off", "--rig", good, "--unit", "cam1"}, exitUsage, "got 2 words"},
		{"no rig", []string{"power", "on", "--unit", "cam1"}, exitUsage, "--rig is required"},
		{"unknown flag", []string{"power", "on", "--rigg", good}, exitUsage, "flag provided but not defined: -rigg"},
		{"bad duration", []string{"power", "cycle", "--off", "long", "--rig", good, "--unit", "cam1"}, exitUsage, "want a duration"},
		{"off without cycle", []string{"power", "on", "--off", "1s", "--rig", good, "--unit", "cam1"}, exitUsage, "--off only applies to cycle"},
		{"missing rig file", []string{"power", "on", "--rig", filepath.Join(t.TempDir(), "none.yaml"), "--unit", "cam1"}, exitRigFile, "none.yaml"},
		{"misspelt key", []string{"power", "on", "--rig", misspelt, "--unit", "cam1"}, exitRigFile, misspelt + `:8: unknown key "consol"`},
		{"unknown unit", []string{"power", "on", "--rig", good, "--unit", "cam9"}, exitUsage, "its units are cam1, cam2"},
		{"unit needed", []string{"power", "on", "--rig", good}, exitUsage, "--unit is required: rig test has units cam1, cam2"},
		{"no power binding", []string{"power", "on", "--rig", good, "--unit", "cam2"}, exitFailed, "unit cam2"},
		{"help", []string{"power", "-h"}, exitOK, "usage: camrig power on|off|cycle|status"},
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

func TestPowerOnOffCycleStatusThroughExecDriver(t *testing.T) {
	rigPath, line := execPowerRig(t)
	steps := []struct {
		args      []string
		wantOut   string
		wantState string
	}{
		{[]string{"on"}, "cam1: power on (exec:", "on"},
		{[]string{"status"}, "cam1: power on", "on"},
		{[]string{"off"}, "cam1: power off", "off"},
		{[]string{"status"}, "cam1: power off", "off"},
		// Blink's boot.off_time of 5s at timescale 0.01.
		{[]string{"cycle"}, "cam1: power cycled, off for 5s (50ms at timescale 0.01)\ncam1: power on", "on"},
		{[]string{"cycle", "--off", "2s"}, "off for 2s (20ms at timescale 0.01)", "on"},
	}
	for _, s := range steps {
		args := append([]string{"power", "--rig", rigPath, "--unit", "cam1"}, s.args...)
		stdout, _ := wantExit(t, exitOK, args...)
		if !strings.Contains(stdout, s.wantOut) {
			t.Fatalf("camrig %v: stdout %q does not contain %q", s.args, stdout, s.wantOut)
		}
		if got := lineState(t, line); got != s.wantState {
			t.Fatalf("after %v the line is %q, want %q", s.args, got, s.wantState)
		}
	}
}

func TestPowerOnLeasedUnitIsBusy(t *testing.T) {
	rigPath, _ := execPowerRig(t)
	r, err := rig.Load(rigPath)
	if err != nil {
		t.Fatal(err)
	}
	lease, err := r.Lease("cam1")
	if err != nil {
		t.Fatal(err)
	}
	_, stderr := wantExit(t, exitBusy, "power", "on", "--rig", rigPath, "--unit", "cam1")
	if !strings.Contains(stderr, "leased") {
		t.Errorf("busy error does not say the unit is leased:\n%s", stderr)
	}
	if err := lease.Release(); err != nil {
		t.Fatal(err)
	}
	// Released: the command works, and gives the lease back itself.
	wantExit(t, exitOK, "power", "off", "--rig", rigPath, "--unit", "cam1")
	wantExit(t, exitOK, "power", "status", "--rig", rigPath, "--unit", "cam1")
}

func TestPowerBoardFailureIsExitFailedNamingTheUnit(t *testing.T) {
	units := `  - name: cam1
    profile: blink
    console: {port: /dev/camrig-test-no-console}
    power: {driver: exec, on: ["false"], off: ["true"]}
`
	rigPath := writeRig(t, "", units)
	_, stderr := wantExit(t, exitFailed, "power", "on", "--rig", rigPath, "--unit", "cam1")
	if !strings.Contains(stderr, "unit cam1: power on") {
		t.Errorf("stderr does not name the unit and action:\n%s", stderr)
	}
}

// TestPowerOnVirtualRig drives a simulated unit's relay over the Numato
// protocol on a pty: the state read back comes from the board.
func TestPowerOnVirtualRig(t *testing.T) {
	rigPath, _ := virtualRig(t, virtualCam1)
	steps := []struct {
		args    []string
		wantOut string
	}{
		{[]string{"status"}, "cam1: power off (numato:"},
		{[]string{"on"}, "cam1: power on"},
		{[]string{"status"}, "cam1: power on"},
		{[]string{"cycle"}, "cam1: power cycled, off for 5s (50ms at timescale 0.01)\ncam1: power on"},
		{[]string{"status"}, "cam1: power on"},
		{[]string{"off"}, "cam1: power off"},
		{[]string{"status"}, "cam1: power off"},
	}
	for _, s := range steps {
		args := append([]string{"power", "--rig", rigPath, "--unit", "cam1"}, s.args...)
		stdout, _ := wantExit(t, exitOK, args...)
		if !strings.Contains(stdout, s.wantOut) {
			t.Fatalf("camrig power %v: stdout %q does not contain %q", s.args, stdout, s.wantOut)
		}
	}
}

// TestPowerCommandsLeaveTheLineAsSet checks that closing the unit after a
// power command does not restore the binding's safe state: with safe_on
// (the safe state is on) "off" must stay off, and "status" must not switch
// a line that is off back on.
func TestPowerCommandsLeaveTheLineAsSet(t *testing.T) {
	line := filepath.Join(t.TempDir(), "line")
	units := fmt.Sprintf(`  - name: cam1
    profile: blink
    console: {port: /dev/camrig-test-no-console}
    power:
      driver: exec
      safe_on: true
      on: [sh, -c, "echo on > %[1]s"]
      off: [sh, -c, "echo off > %[1]s"]
      status: [cat, %[1]s]
`, line)
	rigPath := writeRig(t, "", units)
	for _, action := range []string{"off", "status"} {
		wantExit(t, exitOK, "power", action, "--rig", rigPath, "--unit", "cam1")
		if got := lineState(t, line); got != "off" {
			t.Fatalf("after power %s the line is %q, want it left off", action, got)
		}
	}
}
