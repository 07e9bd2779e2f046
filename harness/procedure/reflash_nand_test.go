package procedure_test

import (
	"bytes"
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
	"github.com/camrig/camrig/harness/uboot"
	"github.com/camrig/camrig/rigs/virtual"
	"github.com/camrig/camrig/rigs/virtual/flashsim"
	"github.com/camrig/camrig/rigs/virtual/unit"
	"github.com/camrig/camrig/rigs/virtual/virtualtest"
)

// The no-button model as if it had a 1 Gbit-class SPI NAND (8 MiB here,
// 128 KiB blocks, 2 KiB pages), reflashed through `nand erase.part`,
// `nand write`, `nand read` and a read-back CRC.
const nandFlash = `flash:
  kind: spi-nand
  chip: W25N01GV
  size: 8MiB
  erase_size: 128KiB
  page_size: 2KiB
  load_addr: 0x80600000
  firmware: firmware
  erase_part: true
  image: {format: camrig}
  partitions:
    - {name: uboot, offset: 0x0, size: 1MiB}
    - {name: config, offset: 0x100000, size: 1MiB}
    - {name: firmware, offset: 0x200000, size: 6MiB}
`

// nandFW is the firmware partition's first block number.
const nandFW = 16

// nandRig starts the shipped virtual rig with cam4 on NAND (factory bad
// blocks 17 and 20, in the firmware partition), bricked, plus simUnit's
// extra sim.units.cam4 settings.
func nandRig(t *testing.T, simUnit string) (*rig.Rig, *virtual.Rig) {
	t.Helper()
	dir := t.TempDir()
	t.Setenv(notation.StateDirEnv, dir)
	profiles := filepath.Join(t.TempDir(), "profiles")
	if err := os.MkdirAll(profiles, 0o755); err != nil {
		t.Fatal(err)
	}
	src := filepath.Join("..", "..", "fixtures", "profiles")
	entries, err := os.ReadDir(src)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		b, err := os.ReadFile(filepath.Join(src, e.Name()))
		if err != nil {
			t.Fatal(err)
		}
		s := string(b)
		if i := strings.Index(s, "boot_script: "); i >= 0 {
			abs, _ := filepath.Abs(src)
			s = strings.Replace(s, "boot_script: ", "boot_script: "+abs+"/", 1)
		}
		if e.Name() == "no-button.yaml" {
			i, j := strings.Index(s, "\nflash:\n"), strings.Index(s, "\napi:")
			if i < 0 || j < i {
				t.Fatal("no-button.yaml layout changed")
			}
			s = s[:i+1] + nandFlash + s[j+1:]
		}
		if err := os.WriteFile(filepath.Join(profiles, e.Name()), []byte(s), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	path := virtualtest.Relocate(t, filepath.Join("..", "..", "rigs", "virtual.yaml"), t.TempDir(), 0)
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	s := string(data)
	i := strings.Index(s, "\nprofiles: ")
	j := strings.Index(s[i+1:], "\n")
	s = s[:i] + "\nprofiles: " + profiles + s[i+1+j:]
	s = strings.Replace(s, "\nsim:\n", "\nsim:\n  units:\n    cam4: {bricked: true, nand_bad_blocks: [17, 20]"+simUnit+"}\n", 1)
	if err := os.WriteFile(path, []byte(s), 0o644); err != nil {
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

// goodBlocks reads n bytes from the firmware partition's good blocks, as
// U-Boot's nand read does.
func goodBlocks(t *testing.T, chip *flashsim.NAND, n int) []byte {
	t.Helper()
	bs := chip.Geometry().BlockSize
	var out []byte
	for b := nandFW * bs; len(out) < n; b += bs {
		if chip.IsBad(b) {
			continue
		}
		buf := make([]byte, min(bs, n-len(out)))
		if _, err := chip.ReadAt(buf, int64(b)); err != nil {
			t.Fatal(err)
		}
		out = append(out, buf...)
	}
	return out
}

func erased(t *testing.T, chip *flashsim.NAND, block int) bool {
	bs := chip.Geometry().BlockSize
	buf := make([]byte, bs)
	chip.ReadAt(buf, int64(block*bs))
	return bytes.Count(buf, []byte{0xFF}) == bs
}

// A bricked NAND unit is reflashed past its factory bad blocks: the image
// lands in the good blocks, the bad ones stay untouched, the unit boots.
func TestReflashSPINANDSkipsBadBlocks(t *testing.T) {
	r, sim := nandRig(t, "")
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	_, target := openCam4(t, ctx, r)
	chip := sim.NAND("cam4")
	if chip == nil {
		t.Fatal("cam4 has no emulated NAND")
	}
	image := fwimage.Generate("no-button", "V5.0.0-nand", 600<<10, 3) // 5 blocks: runs across 17 and 20
	res, err := procedure.Reflash(ctx, target, image, procedure.ReflashOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(strings.Join(res.Plan.Commands, "\n"), "nand erase.part firmware") {
		t.Errorf("plan %v", res.Plan.Commands)
	}
	if !bytes.Equal(goodBlocks(t, chip, len(image)), image) {
		t.Fatal("the good blocks do not hold the image")
	}
	if !erased(t, chip, 17) || !erased(t, chip, 20) {
		t.Fatal("a bad block was written")
	}
	upCtx, upCancel := context.WithTimeout(ctx, 10*time.Second)
	defer upCancel()
	if err := sim.Unit("cam4").WaitState(upCtx, unit.StateUp); err != nil {
		t.Fatalf("cam4 is %v after the reflash: %v", sim.Unit("cam4").State(), err)
	}
}

// A block whose program fails is marked bad by the chip; the reflash
// fails at its write step quoting the bootloader, and the rerun skips the
// new bad block and completes.
func TestReflashSPINANDProgramFailureThenRerun(t *testing.T) {
	r, sim := nandRig(t, ", nand_fail_program: [18]")
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	_, target := openCam4(t, ctx, r)
	chip := sim.NAND("cam4")
	image := fwimage.Generate("no-button", "V5.1.0-nand", 400<<10, 4)
	_, err := procedure.Reflash(ctx, target, image, procedure.ReflashOptions{})
	var re *procedure.ReflashError
	if !errors.As(err, &re) || re.Step != procedure.StepWrite || !strings.Contains(err.Error(), "ERROR") {
		t.Fatalf("a failing program: %v", err)
	}
	if !chip.IsBad(18 * chip.Geometry().BlockSize) {
		t.Fatal("the failed block was not marked bad")
	}
	res, err := procedure.Reflash(ctx, target, image, procedure.ReflashOptions{})
	if err != nil {
		t.Fatalf("rerun: %v", err)
	}
	if res.Version != "V5.1.0-nand" || !bytes.Equal(goodBlocks(t, chip, len(image)), image) {
		t.Fatal("the rerun did not put the image in the good blocks")
	}
}

// A power cut while the NAND is being erased (its first block half
// erased) or written (first page new, last not) leaves a unit that stops
// in its bootloader; the reflash says at once that the unit restarted,
// rather than after the erase's whole deadline, and a rerun completes.
// The simulator's power_cut_during switch cuts inside the first erase or
// program, so the cut lands where it is meant to on every run.
func TestReflashSPINANDPowerCutMidEraseOrWrite(t *testing.T) {
	image := fwimage.Generate("no-button", "V5.2.0-nand", 300<<10, 5) // 3 blocks
	// marker is programmed half-way into the partition's first block
	// before an erase is cut: an erase that ran past the cut would wipe it.
	marker := bytes.Repeat([]byte{0x5a}, 2048)
	for _, c := range []struct {
		during, step string
		// left says what the cut must have left, given the NAND.
		left func(page func(off int) []byte, bs int) string
	}{
		{"erase", procedure.StepErase, func(page func(int) []byte, bs int) string {
			if !bytes.Equal(page(nandFW*bs), bytes.Repeat([]byte{0xff}, 2048)) || !bytes.Equal(page(nandFW*bs+bs/2), marker) {
				return "want the first block's first half erased and its second half as it was"
			}
			return ""
		}},
		{"write", procedure.StepWrite, func(page func(int) []byte, bs int) string {
			// The image's first page went to the partition's first good
			// block; its last page, in the third good block (16, 18, 19:
			// 17 is bad), not.
			lastBlock := (nandFW + 3) * bs
			if !bytes.Equal(page(nandFW*bs), image[:2048]) || bytes.Equal(page(lastBlock+(len(image)-2*bs)-2048), image[len(image)-2048:]) {
				return "the NAND does not hold a half-written image (first page new, last not)"
			}
			return ""
		}},
	} {
		t.Run(c.during, func(t *testing.T) {
			r, sim := nandRig(t, ", power_cut_during: "+c.during)
			ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
			defer cancel()
			u, target := openCam4(t, ctx, r)
			chip := sim.NAND("cam4")
			device := sim.Unit("cam4")
			if c.step == procedure.StepErase {
				bs := chip.Geometry().BlockSize
				half := append(bytes.Repeat([]byte{0xff}, bs/2), marker...)
				if err := chip.ProgramBlock(ctx, nandFW*bs, half); err != nil {
					t.Fatal(err)
				}
			}
			start := time.Now()
			_, err := procedure.Reflash(ctx, target, image, procedure.ReflashOptions{
				CommandTimeout: 5 * time.Second,
				Bauds:          []int{921600},
			})
			var rerr *procedure.ReflashError
			if !errors.As(err, &rerr) || rerr.Step != c.step || !errors.Is(err, uboot.ErrRestarted) {
				t.Fatalf("after a power cut during the %s the reflash returned %v, want an error at step %q saying the unit restarted", c.during, err, c.step)
			}
			t.Logf("stopped %v after the start: %v", time.Since(start).Round(time.Millisecond), err)
			page := func(off int) []byte {
				b := make([]byte, 2048)
				if _, err := chip.ReadAt(b, int64(off)); err != nil {
					t.Fatal(err)
				}
				return b
			}
			if why := c.left(page, chip.Geometry().BlockSize); why != "" {
				t.Fatalf("after the cut during the %s: %s", c.during, why)
			}
			powerBack(t, ctx, u, device)
			if st := device.State(); st != unit.StateBricked {
				t.Fatalf("after a cut during the %s the unit is %v, want bricked", c.during, st)
			}
			res, err := procedure.Reflash(ctx, target, image, procedure.ReflashOptions{Bauds: []int{921600}})
			if err != nil || res.Version != "V5.2.0-nand" {
				t.Fatalf("rerun: %+v %v", res, err)
			}
		})
	}
}
