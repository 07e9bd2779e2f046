package uboot_test

import (
	"bytes"
	"context"
	"errors"
	"hash/crc32"
	"math/rand/v2"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/camrig/camrig/harness/console"
	"github.com/camrig/camrig/harness/profile"
	"github.com/camrig/camrig/harness/qemu"
	"github.com/camrig/camrig/harness/uboot"
	"github.com/camrig/camrig/rigs/virtual/qemusim"
	"github.com/camrig/camrig/rigs/virtual/qemusim/qemutest"
)

// realUBoot boots Debian's u-boot-qemu under QEMU and returns a console
// on its UART, powered on. Skips when the packages are missing.
func realUBoot(t *testing.T) (*qemusim.Machine, *console.Console, *profile.Profile) {
	t.Helper()
	prof, err := profile.Load("../../fixtures/profiles/qemu-arm-virt.yaml")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	m := qemutest.Start(t, ctx)
	con, err := console.Open(ctx, console.Config{Port: m.SerialPort(), Baud: 115200})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if t.Failed() || os.Getenv("CAMRIG_SHOW_TRANSCRIPT") != "" {
			t.Logf("console transcript:\n%s", con.Transcript().String())
		}
		con.Close()
	})
	// Power on through QEMU's machine protocol, as the qemu power backend
	// does.
	qmp, err := qemu.Dial(ctx, m.QMPPort())
	if err != nil {
		t.Fatal(err)
	}
	defer qmp.Close()
	if err := qmp.ColdStart(ctx); err != nil {
		t.Fatal(err)
	}
	return m, con, prof
}

func TestSessionAgainstRealUBoot(t *testing.T) {
	m, con, prof := realUBoot(t)
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	s := uboot.New(con, prof.Bootloader)
	if err := s.Interrupt(ctx); err != nil {
		t.Fatal(err)
	}
	out, err := s.Run(ctx, "version")
	if err != nil || !strings.HasPrefix(out, "U-Boot 2023.01") {
		t.Fatalf("version: %q, %v", out, err)
	}
	// A failing command carries its status and what the unit said.
	_, err = s.Run(ctx, "nosuchcmd")
	var ce *uboot.CommandError
	if !errors.As(err, &ce) || ce.RC != 1 || !strings.Contains(err.Error(), "Unknown command") {
		t.Fatalf("unknown command: %v", err)
	}

	img := make([]byte, 4096)
	rand.NewChaCha8([32]byte{1}).Read(img)
	load := uint64(prof.Flash.LoadAddr)
	var progressed int64
	if _, err := s.LoadY(ctx, load, 0, img, func(sent, total int64) { progressed = sent }); err != nil {
		t.Fatal(err)
	}
	if progressed != int64(len(img)) {
		t.Errorf("progress ended at %d of %d", progressed, len(img))
	}
	if v, err := s.Env(ctx, "filesize"); err != nil || v != "1000" {
		t.Errorf("filesize = %q, %v; want 1000 (hex)", v, err)
	}
	sum, err := s.CRC32(ctx, load, uint64(len(img)))
	if err != nil || sum != crc32.ChecksumIEEE(img) {
		t.Fatalf("crc32 in RAM = %08x, %v; want %08x", sum, err, crc32.ChecksumIEEE(img))
	}

	fw, _ := prof.Flash.Partition("firmware")
	dst := uint64(fw.Offset)
	// The environment sectors are protected: erasing them is refused.
	env, _ := prof.Flash.Partition("env")
	if _, err := s.FlashErase(ctx, uint64(env.Offset), 0x20000); err == nil || !strings.Contains(err.Error(), "protected sectors were not erased") {
		t.Fatalf("erasing the protected env: %v", err)
	}
	if n, err := s.FlashProtect(ctx, false, dst, uint64(prof.Flash.EraseSize)); err != nil || n != 1 {
		t.Fatalf("protect off: %d sectors, %v", n, err)
	}
	if n, err := s.FlashErase(ctx, dst, uint64(prof.Flash.EraseSize)); err != nil || n != 1 {
		t.Fatalf("erase: %d sectors, %v", n, err)
	}
	if err := s.CopyToFlash(ctx, load, dst, uint64(len(img))); err != nil {
		t.Fatal(err)
	}
	if err := s.CompareBytes(ctx, load, dst, uint64(len(img))); err != nil {
		t.Fatal(err)
	}
	if sum, err := s.CRC32(ctx, dst, uint64(len(img))); err != nil || sum != crc32.ChecksumIEEE(img) {
		t.Fatalf("crc32 of flash = %08x, %v", sum, err)
	}
	// cmp.b names the first difference.
	err = s.CompareBytes(ctx, load, dst+1, 16)
	var me *uboot.MismatchError
	if !errors.As(err, &me) || me.Compare.Mismatch == nil || me.Compare.Mismatch.AddrA != load {
		t.Fatalf("shifted compare: %v", err)
	}
	if err := s.Reset(ctx); err != nil {
		t.Fatal(err)
	}
	if _, err := con.Expect(ctx, console.Lit(prof.Boot.ReadyMarker)); err != nil {
		t.Fatal(err)
	}
	m.Close()
	onDisk, err := qemusim.ReadPFlash(m.PFlash(), dst, len(img))
	if err != nil || !bytes.Equal(onDisk, img) {
		t.Fatalf("pflash file at %#x does not hold the image (%v)", dst, err)
	}
}

// The simple framing (for bootloaders without hush) works against real
// U-Boot too: its parser drops the quotes that keep the typed echo from
// matching the end marker, and failures are read from the output.
func TestSimpleFramingAgainstRealUBoot(t *testing.T) {
	_, con, prof := realUBoot(t)
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	bl := prof.Bootloader
	bl.Framing = uboot.FramingSimple
	s := uboot.New(con, bl)
	if err := s.Interrupt(ctx); err != nil {
		t.Fatal(err)
	}
	out, err := s.Run(ctx, "version")
	if err != nil || !strings.HasPrefix(out, "U-Boot 2023.01") {
		t.Fatalf("version: %q, %v", out, err)
	}
	_, err = s.Run(ctx, "nosuchcmd")
	var ce *uboot.CommandError
	if !errors.As(err, &ce) || ce.RC != 1 || !strings.Contains(err.Error(), "Unknown command") {
		t.Fatalf("unknown command: %v", err)
	}
	if sum, err := s.CRC32(ctx, uint64(prof.Flash.LoadAddr), 16); err != nil || sum == 0 {
		t.Fatalf("crc32: %08x %v", sum, err)
	}
}
