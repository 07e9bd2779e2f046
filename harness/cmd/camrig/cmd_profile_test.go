package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestProfileListShowsEveryModelWithItsNumbers(t *testing.T) {
	stdout, _ := wantExit(t, exitOK, "profile", "list", "--profiles", profilesDir(t))
	for _, want := range []string{
		"blink", "35s (30s..1m0s)", "5s (3s..10s)", // blink's factory and reboot holds
		"hikvision-ds2cd", "7 attempts, 30m0s per ip",
		"generic-poe-ipc", "no-button",
	} {
		if !strings.Contains(stdout, want) {
			t.Errorf("profile list does not show %q:\n%s", want, stdout)
		}
	}
}

func TestProfileShowPrintsHoldsDeadlinesMarkers(t *testing.T) {
	stdout, _ := wantExit(t, exitOK, "profile", "show", "hikvision-ds2cd", "--profiles", profilesDir(t))
	for _, want := range []string{
		"hold 12s, accepted 10s..30s",
		`"Check dir /dav ok!"`,
		`"\x15" x1`, // Ctrl+U, shown escaped
		`"HKVS # "`,
		"lockout: duration",
	} {
		if !strings.Contains(stdout, want) {
			t.Errorf("profile show does not print %q:\n%s", want, stdout)
		}
	}
	if strings.Contains(stdout, "timescale") {
		t.Errorf("without a rig no duration should be scaled:\n%s", stdout)
	}
}

func TestProfileShowWithRigScalesDurations(t *testing.T) {
	rigPath := writeRig(t, "", "  - name: cam1\n    profile: blink\n    console: {port: /dev/x}\n")
	stdout, _ := wantExit(t, exitOK, "profile", "show", "blink", "--rig", rigPath)
	if !strings.Contains(stdout, "boot: deadline                  1m0s (600ms at timescale 0.01)") &&
		!strings.Contains(stdout, "1m0s (600ms at timescale 0.01)") {
		t.Errorf("boot deadline not shown scaled by the rig's timescale:\n%s", stdout)
	}
}

func TestProfileErrors(t *testing.T) {
	broken := t.TempDir()
	if err := os.WriteFile(filepath.Join(broken, "bad.yaml"), []byte("model: bad\nholds: {factory: {hold: soon}}\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name       string
		args       []string
		want       int
		wantStderr string
	}{
		{"no action", []string{"profile"}, exitUsage, "want list or show NAME"},
		{"show without name", []string{"profile", "show", "--profiles", profilesDir(t)}, exitUsage, "wrong number of arguments"},
		{"list with name", []string{"profile", "list", "blink"}, exitUsage, "wrong number of arguments"},
		{"unknown action", []string{"profile", "edit", "blink"}, exitUsage, `unknown action "edit"`},
		{"unknown profile", []string{"profile", "show", "acme", "--profiles", profilesDir(t)}, exitUsage, "profiles: blink, generic-poe-ipc"},
		{"both dirs", []string{"profile", "list", "--profiles", "x", "--rig", "y"}, exitUsage, "not both"},
		{"broken profile", []string{"profile", "show", "bad", "--profiles", broken}, exitRigFile, "bad.yaml:2"},
		{"broken in list", []string{"profile", "list", "--profiles", broken}, exitRigFile, "bad.yaml:2"},
		{"empty dir", []string{"profile", "list", "--profiles", t.TempDir()}, exitFailed, "no profiles"},
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
