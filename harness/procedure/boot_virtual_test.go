package procedure_test

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/camrig/camrig/harness/notation"
	"github.com/camrig/camrig/harness/procedure"
)

// TestBootOfABrickedVirtualUnitFailsOnItsBadImage: the virtual unit's
// bootloader refuses the corrupt image in its flash ("Bad Data CRC") and
// stops at its prompt. A cold boot reports that, with the bootloader's
// lines, as soon as the line arrives, instead of waiting out the boot
// deadline for a ready marker that cannot come.
func TestBootOfABrickedVirtualUnitFailsOnItsBadImage(t *testing.T) {
	r, _ := bricked(t)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	_, u := openCam4(t, ctx, r)
	_, err := procedure.ColdBoot(ctx, u)
	var fe *procedure.BootFailureError
	if !errors.As(err, &fe) || errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("err = %v", err)
	}
	if fe.Marker.Name != "bad-image" || !strings.Contains(fe.Line, "Bad Data CRC") {
		t.Fatalf("marker %v, line %q", fe.Marker, fe.Line)
	}
	if !strings.Contains(strings.Join(fe.Context, "\n"), u.Profile.Bootloader.Banner) {
		t.Fatalf("the error's console lines do not show the bootloader: %q", fe.Context)
	}
	if fe.After <= 0 || fe.After >= u.D(u.Profile.Boot.Deadline) {
		t.Fatalf("failure seen %v after power on (deadline %v)", fe.After, u.D(u.Profile.Boot.Deadline))
	}
}

// panickingRig starts a virtual rig of one blink unit whose boot log
// panics in the kernel (its profile is blink's, pointed at that log), and
// returns the harness's view of the unit.
func panickingRig(t *testing.T) *procedure.Unit {
	t.Helper()
	dir := t.TempDir()
	state := t.TempDir()
	t.Setenv(notation.StateDirEnv, state)
	profiles := filepath.Join(dir, "profiles")
	if err := os.MkdirAll(profiles, 0o755); err != nil {
		t.Fatal(err)
	}
	blink, err := os.ReadFile(filepath.Join("..", "..", "fixtures", "profiles", "blink.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	log := filepath.Join(dir, "panic.log")
	if err := os.WriteFile(log, []byte(strings.Join([]string{
		"+0ms U-Boot 2013.07 (Mar 12 2019 - 17:20:41)",
		"%autoboot",
		"+100ms Starting kernel ...",
		"+1s Linux version 3.10.14 (blink@build) #1 PREEMPT",
		`+500ms VFS: Cannot open root device "mtdblock3" or unknown-block(31,3): error -6`,
		"+10ms Kernel panic - not syncing: VFS: Unable to mount root fs on unknown-block(31,3)",
		"+10ms CPU: 0 PID: 1 Comm: swapper Not tainted 3.10.14 #1",
		// What a unit that did not panic would say, long after.
		"+120s blink: app ready",
	}, "\n")+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	prof := strings.Replace(string(blink), "boot_script: ../boot/blink.log", "boot_script: "+log, 1)
	if prof == string(blink) {
		t.Fatal("blink's profile names no boot_script to replace")
	}
	if err := os.WriteFile(filepath.Join(profiles, "blink.yaml"), []byte(prof), 0o644); err != nil {
		t.Fatal(err)
	}
	return blinkUnit(t, "panicking", profiles, state, "")
}

// TestBootOfAVirtualUnitThatPanicsEndsOnThePanic: the unit's kernel panics
// at its paced UART's pace; the boot wait ends on the panic line with the
// kernel's lines before it, not at the boot deadline.
func TestBootOfAVirtualUnitThatPanicsEndsOnThePanic(t *testing.T) {
	u := panickingRig(t)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	_, err := procedure.ColdBoot(ctx, u)
	var fe *procedure.BootFailureError
	if !errors.As(err, &fe) || errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("err = %v", err)
	}
	if fe.Marker.Name != "kernel-panic" || fe.Line != "Kernel panic - not syncing: VFS: Unable to mount root fs on unknown-block(31,3)" {
		t.Fatalf("marker %v, line %q", fe.Marker, fe.Line)
	}
	if ctx := strings.Join(fe.Context, "\n"); !strings.Contains(ctx, "Linux version 3.10.14") || !strings.HasSuffix(ctx, "error -6") {
		t.Fatalf("context lines %q", fe.Context)
	}
}
