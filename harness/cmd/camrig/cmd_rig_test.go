package main

import (
	"path/filepath"
	"strings"
	"testing"
)

func TestRigCheckAndUnits(t *testing.T) {
	shipped := filepath.Join("..", "..", "..", "rigs", "virtual.yaml")
	out, _ := wantExit(t, exitOK, "rig", "check", "--rig", shipped)
	if !strings.Contains(out, "rig virtual (virtual rig)") || !strings.Contains(out, "4 units: cam1 cam2 cam3 cam4") {
		t.Errorf("rig check said %q", out)
	}
	out, _ = wantExit(t, exitOK, "rig", "units", "--rig", shipped)
	if got := strings.Fields(out); strings.Join(got, " ") != "cam1 cam2 cam3 cam4" {
		t.Errorf("rig units said %q", out)
	}
	// A bench (no virtual: true) says so; a broken one names file:line.
	bench := writeRig(t, "", "  - name: cam9\n    profile: blink\n    console: {port: /dev/ttyUSB9}\n")
	out, _ = wantExit(t, exitOK, "rig", "check", "--rig", bench)
	if !strings.Contains(out, "rig test (bench)") {
		t.Errorf("rig check of a bench said %q", out)
	}
	broken := writeRig(t, "", "  - name: cam9\n    profil: blink\n")
	_, errOut := wantExit(t, exitRigFile, "rig", "check", "--rig", broken)
	if !strings.Contains(errOut, broken+":") || !strings.Contains(errOut, `unknown key "profil"`) {
		t.Errorf("a misspelt key: %q", errOut)
	}
	wantExit(t, exitUsage, "rig", "frobnicate", "--rig", shipped)
}
