package virtual_test

import (
	"bytes"
	"context"
	"fmt"
	"hash/crc32"
	"testing"
	"time"

	"github.com/camrig/camrig/harness/fwimage"
	"github.com/camrig/camrig/harness/ymodem"
	"github.com/camrig/camrig/rigs/virtual/unit"
)

// A bricked unit recovered by hand over its console, as a firmware engineer
// would: the image goes over YMODEM (the harness's sender) into RAM at the
// load address, crc32 checks it there, sf erases and writes the firmware
// partition, and the next boot runs the new image.
func TestBrickedUnitIsRecoveredThroughItsBootloaderCommands(t *testing.T) {
	b := startBench(t, 0.01, bricked)
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	u := b.open(t, ctx, "cam4")
	dev := b.sim.Unit("cam4")
	prompt := dev.Profile().Bootloader.Prompt
	if err := u.Power.Set(ctx, true); err != nil {
		t.Fatal(err)
	}
	expect(t, ctx, u.Console, prompt)
	if err := dev.WaitState(ctx, unit.StateBricked); err != nil {
		t.Fatal(err)
	}
	run := func(cmd string, want ...string) {
		t.Helper()
		if err := u.Console.Send(ctx, cmd+"\r"); err != nil {
			t.Fatal(err)
		}
		for _, w := range want {
			expect(t, ctx, u.Console, w)
		}
		expect(t, ctx, u.Console, prompt)
	}

	img := fwimage.Generate("no-button", "V2.1.0 recovered", 6<<10, 42)
	load := uint64(dev.Profile().Flash.LoadAddr)
	if err := u.Console.Send(ctx, fmt.Sprintf("loady 0x%x\r", load)); err != nil {
		t.Fatal(err)
	}
	expect(t, ctx, u.Console, "## Ready for binary (ymodem) download")
	if _, err := ymodem.New(u.Console).YModem(ctx, ymodem.File{Name: "fw.bin", Data: img}); err != nil {
		t.Fatal(err)
	}
	expect(t, ctx, u.Console, prompt)
	run(fmt.Sprintf("crc32 0x%x 0x%x", load, len(img)), fmt.Sprintf("==> %08x", crc32.ChecksumIEEE(img)))
	run("sf probe", "SF: Detected MX25L64")
	run("sf erase 0x80000 0x10000")
	run(fmt.Sprintf("sf write 0x%x 0x80000 0x%x", load, len(img)))
	got := make([]byte, len(img))
	if _, err := b.sim.Flash("cam4").ReadAt(got, 0x80000); err != nil || !bytes.Equal(got, img) {
		t.Fatalf("the firmware partition does not hold the image (%v)", err)
	}
	if err := u.Console.Send(ctx, "boot\r"); err != nil {
		t.Fatal(err)
	}
	expect(t, ctx, u.Console, "Image Name:   firmware V2.1.0 recovered")
	expect(t, ctx, u.Console, dev.Profile().Boot.ReadyMarker)
}
