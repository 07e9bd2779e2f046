package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/camrig/camrig/harness/fwimage"
	"github.com/camrig/camrig/rigs/virtual/unit"
)

// Against the virtual rig, through rig.Open and Close as a bench runs it:
// a wrong-model image is refused (dry run or not) with the unit's power
// exactly as it was (a running unit keeps running), and a good image is
// written and leaves the unit booted and powered after the command ends.
func TestReflashCommandAgainstTheVirtualRig(t *testing.T) {
	path, sim := virtualRig(t, virtualCam1)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cam := sim.Unit("cam1")
	run := func(args ...string) (int, string) {
		var out, errb bytes.Buffer
		code := runMain(append(args, "--rig", path, "--unit", "cam1"), &out, &errb)
		return code, out.String() + errb.String()
	}
	if code, out := run("power", "on"); code != exitOK {
		t.Fatalf("power on: %d %s", code, out)
	}
	if err := cam.WaitState(ctx, unit.StateUp); err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	wrong := filepath.Join(dir, "wrong.img")
	must(t, os.WriteFile(wrong, fwimage.Generate("no-button", "V1", 8192, 1), 0o644))
	for _, dry := range []bool{true, false} {
		args := []string{"reflash", "--image", wrong}
		if dry {
			args = append(args, "--dry-run")
		}
		code, out := run(args...)
		if code != exitFailed || !strings.Contains(out, `built for model "no-button"`) {
			t.Fatalf("dry-run %v: exit %d: %s", dry, code, out)
		}
		if !cam.Powered() || cam.State() != unit.StateUp {
			t.Fatalf("dry-run %v: the refused image changed the unit: powered %v, %v", dry, cam.Powered(), cam.State())
		}
	}
	good := filepath.Join(dir, "good.img")
	must(t, os.WriteFile(good, fwimage.Generate("blink", "V7.7.7-cli", 32<<10, 2), 0o644))
	if code, out := run("reflash", "--image", good); code != exitOK || !strings.Contains(out, "firmware version V7.7.7-cli") {
		t.Fatalf("reflash: exit %d: %s", code, out)
	}
	upCtx, upCancel := context.WithTimeout(ctx, 10*time.Second)
	defer upCancel()
	if err := cam.WaitState(upCtx, unit.StateUp); err != nil || !cam.Powered() {
		t.Fatalf("after a successful reflash the unit is %v, powered %v: %v", cam.State(), cam.Powered(), err)
	}
}
