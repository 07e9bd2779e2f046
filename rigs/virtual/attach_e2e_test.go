package virtual_test

// The devices Start attaches by default (each unit's ISAPI server, the NVR,
// the smart plugs) driven end to end by the harness's own clients, opened
// from the rig file exactly as a spec opens them (rig.Load + rig.Open).

import (
	"context"
	"fmt"
	"log/slog"
	"net"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/camrig/camrig/harness/camera"
	"github.com/camrig/camrig/harness/console"
	"github.com/camrig/camrig/harness/notation"
	"github.com/camrig/camrig/harness/rig"
	"github.com/camrig/camrig/rigs/virtual"
	"github.com/camrig/camrig/rigs/virtual/isapisim"
	"github.com/camrig/camrig/rigs/virtual/unit"
)

// bench is a virtual rig (a relocated copy of the shipped file) and the
// harness's reading of the same file.
type bench struct {
	sim *virtual.Rig
	rig *rig.Rig
	ts  float64
}

// startBench starts the shipped rig at timescale ts on a fresh state dir.
// edit, if given, changes the rig file's text first.
func startBench(t *testing.T, ts float64, edit func(string) string) *bench {
	t.Helper()
	dir, err := os.MkdirTemp("", "camrig-attach-") // short: pty links stay readable
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	path := virtual.RelocatedRig(t, dir, ts)
	if edit != nil {
		data, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, []byte(edit(string(data))), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	t.Setenv(notation.StateDirEnv, dir)
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	sim, err := virtual.Start(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := sim.Close(); err != nil {
			t.Errorf("closing the virtual rig: %v", err)
		}
	})
	hr, err := rig.Load(path)
	if err != nil {
		t.Fatal(err)
	}
	return &bench{sim: sim, rig: hr, ts: ts}
}

// open leases and opens a unit's harness drivers; they close (power off,
// solenoid released) when the test ends.
func (b *bench) open(t *testing.T, ctx context.Context, name string) *rig.Unit {
	t.Helper()
	u, err := b.rig.Open(ctx, name, rig.WithLogger(slog.New(slog.DiscardHandler)))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { u.Close(context.Background()) })
	return u
}

// scaled is a device duration on this bench.
func (b *bench) scaled(d time.Duration) time.Duration { return time.Duration(float64(d) * b.ts) }

// eventually polls cond until it returns nil or ctx ends.
func eventually(t *testing.T, ctx context.Context, what string, cond func() error) {
	t.Helper()
	tick := time.NewTicker(10 * time.Millisecond)
	defer tick.Stop()
	for {
		err := cond()
		if err == nil {
			return
		}
		select {
		case <-ctx.Done():
			t.Fatalf("%s: %v (last: %v)", what, ctx.Err(), err)
		case <-tick.C:
		}
	}
}

func expect(t *testing.T, ctx context.Context, c *console.Console, s string) {
	t.Helper()
	if _, err := c.Expect(ctx, console.Lit(s)); err != nil {
		t.Fatalf("console: %v", err)
	}
}

func TestUnitAPIAnswersOnlyWhilePoweredAndBooted(t *testing.T) {
	b := startBench(t, 0.005, nil)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	u := b.open(t, ctx, "cam3")
	dev := b.sim.Unit("cam3")

	if _, err := u.Camera.ActivationState(ctx); err == nil {
		t.Fatal("the API answers while the unit has no power")
	}
	if err := u.Power.Set(ctx, true); err != nil {
		t.Fatal(err)
	}
	// Held in the bootloader: powered, not booted.
	bl := dev.Profile().Bootloader
	expect(t, ctx, u.Console, bl.Autoboot)
	if err := u.Console.Send(ctx, strings.Repeat(bl.InterruptKey, max(1, bl.Presses))); err != nil {
		t.Fatal(err)
	}
	if err := dev.WaitState(ctx, unit.StateShell); err != nil {
		t.Fatal(err)
	}
	if _, err := u.Camera.ActivationState(ctx); err == nil {
		t.Fatal("the API answers while the unit sits in its bootloader")
	}
	if err := u.Console.Send(ctx, "boot\r"); err != nil {
		t.Fatal(err)
	}
	expect(t, ctx, u.Console, dev.Profile().Boot.ReadyMarker)
	eventually(t, ctx, "the API of a booted unit", func() error {
		_, err := u.Camera.ActivationState(ctx)
		return err
	})
	if err := u.Power.Set(ctx, false); err != nil {
		t.Fatal(err)
	}
	eventually(t, ctx, "silence after the power cut", func() error {
		if s, err := u.Camera.ActivationState(ctx); err == nil {
			return fmt.Errorf("still answers %v", s)
		}
		return nil
	})
}

func TestFactoryResetUnitIsInactiveUntilTheNVRTakesItOver(t *testing.T) {
	// The NVR waits 1.5 s (300 s device time) before activating a unit it
	// found inactive: the window in which the harness must see it inactive.
	b := startBench(t, 0.005, func(s string) string {
		return strings.Replace(s, "activate_after: 5s", "activate_after: 300s", 1)
	})
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	u := b.open(t, ctx, "cam3")
	prof := b.sim.Unit("cam3").Profile()

	port := func() error {
		ps, err := u.NVR.Port(ctx, u.NVRPort)
		if err != nil {
			return err
		}
		if !ps.Online || ps.Detect != "connect" {
			return fmt.Errorf("port %d: online %v, %s", u.NVRPort, ps.Online, ps.Detect)
		}
		return nil
	}
	if err := u.Power.Set(ctx, true); err != nil {
		t.Fatal(err)
	}
	expect(t, ctx, u.Console, prof.Boot.ReadyMarker)
	eventually(t, ctx, "the NVR activating the factory-fresh unit", port)
	// The unit's password_file holds what the NVR activated it with.
	if err := u.Camera.SetDeviceName(ctx, "bench cam3"); err != nil {
		t.Fatalf("login with the unit's password after the NVR's activation: %v", err)
	}

	hold := b.scaled(prof.Holds.Factory.Hold)
	if _, err := u.Press.Press(ctx, hold); err != nil {
		t.Fatal(err)
	}
	expect(t, ctx, u.Console, prof.Boot.FactoryMarker)
	expect(t, ctx, u.Console, prof.Boot.ReadyMarker)
	var state camera.State
	eventually(t, ctx, "the API after the factory reset", func() (err error) {
		state, err = u.Camera.ActivationState(ctx)
		return err
	})
	if state != camera.Uninitialized {
		t.Fatalf("after a factory-reset hold the unit says %v", state)
	}
	eventually(t, ctx, "the NVR re-activating the reset unit", port)
	if state, err := u.Camera.ActivationState(ctx); err != nil || state != camera.Activated {
		t.Fatalf("after the NVR took it over: %v, %v", state, err)
	}
	info, err := u.Camera.DeviceInfo(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if info.DeviceName != isapisim.DefaultDeviceName {
		t.Fatalf("device name %q survived the factory reset", info.DeviceName)
	}
}

func TestSmartPlugsPowerTheirUnits(t *testing.T) {
	b := startBench(t, 0.005, nil)
	for _, tc := range []struct{ unit, driver string }{{"cam1", "tasmota"}, {"cam4", "shelly"}} {
		t.Run(tc.unit, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			defer cancel()
			u := b.open(t, ctx, tc.unit)
			dev := b.sim.Unit(tc.unit)
			if !strings.HasPrefix(u.Power.String(), tc.driver) {
				t.Fatalf("%s's power is %v, want a %s plug", tc.unit, u.Power, tc.driver)
			}
			if dev.Powered() {
				t.Fatal("powered before the plug switched on")
			}
			if err := u.Power.Set(ctx, true); err != nil {
				t.Fatal(err)
			}
			if on, err := u.Power.Get(ctx); err != nil || !on {
				t.Fatalf("plug reads %v, %v", on, err)
			}
			expect(t, ctx, u.Console, dev.Profile().Boot.ReadyMarker)
			eventually(t, ctx, "the API of the unit the plug powered", func() error {
				_, err := u.Camera.ActivationState(ctx)
				return err
			})
			if err := u.Power.Set(ctx, false); err != nil {
				t.Fatal(err)
			}
			if dev.Powered() {
				t.Fatal("still powered after the plug switched off")
			}
		})
	}
}

func TestShippedRigStartsWhole(t *testing.T) {
	b := startBench(t, 0, nil)
	var out strings.Builder
	b.sim.Describe(&out)
	for _, want := range []string{
		"api    cam1", "api    cam2", "api    cam3", "api    cam4", "nvr    nvr",
		"port 2 = cam2, port 3 = cam3, port 4 = cam4; 4 PoE ports",
		"note: cam1 is on NVR port 1, but profile blink does not sync with an NVR",
		"plug   tasmota", "relay 1 = cam1 power", "plug   shelly", "relay 0 = cam4 power",
		"nvr-camera", "cam1-plug", "cam4-plug",
	} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("Describe lacks %q:\n%s", want, out.String())
		}
	}
	for _, bad := range []string{"not served", "not simulated"} {
		if strings.Contains(out.String(), bad) {
			t.Errorf("Describe says %q:\n%s", bad, out.String())
		}
	}
	camPW, err := b.sim.Password(virtual.CameraSecret)
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"cam2", "cam3", "cam4"} {
		pw, err := b.sim.Password(name)
		if err != nil || pw != camPW {
			t.Errorf("%s's password is not the NVR's camera password (%v)", name, err)
		}
	}
	if pw, err := b.sim.Password("cam1"); err != nil || pw == camPW {
		t.Errorf("cam1 (no NVR sync) should keep a password of its own (%v)", err)
	}
	if strings.Contains(out.String(), camPW) {
		t.Fatal("Describe printed a password")
	}
}

func TestCloseFreesTheAddresses(t *testing.T) {
	b := startBench(t, 0.005, nil)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	u := b.open(t, ctx, "cam4")
	if err := u.Power.Set(ctx, true); err != nil {
		t.Fatal(err)
	}
	expect(t, ctx, u.Console, b.sim.Unit("cam4").Profile().Boot.ReadyMarker)
	eventually(t, ctx, "cam4's API", func() error {
		_, err := u.Camera.ActivationState(ctx)
		return err
	})
	if err := b.sim.Close(); err != nil {
		t.Fatal(err)
	}
	// The next rig can bind every address at once.
	uf := b.sim.UnitFile("cam4")
	for _, raw := range []string{uf.API.URL, uf.Power.URL, b.sim.File().NVR.API} {
		addr := strings.TrimPrefix(raw, "http://")
		ln, err := net.Listen("tcp", addr)
		if err != nil {
			t.Fatalf("%s still taken after Close: %v", addr, err)
		}
		ln.Close()
	}
}
