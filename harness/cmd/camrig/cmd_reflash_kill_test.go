package main

import (
	"bufio"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/camrig/camrig/harness/fwimage"
	"github.com/camrig/camrig/rigs/virtual/unit"
)

const reflashChildEnv = "CAMRIG_TEST_REFLASH_CHILD"

// TestReflashChild is the child of TestSIGKILLMidReflashThenRerun: the real
// CLI reflashing cam1 of the rig file and image named in reflashChildEnv.
func TestReflashChild(t *testing.T) {
	arg := os.Getenv(reflashChildEnv)
	if arg == "" {
		t.Skip("helper process for TestSIGKILLMidReflashThenRerun")
	}
	rigFile, image, _ := strings.Cut(arg, "\n")
	os.Exit(runMain([]string{"reflash", "--rig", rigFile, "--unit", "cam1", "--image", image}, os.Stdout, os.Stderr))
}

// The fault matrix's "harness killed mid-reflash, then rerun": a `camrig
// reflash` SIGKILLed during the YMODEM transfer leaves cam1 powered in its
// bootloader with nobody holding it. The rerun takes the unit over (the
// dead run's lease is reclaimed and the unit made safe first), writes the
// image and leaves the unit booted on it; a press command after the kill
// finds the solenoid released.
func TestSIGKILLMidReflashThenRerun(t *testing.T) {
	path, sim := virtualRig(t, virtualCam1)
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	cam := sim.Unit("cam1")
	image := filepath.Join(t.TempDir(), "good.img")
	must(t, os.WriteFile(image, fwimage.Generate("blink", "V8.8.8-rerun", 32<<10, 2), 0o644))

	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	child := exec.CommandContext(ctx, os.Args[0], "-test.run=^TestReflashChild$", "-test.count=1")
	child.Env = append(os.Environ(), reflashChildEnv+"="+path+"\n"+image)
	child.Stdout, child.Stderr = w, w
	if err := child.Start(); err != nil {
		t.Fatal(err)
	}
	w.Close()
	lines := make(chan string, 64)
	go func() {
		defer close(lines)
		sc := bufio.NewScanner(r)
		for sc.Scan() {
			lines <- sc.Text()
		}
	}()
	var said []string
	for transferring := false; !transferring; {
		select {
		case l, ok := <-lines:
			if !ok {
				child.Wait()
				t.Fatalf("the child ended before the transfer began:\n%s", strings.Join(said, "\n"))
			}
			said = append(said, l)
			transferring = strings.HasPrefix(l, "transfer")
		case <-ctx.Done():
			t.Fatalf("no transfer began:\n%s", strings.Join(said, "\n"))
		}
	}
	if err := child.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	child.Wait()
	if !cam.Powered() {
		t.Fatal("precondition: the killed reflash should leave the unit powered in its bootloader")
	}
	t.Logf("killed mid-transfer; the unit is %v", cam.State())

	stdout, stderr := wantExit(t, exitOK, "reflash", "--rig", path, "--unit", "cam1", "--image", image)
	if !strings.Contains(stdout+stderr, "firmware version V8.8.8-rerun") {
		t.Fatalf("the rerun did not report the new firmware:\n%s\n%s", stdout, stderr)
	}
	upCtx, upCancel := context.WithTimeout(ctx, 10*time.Second)
	defer upCancel()
	if err := cam.WaitState(upCtx, unit.StateUp); err != nil {
		t.Fatalf("after the rerun the unit is %v: %v", cam.State(), err)
	}
	if cam.Button() {
		t.Fatal("the solenoid is pressed after the rerun")
	}
}
