package main

import (
	"strings"
	"testing"
	"time"

	"github.com/camrig/camrig/rigs/virtual/unit"
)

// TestPressOnVirtualRigIsJudgedByTheUnit presses a powered simulated unit's
// button through the Numato relay: the unit saw one hold of about the
// requested length (device time) and judged it a reboot, as blink's 3-10 s
// window says. The rig runs at pressTimescale: at the virtual rig's 0.01
// the ±1 s of device time this allows is ±10 ms of real time, less than
// two relay commands' round trips through a pty can vary on a loaded
// machine under -race.
func TestPressOnVirtualRigIsJudgedByTheUnit(t *testing.T) {
	const pressTimescale = 0.1
	rigPath, sim := virtualRigAt(t, pressTimescale, "", virtualCam1)
	wantExit(t, exitOK, "power", "on", "--rig", rigPath, "--unit", "cam1")
	stdout, _ := wantExit(t, exitOK, "press", "--rig", rigPath, "--unit", "cam1", "--hold", "5s")
	for _, want := range []string{"cam1: pressed numato:", "requested 5s (500ms at timescale 0.1)", "seen      ", "measured  ", "CPU wake-up latency around the edges: "} {
		if !strings.Contains(stdout, want) {
			t.Errorf("press output does not contain %q:\n%s", want, stdout)
		}
	}
	cam := sim.Unit("cam1")
	if cam.Button() {
		t.Fatal("the button is still held after the command")
	}
	holds := cam.Holds()
	if len(holds) != 1 {
		t.Fatalf("the unit judged %d holds, want 1: %+v", len(holds), holds)
	}
	h := holds[0]
	// Generous bounds: this checks the command, not the solenoid's
	// accuracy (press has a benchmark for that).
	if h.Verdict != unit.VerdictReboot || h.DeviceHeld < 4*time.Second || h.DeviceHeld > 6*time.Second {
		t.Fatalf("the unit saw a hold of %v (device time) judged %q (%s); want about 5s, reboot", h.DeviceHeld, h.Verdict, h.Why)
	}
	// The press left the power alone: the unit is still on.
	stdout, _ = wantExit(t, exitOK, "power", "status", "--rig", rigPath, "--unit", "cam1")
	if !strings.Contains(stdout, "power on") {
		t.Errorf("press changed the unit's power: %q", stdout)
	}
}

func TestPressAboveMaxHoldIsRefusedBeforeEnergising(t *testing.T) {
	rigPath, sim := virtualRig(t, virtualCam1)
	_, stderr := wantExit(t, exitFailed, "press", "--rig", rigPath, "--unit", "cam1", "--hold", "61s")
	if !strings.Contains(stderr, "hold 1m1s refused: unit cam1 allows at most max_hold 1m0s") {
		t.Errorf("stderr does not explain the refusal:\n%s", stderr)
	}
	if edges := sim.Unit("cam1").ButtonEdges(); len(edges) != 0 {
		t.Fatalf("the button moved although the hold was refused: %+v", edges)
	}
}

func TestPressUsageErrors(t *testing.T) {
	rigPath := writeRig(t, "", "  - name: cam1\n    profile: blink\n    console: {port: /dev/x}\n")
	tests := []struct {
		name       string
		args       []string
		want       int
		wantStderr string
	}{
		{"no hold", []string{"press", "--rig", rigPath}, exitUsage, "--hold is required"},
		{"bad hold", []string{"press", "--rig", rigPath, "--hold", "-5s"}, exitUsage, "is not positive"},
		{"positional", []string{"press", "--rig", rigPath, "--hold", "5s", "now"}, exitUsage, "unexpected arguments"},
		{"no press binding", []string{"press", "--rig", rigPath, "--hold", "5s"}, exitFailed, "has no press binding"},
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
