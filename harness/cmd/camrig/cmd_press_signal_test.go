package main

import (
	"context"
	"os"
	"os/exec"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/camrig/camrig/harness/notation"
	"github.com/camrig/camrig/rigs/virtual"
	"github.com/camrig/camrig/rigs/virtual/virtualtest"
)

const pressChildEnv = "CAMRIG_TEST_PRESS_CHILD"

// TestPressChild is the child of TestSIGINTMidPressReleasesTheSolenoid: the
// real CLI pressing cam2's reset button for 40 s (400 ms at the rig's
// timescale).
func TestPressChild(t *testing.T) {
	rigFile := os.Getenv(pressChildEnv)
	if rigFile == "" {
		t.Skip("helper process for TestSIGINTMidPressReleasesTheSolenoid")
	}
	os.Exit(runMain([]string{"press", "--rig", rigFile, "--unit", "cam2", "--hold", "40s"}, os.Stdout, os.Stderr))
}

// A `camrig press` interrupted by SIGINT mid-hold releases the solenoid at
// once: the virtual unit itself sees the button come up long before the
// requested hold would have ended.
func TestSIGINTMidPressReleasesTheSolenoid(t *testing.T) {
	dir := t.TempDir()
	t.Setenv(notation.StateDirEnv, dir)
	rigFile := virtualtest.Relocate(t, simRig, t.TempDir(), 0)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	sim, err := virtual.Start(ctx, rigFile, virtual.WithStateDir(dir))
	if err != nil {
		t.Fatal(err)
	}
	defer sim.Close()
	device := sim.Unit("cam2")

	var out strings.Builder
	child := exec.CommandContext(ctx, os.Args[0], "-test.run=^TestPressChild$", "-test.count=1")
	child.Env = append(os.Environ(), pressChildEnv+"="+rigFile, notation.StateDirEnv+"="+dir)
	child.Stdout, child.Stderr = &out, &out
	if err := child.Start(); err != nil {
		t.Fatal(err)
	}
	// Wait until the unit's button is down (the child holds it for 400 ms).
	for !device.Button() {
		select {
		case <-ctx.Done():
			t.Fatalf("the button never went down; child said:\n%s", out.String())
		case <-time.After(time.Millisecond):
		}
	}
	pressedAt := time.Now()
	if err := child.Process.Signal(syscall.SIGINT); err != nil {
		t.Fatal(err)
	}
	child.Wait()
	if device.Button() {
		t.Fatalf("the solenoid is still pressed after SIGINT; child said:\n%s", out.String())
	}
	edges := device.ButtonEdges()
	last := edges[len(edges)-1]
	if last.Pressed {
		t.Fatalf("last button edge is a press: %+v", edges)
	}
	if held := last.At.Sub(pressedAt); held > 300*time.Millisecond {
		t.Fatalf("released %v after the signal; the hold ran on instead of being cut short", held)
	}
	if code := child.ProcessState.ExitCode(); code == exitOK {
		t.Fatalf("an interrupted press exited 0; child said:\n%s", out.String())
	}
	t.Logf("released %v after SIGINT; camrig said: %s", last.At.Sub(pressedAt).Round(time.Microsecond), strings.TrimSpace(out.String()))
}
