package procedure_test

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/camrig/camrig/harness/fwimage"
	"github.com/camrig/camrig/harness/notation"
	"github.com/camrig/camrig/harness/procedure"
	"github.com/camrig/camrig/harness/rig"
	"github.com/camrig/camrig/rigs/virtual"
	"github.com/camrig/camrig/rigs/virtual/unit"
	"github.com/camrig/camrig/rigs/virtual/virtualtest"
)

// bricked starts a copy of the shipped virtual rig whose cam4 (no-button)
// has a corrupt image in flash, and returns the harness's view of it.
func bricked(t testing.TB) (*rig.Rig, *virtual.Rig) {
	t.Helper()
	return brickedWith(t, "")
}

// brickedWith is bricked with more sim.units.cam4 settings (", hush: false").
func brickedWith(t testing.TB, more string) (*rig.Rig, *virtual.Rig) {
	t.Helper()
	dir := t.TempDir()
	t.Setenv(notation.StateDirEnv, dir)
	path := virtualtest.Relocate(t, filepath.Join("..", "..", "rigs", "virtual.yaml"), t.TempDir(), 0)
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	withBrick := strings.Replace(string(data), "\nsim:\n", "\nsim:\n  units:\n    cam4: {bricked: true"+more+"}\n", 1)
	if withBrick == string(data) {
		t.Fatal("the shipped rig has no sim: section to mark cam4 bricked in")
	}
	if err := os.WriteFile(path, []byte(withBrick), 0o644); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	sim, err := virtual.Start(ctx, path, virtual.WithStateDir(dir))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { sim.Close() })
	r, err := rig.Load(path)
	if err != nil {
		t.Fatal(err)
	}
	return r, sim
}

// openCam4 opens the bricked rig's cam4 for the rest of the test and
// returns it with its reflash target.
func openCam4(t testing.TB, ctx context.Context, r *rig.Rig) (*rig.Unit, *procedure.Unit) {
	t.Helper()
	u, err := r.Open(ctx, "cam4")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { u.Close(context.Background()) })
	return u, opened(u)
}

// powerBack cuts the unit's power and restores it through the rig, as a
// person would after a failed reflash, and waits until the device has
// settled: bricked in its bootloader or up. The caller judges which.
func powerBack(t testing.TB, ctx context.Context, u *rig.Unit, device *unit.Unit) {
	t.Helper()
	if err := u.Power.Set(ctx, false); err != nil {
		t.Fatal(err)
	}
	if err := u.Power.Set(ctx, true); err != nil {
		t.Fatal(err)
	}
	if err := device.WaitState(ctx, unit.StateBricked, unit.StateUp); err != nil {
		t.Fatal(err)
	}
}

// opened is a unit the rig opened, as the procedures take it (what
// harness/bench does for the CLI and the suites; a procedure test may not
// import that floor). The virtual rig's units have power and console.
func opened(u *rig.Unit) *procedure.Unit {
	return &procedure.Unit{Name: u.Name, Profile: u.Profile, Clock: u.Clock, Scale: u.Scale,
		Timeline: u.Timeline, Log: u.Log, Power: u.Power, Console: u.Console}
}

// The no-button unit's only recovery is serial firmware: a unit bricked by
// a corrupt image is reflashed over its UART (bootloader, YMODEM, RAM CRC,
// SPI NOR erase/write, flash read-back CRC) and boots the new image.
func TestReflashRecoversTheBrickedVirtualUnit(t *testing.T) {
	r, sim := bricked(t)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	u, target := openCam4(t, ctx, r)

	// Bricked: power on and the unit stops in its bootloader.
	if err := u.Power.Set(ctx, true); err != nil {
		t.Fatal(err)
	}
	if err := sim.Unit("cam4").WaitState(ctx, unit.StateBricked); err != nil {
		t.Fatalf("cam4 did not start bricked: %v", err)
	}

	image := fwimage.Generate("no-button", "V2.0.0-camrig", 48<<10, 7)
	var steps []string
	res, err := procedure.Reflash(ctx, target, image, procedure.ReflashOptions{
		Progress: func(p procedure.ReflashProgress) { steps = appendOnce(steps, p.Step) },
	})
	if err != nil {
		t.Fatalf("reflash: %v\nsteps: %v\ntranscript tail:\n%s", err, steps, tailOf(u.Console.Transcript().String(), 1500))
	}
	if res.Version != "V2.0.0-camrig" || res.Bytes != len(image) {
		t.Fatalf("result = %+v", res)
	}
	// The harness saw the ready marker; the unit's own state follows it.
	upCtx, upCancel := context.WithTimeout(ctx, 5*time.Second)
	defer upCancel()
	if err := sim.Unit("cam4").WaitState(upCtx, unit.StateUp); err != nil {
		t.Fatalf("cam4 is %v after the reflash, want up: %v", sim.Unit("cam4").State(), err)
	}
	// And it stays repaired across a power cycle.
	if _, err := procedure.ColdBoot(ctx, target); err != nil {
		t.Fatalf("cold boot after the reflash: %v", err)
	}
}

// A corrupt image is refused before the unit is touched.
func TestReflashRefusesACorruptImage(t *testing.T) {
	r, _ := bricked(t)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	u, target := openCam4(t, ctx, r)
	image := fwimage.Generate("no-button", "V2.0.0", 16<<10, 1)
	image[len(image)/2] ^= 0x5a
	_, err := procedure.Reflash(ctx, target, image, procedure.ReflashOptions{})
	if !errors.Is(err, fwimage.ErrBadPayloadCRC) {
		t.Fatalf("err = %v", err)
	}
	for _, e := range u.Timeline.Events() {
		if e.Source == "power" {
			t.Fatalf("the unit was touched: %+v", e)
		}
	}
}

func appendOnce(s []string, v string) []string {
	if len(s) > 0 && s[len(s)-1] == v {
		return s
	}
	return append(s, v)
}

func tailOf(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[len(s)-n:]
}
