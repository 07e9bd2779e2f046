package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/camrig/camrig/harness/notation"
	"github.com/camrig/camrig/rigs/virtual"
)

// profilesDir is the checkout's fixtures/profiles, absolute so temp rig
// files can point at it.
func profilesDir(t *testing.T) string {
	t.Helper()
	dir, err := filepath.Abs(filepath.Join("..", "..", "..", "fixtures", "profiles"))
	if err != nil {
		t.Fatal(err)
	}
	return dir
}

// camrig runs the CLI in-process and returns its exit code and output.
func camrig(t *testing.T, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	var out, errb bytes.Buffer
	code = runMain(args, &out, &errb)
	return code, out.String(), errb.String()
}

// wantExit fails the test unless the command exited with want; it shows
// both streams so a failure explains itself.
func wantExit(t *testing.T, want int, args ...string) (stdout, stderr string) {
	t.Helper()
	code, stdout, stderr := camrig(t, args...)
	if code != want {
		t.Fatalf("camrig %s: exit %d, want %d\nstdout:\n%s\nstderr:\n%s", strings.Join(args, " "), code, want, stdout, stderr)
	}
	return stdout, stderr
}

// writeRig writes a rig file with the given units section (YAML lines,
// already indented under `units:`) into a fresh directory with its own lock
// directory, so tests never contend with each other or a real run.
func writeRig(t *testing.T, extraTop, units string) string {
	t.Helper()
	return writeRigAt(t, 0.01, extraTop, units)
}

// writeRigAt is writeRig at another timescale than the virtual rig's 0.01.
func writeRigAt(t *testing.T, timescale float64, extraTop, units string) string {
	t.Helper()
	dir := t.TempDir()
	path := filepath.Join(dir, "rig.yaml")
	data := "rig: test\ntimescale: " + strconv.FormatFloat(timescale, 'g', -1, 64) + "\nprofiles: " + profilesDir(t) + "\nlock_dir: " + filepath.Join(dir, "locks") + "\n" +
		extraTop + "units:\n" + units
	if err := os.WriteFile(path, []byte(data), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

func TestParseAllowsPositionalWordsAmongFlags(t *testing.T) {
	tests := []struct {
		args     []string
		wantPos  []string
		wantUnit string
		wantCode int
		wantOK   bool
	}{
		{[]string{"on", "--unit", "cam1"}, []string{"on"}, "cam1", exitOK, true},
		{[]string{"--unit", "cam1", "on"}, []string{"on"}, "cam1", exitOK, true},
		{[]string{"--unit=cam1", "show", "blink"}, []string{"show", "blink"}, "cam1", exitOK, true},
		{[]string{"a", "--", "--unit", "x"}, []string{"a", "--unit", "x"}, "", exitOK, true},
		{[]string{"--nope"}, nil, "", exitUsage, false},
		{[]string{"-h"}, nil, "", exitOK, false},
		{[]string{"--unit"}, nil, "", exitUsage, false},
	}
	for _, tt := range tests {
		t.Run(strings.Join(tt.args, " "), func(t *testing.T) {
			var stderr bytes.Buffer
			f := newFlags("x", "about", &stderr).withUnit()
			pos, code, ok := f.parse(tt.args)
			if ok != tt.wantOK || code != tt.wantCode {
				t.Fatalf("parse: ok=%v code=%d, want ok=%v code=%d (stderr %q)", ok, code, tt.wantOK, tt.wantCode, stderr.String())
			}
			if !ok {
				return
			}
			if strings.Join(pos, "|") != strings.Join(tt.wantPos, "|") || f.unit != tt.wantUnit {
				t.Fatalf("parse: pos %q unit %q, want %q %q", pos, f.unit, tt.wantPos, tt.wantUnit)
			}
		})
	}
}

func TestDeviceDurationFlag(t *testing.T) {
	tests := []struct {
		in      string
		wantErr bool
	}{
		{"5s", false},
		{"250ms", false},
		{"0s", true},
		{"-1s", true},
		{"five", true},
	}
	for _, tt := range tests {
		var d deviceDuration
		err := d.Set(tt.in)
		if (err != nil) != tt.wantErr {
			t.Errorf("Set(%q) = %v, wantErr %v", tt.in, err, tt.wantErr)
		}
		if err == nil && (!d.set || d.String() != tt.in) {
			t.Errorf("Set(%q): got %q set=%v", tt.in, d.String(), d.set)
		}
	}
}

func TestRealAndDeviceTimeRendering(t *testing.T) {
	if got := realTime(5e9, 1); got != "5s" {
		t.Errorf("realTime at scale 1 = %q", got)
	}
	if got := realTime(5e9, 0.01); got != "5s (50ms at timescale 0.01)" {
		t.Errorf("realTime at scale 0.01 = %q", got)
	}
	if got := deviceTime(50e6, 0.01); got != "5s (50ms real)" {
		t.Errorf("deviceTime at scale 0.01 = %q", got)
	}
}

// virtualRig writes a rig file for the simulator (units given as YAML lines
// under `units:`, using ${state_dir} paths), starts the virtual rig on a
// fresh state directory (CAMRIG_STATE_DIR, so the harness and the simulator
// agree) and stops it when the test ends.
func virtualRig(t *testing.T, units string, opts ...virtual.Option) (string, *virtual.Rig) {
	t.Helper()
	return virtualRigSim(t, "", units, opts...)
}

// virtualRigSim is virtualRig with more lines in the rig file's sim:
// section (indented under it), e.g. a unit's simulated defects.
func virtualRigSim(t *testing.T, sim, units string, opts ...virtual.Option) (string, *virtual.Rig) {
	t.Helper()
	return virtualRigAt(t, 0.01, sim, units, opts...)
}

// virtualRigAt is virtualRigSim at another timescale than the virtual
// rig's 0.01 (the rig file's, so the commands and the simulator agree).
func virtualRigAt(t *testing.T, timescale float64, sim, units string, opts ...virtual.Option) (string, *virtual.Rig) {
	t.Helper()
	stateDir, err := os.MkdirTemp("", "camrig-cli-") // short: pty links stay readable
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(stateDir) })
	t.Setenv(notation.StateDirEnv, stateDir)
	path := writeRigAt(t, timescale, "virtual: true\nsim:\n  numato: {prompt: \">\", echo: true}\n"+sim, units)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	r, err := virtual.Start(ctx, path, opts...)
	if err != nil {
		t.Fatalf("starting the virtual rig: %v", err)
	}
	t.Cleanup(func() {
		if err := r.Close(); err != nil {
			t.Errorf("stopping the virtual rig: %v", err)
		}
	})
	return path, r
}

// virtualCam1 is one blink unit wired like rigs/virtual.yaml's cam1.
const virtualCam1 = `  - name: cam1
    profile: blink
    console: {port: "${state_dir}/cam1.uart", baud: 115200}
    power:   {driver: numato, port: "${state_dir}/relay-numato", channel: 0}
    press:   {driver: numato, port: "${state_dir}/relay-numato", channel: 1, max_hold: 60s}
    led:     {driver: numato-gpio, port: "${state_dir}/relay-numato", pin: 0}
`
