package procedure_test

import (
	"context"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/camrig/camrig/harness/camera"
	"github.com/camrig/camrig/harness/notation"
	"github.com/camrig/camrig/harness/procedure"
	"github.com/camrig/camrig/harness/rig"
	"github.com/camrig/camrig/rigs/virtual"
	"github.com/camrig/camrig/rigs/virtual/virtualtest"
)

// virtualUnit starts a copy of the shipped virtual rig and opens one unit.
func virtualUnit(t *testing.T, ctx context.Context, name string) (*rig.Unit, *procedure.Unit, *virtual.Rig) {
	t.Helper()
	dir := t.TempDir()
	t.Setenv(notation.StateDirEnv, dir)
	path := virtualtest.Relocate(t, filepath.Join("..", "..", "rigs", "virtual.yaml"), t.TempDir(), 0)
	sim, err := virtual.Start(ctx, path, virtual.WithStateDir(dir))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { sim.Close() })
	r, err := rig.Load(path)
	if err != nil {
		t.Fatal(err)
	}
	u, err := r.Open(ctx, name)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { u.Close(context.Background()) })
	return u, opened(u), sim
}

// A cut lands in the phase it was aimed at, and the unit comes back by
// itself: the console shows the phase's marker and then nothing of the
// next phase before the silence, then a whole boot.
func TestCutDuringLandsInItsPhase(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	ru, u, _ := virtualUnit(t, ctx, "cam1")
	p := u.Profile
	for _, tc := range []struct {
		phase       procedure.OutagePhase
		start, next string // the phase's own marker, and the one it must not reach
	}{
		{procedure.PhaseBootloader, p.Bootloader.Banner, p.Boot.Kernel()},
		{procedure.PhaseKernel, p.Boot.Kernel(), p.Boot.ReadyMarker},
	} {
		t.Run(string(tc.phase), func(t *testing.T) {
			before := ru.Console.Transcript().Len()
			out, err := procedure.CutDuring(ctx, u, tc.phase, 0.5)
			if err != nil {
				t.Fatalf("%v\n%s", err, ru.Console.Transcript().String()[before:])
			}
			if out.Window <= 0 || out.Delay != time.Duration(0.5*float64(out.Window)) || out.After.ReadyAt.IsZero() {
				t.Fatalf("outage = %+v", out)
			}
			// Three boots since before: calibration, the cut one, recovery.
			text := ru.Console.Transcript().String()[before:]
			boots := strings.Split(text, p.Bootloader.Banner)
			if len(boots) != 4 {
				t.Fatalf("want 3 boots in the transcript, got %d:\n%s", len(boots)-1, text)
			}
			cut := boots[2]
			if tc.start != p.Bootloader.Banner && !strings.Contains(cut, tc.start) {
				t.Errorf("the cut boot never reached the %s phase (%q):\n%s", tc.phase, tc.start, cut)
			}
			if strings.Contains(cut, tc.next) {
				t.Errorf("the cut landed after the %s phase ended (%q seen):\n%s", tc.phase, tc.next, cut)
			}
		})
	}
	if _, err := procedure.CutDuring(ctx, u, procedure.PhaseConfigWrite, 0.5); err == nil {
		t.Error("CutDuring accepted the config-write phase, which needs a write")
	}
	if _, err := procedure.CutDuring(ctx, u, procedure.PhaseRunning, 1.5); err == nil {
		t.Error("CutDuring accepted a moment outside the phase")
	}
}

// A write cut mid-way either completes or rolls back, never half, and the
// unit says it recovered.
func TestCutDuringWriteCompletesOrRollsBack(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	ru, u, _ := virtualUnit(t, ctx, "cam2")
	if _, err := procedure.ColdBoot(ctx, u); err != nil {
		t.Fatal(err)
	}
	cam := ru.Camera
	var st camera.State
	for st != camera.Activated {
		var err error
		if st, err = cam.ActivationState(ctx); err == nil && st == camera.Uninitialized {
			if err := cam.Activate(ctx, ru.Config.API.Password); err != nil {
				t.Fatal(err)
			}
		}
	}
	start := time.Now()
	if err := cam.SetDeviceName(ctx, "before-cut"); err != nil {
		t.Fatal(err)
	}
	window := time.Since(start)
	out, err := procedure.CutDuringWrite(ctx, u, 0.5, window, func(ctx context.Context) error {
		return cam.SetDeviceName(ctx, "after-cut")
	})
	if err != nil {
		t.Fatal(err)
	}
	var info camera.DeviceInfo
	for {
		if info, err = cam.DeviceInfo(ctx); err == nil {
			break
		}
		if ctx.Err() != nil {
			t.Fatal(err)
		}
	}
	switch info.DeviceName {
	case "before-cut":
		if out.WriteErr == nil {
			t.Errorf("the write reported success but the setting rolled back")
		}
	case "after-cut":
	default:
		t.Errorf("deviceName after a cut write = %q: half a write", info.DeviceName)
	}
	t.Logf("cut %v into a %v write: write err %v, deviceName %q, boot marks %v", out.Delay, out.Window, out.WriteErr, info.DeviceName, out.After.Marks)
}
