package main

import (
	"strings"
	"testing"
)

// TestLEDOnVirtualRig reads a simulated unit's LED through the Numato
// board's GPIO input: dark without power, lit once powered.
func TestLEDOnVirtualRig(t *testing.T) {
	rigPath, _ := virtualRig(t, virtualCam1)
	// A short window keeps the test fast; the LED is steady either way.
	stdout, _ := wantExit(t, exitOK, "led", "--rig", rigPath, "--unit", "cam1", "--watch", "300ms")
	if stdout != "cam1: led off\n" {
		t.Fatalf("unpowered unit: %q, want the LED off", stdout)
	}
	wantExit(t, exitOK, "power", "on", "--rig", rigPath, "--unit", "cam1")
	stdout, _ = wantExit(t, exitOK, "led", "--rig", rigPath, "--unit", "cam1", "--watch", "300ms")
	if stdout != "cam1: led on\n" {
		t.Fatalf("powered unit: %q, want the LED on", stdout)
	}
}

func TestLEDUsageErrors(t *testing.T) {
	rigPath := writeRig(t, "", "  - name: cam1\n    profile: blink\n    console: {port: /dev/x}\n")
	tests := []struct {
		name       string
		args       []string
		want       int
		wantStderr string
	}{
		{"bad watch", []string{"led", "--rig", rigPath, "--watch", "0s"}, exitUsage, "--watch 0s is not positive"},
		{"positional", []string{"led", "--rig", rigPath, "blink"}, exitUsage, "unexpected arguments"},
		{"no led binding", []string{"led", "--rig", rigPath}, exitFailed, "has no led binding"},
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
