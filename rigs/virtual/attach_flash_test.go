package virtual_test

import (
	"context"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/camrig/camrig/harness/fwimage"
	"github.com/camrig/camrig/rigs/virtual"
	"github.com/camrig/camrig/rigs/virtual/unit"
)

// bricked marks cam4 bricked in the rig file's sim section.
func bricked(s string) string {
	return strings.Replace(s, "\nsim:\n", "\nsim:\n  units: {cam4: {bricked: true}}\n", 1)
}

func TestUnitsBootFromTheImageInTheirFlash(t *testing.T) {
	b := startBench(t, 0.005, nil)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	u := b.open(t, ctx, "cam4")
	if err := u.Power.Set(ctx, true); err != nil {
		t.Fatal(err)
	}
	expect(t, ctx, u.Console, "Image Name:   firmware "+virtual.FirmwareVersion)
	expect(t, ctx, u.Console, b.sim.Unit("cam4").Profile().Boot.ReadyMarker)
	chip := b.sim.Flash("cam4")
	if chip == nil || !strings.HasSuffix(chip.Path(), "/flash/cam4.bin") {
		t.Fatalf("cam4's flash: %v", chip)
	}
	if fi, err := os.Stat(chip.Path()); err != nil || fi.Size() != 8<<20 {
		t.Fatalf("flash file of the profile's 8MiB: %v, %v", fi, err)
	}
}

func TestBrickedUnitStopsAtItsBootloaderUntilItsImageIsGood(t *testing.T) {
	b := startBench(t, 0.005, bricked)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	u := b.open(t, ctx, "cam4")
	dev := b.sim.Unit("cam4")
	if err := u.Power.Set(ctx, true); err != nil {
		t.Fatal(err)
	}
	expect(t, ctx, u.Console, "Bad firmware image: fwimage: payload CRC mismatch")
	expect(t, ctx, u.Console, dev.Profile().Bootloader.Prompt)
	if err := dev.WaitState(ctx, unit.StateBricked); err != nil {
		t.Fatal(err)
	}
	if _, err := u.Camera.ActivationState(ctx); err == nil {
		t.Fatal("a bricked unit's API answers")
	}

	// What a reflash does, straight to the chip: erase, write a good
	// image; then the bootloader's boot command checks it again.
	chip := b.sim.Flash("cam4")
	const fwOff, eraseSize = 0x80000, 64 << 10
	img := fwimage.Generate("no-button", "V2.0.0 reflashed", 100<<10, 7)
	if err := chip.Erase(ctx, fwOff, (len(img)+eraseSize-1)/eraseSize*eraseSize); err != nil {
		t.Fatal(err)
	}
	if err := chip.Program(ctx, fwOff, img); err != nil {
		t.Fatal(err)
	}
	if err := u.Console.Send(ctx, "boot\r"); err != nil {
		t.Fatal(err)
	}
	expect(t, ctx, u.Console, "Image Name:   firmware V2.0.0 reflashed")
	expect(t, ctx, u.Console, dev.Profile().Boot.ReadyMarker)
}

func TestFlashPersistsAndBrickedCorruptsAtEveryStart(t *testing.T) {
	dir := t.TempDir()
	path := virtual.RelocatedRig(t, dir, 0.005)
	data, _ := os.ReadFile(path)
	brickedPath := dir + "/bricked.yaml"
	os.WriteFile(brickedPath, []byte(bricked(string(data))), 0o644)

	// start runs the rig once, then (if given) repair writes a good image
	// to cam4's chip, and returns the rig's line about cam4's flash.
	start := func(rigPath string, repair bool) string {
		t.Helper()
		r, err := virtual.Start(context.Background(), rigPath, virtual.WithStateDir(dir))
		if err != nil {
			t.Fatal(err)
		}
		defer r.Close()
		if repair {
			chip := r.Flash("cam4")
			img := fwimage.Generate("no-button", "V3 repaired", 4<<10, 3)
			if err := chip.Erase(context.Background(), 0x80000, 64<<10); err != nil {
				t.Fatal(err)
			}
			if err := chip.Program(context.Background(), 0x80000, img); err != nil {
				t.Fatal(err)
			}
		}
		var out strings.Builder
		r.Describe(&out)
		for _, line := range strings.Split(out.String(), "\n") {
			if strings.Contains(line, "flash  cam4") {
				return line
			}
		}
		t.Fatalf("no flash line for cam4:\n%s", out.String())
		return ""
	}
	for i, step := range []struct {
		rig    string
		repair bool
		want   string
	}{
		{path, false, "firmware " + virtual.FirmwareVersion}, // fresh chip: a good image
		{brickedPath, false, "bricked: fwimage: payload CRC mismatch"},
		{path, true, "bricked: fwimage: payload CRC mismatch"}, // the chip keeps what it holds...
		{path, false, "firmware V3 repaired"},                  // ...a repair too
		{brickedPath, false, "bricked: fwimage: payload CRC mismatch"},
	} {
		if line := start(step.rig, step.repair); !strings.Contains(line, step.want) {
			t.Fatalf("start %d: %q, want %q", i+1, line, step.want)
		}
	}
}

func TestImageForAnotherModelDoesNotBoot(t *testing.T) {
	b := startBench(t, 0.005, nil)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	chip := b.sim.Flash("cam4")
	img := fwimage.Generate("blink", "V9", 1<<10, 1)
	if err := chip.Erase(ctx, 0x80000, 64<<10); err != nil {
		t.Fatal(err)
	}
	if err := chip.Program(ctx, 0x80000, img); err != nil {
		t.Fatal(err)
	}
	u := b.open(t, ctx, "cam4")
	if err := u.Power.Set(ctx, true); err != nil {
		t.Fatal(err)
	}
	expect(t, ctx, u.Console, `Bad firmware image: image is for model "blink", not no-button`)
}
