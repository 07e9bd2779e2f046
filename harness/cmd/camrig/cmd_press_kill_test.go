package main

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/camrig/camrig/harness/notation"
	"github.com/camrig/camrig/rigs/virtual"
	"github.com/camrig/camrig/rigs/virtual/virtualtest"
)

// A `camrig press` killed with SIGKILL mid-hold cannot release anything: the
// Numato relay driving cam2's solenoid stays on and the button stays down.
// Whatever camrig command touches the unit next releases it before doing
// anything else, even one that opens no press driver; a following press is
// then a press of its own (the button came up in between), not the
// continuation of the dead run's hold that turned a reboot into a factory
// reset.
func TestSIGKILLMidPressNextCommandReleasesTheSolenoid(t *testing.T) {
	dir := t.TempDir()
	t.Setenv(notation.StateDirEnv, dir)
	rigFile := virtualtest.Relocate(t, simRig, t.TempDir(), 0)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	sim, err := virtual.Start(ctx, rigFile, virtual.WithStateDir(dir))
	if err != nil {
		t.Fatal(err)
	}
	defer sim.Close()
	device := sim.Unit("cam2")
	board := sim.Numato(filepath.Join(dir, "relay-numato"))
	if board == nil {
		t.Fatal("the virtual rig has no Numato board at relay-numato")
	}
	const solenoid = 3 // cam2's press channel in rigs/virtual.yaml

	for _, next := range [][]string{
		{"power", "status"},
		{"led", "--watch", ledWatchForTakeOver},
		{"press", "--hold", "5s"},
	} {
		t.Run(strings.Join(next, " "), func(t *testing.T) {
			killMidPress(ctx, t, rigFile, dir, device.Button)
			if !board.Relay(solenoid) || !device.Button() {
				t.Fatal("precondition: after SIGKILL mid-press the relay should still be on")
			}
			killedAt := len(device.ButtonEdges())
			args := append(append([]string{}, next...), "--rig", rigFile, "--unit", "cam2")
			stdout, stderr := wantExit(t, exitOK, args...)
			if board.Relay(solenoid) || device.Button() {
				t.Fatalf("camrig %s left the solenoid relay on after the killed press\nstdout:\n%s\nstderr:\n%s",
					strings.Join(next, " "), stdout, stderr)
			}
			edges := device.ButtonEdges()[killedAt:]
			if len(edges) == 0 || edges[0].Pressed {
				t.Fatalf("the first button edge after the kill is %+v, want a release", edges)
			}
			if next[0] == "press" {
				// release (take-over), press, release (the 5 s hold).
				if len(edges) != 3 || !edges[1].Pressed || edges[2].Pressed {
					t.Fatalf("button edges after the kill = %+v, want release, press, release", edges)
				}
				if held := edges[2].At.Sub(edges[1].At); held > 4*time.Duration(float64(5*time.Second)*sim.Timescale()) {
					t.Fatalf("the 5 s press held the button %v real time", held)
				}
			}
		})
	}
}

// ledWatchForTakeOver is the --watch of the `camrig led` run after a
// killed or failed press: the command decides the LED's state within two
// windows, each level read a Numato GPIO round trip through a pty, so the
// window must be long against a loaded machine's stalls under -race (20 ms
// gave it 40 ms to decide and failed so). These tests are about the
// solenoid the command releases first, not how fast the LED is read.
const ledWatchForTakeOver = "300ms"

// killMidPress starts the real CLI in a child pressing cam2 for 40 s (400 ms
// at the rig's timescale), waits for the button to go down and SIGKILLs it.
func killMidPress(ctx context.Context, t *testing.T, rigFile, stateDir string, pressed func() bool) {
	t.Helper()
	var out strings.Builder
	child := exec.CommandContext(ctx, os.Args[0], "-test.run=^TestPressChild$", "-test.count=1")
	child.Env = append(os.Environ(), pressChildEnv+"="+rigFile, notation.StateDirEnv+"="+stateDir)
	child.Stdout, child.Stderr = &out, &out
	if err := child.Start(); err != nil {
		t.Fatal(err)
	}
	for !pressed() {
		select {
		case <-ctx.Done():
			child.Process.Kill()
			child.Wait()
			t.Fatalf("the button never went down; child said:\n%s", out.String())
		case <-time.After(time.Millisecond):
		}
	}
	if err := child.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	child.Wait()
}
