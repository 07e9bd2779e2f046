package procedure

import (
	"errors"
	"fmt"

	"github.com/camrig/camrig/harness/fwimage"
	"github.com/camrig/camrig/harness/profile"
)

// ReflashPlan is where an image goes and the bootloader commands that put
// it there: what `camrig reflash --dry-run` prints and what Reflash runs.
type ReflashPlan struct {
	Kind      string // spi-nor, cfi-nor, spi-nand, nand or mmc
	Partition profile.Partition
	Size      uint64 // image bytes
	LoadAddr  uint64 // RAM the image is loaded to
	// FlashAddr is where the partition starts in the bootloader's terms:
	// the SPI NOR offset, the CFI bus address (FlashBase + offset), or the
	// first 512-byte eMMC block.
	FlashAddr uint64
	// EraseLen is Size rounded up to whole erase blocks (NOR).
	EraseLen uint64
	// VerifyAddr is the RAM the flash is read back into (SPI NOR, eMMC).
	VerifyAddr uint64
	// Commands are the bootloader commands after the YMODEM load, in order.
	Commands []string
	// NANDTarget is the offset or partition name the nand commands take.
	NANDTarget string
	// Image is what PrepareReflash's format check found.
	Image fwimage.Info
}

const mmcBlock = 512

// PlanReflash checks that image fits the profile's firmware partition and
// lays out the flash job.
func PlanReflash(p *profile.Profile, size int, opts ReflashOptions) (*ReflashPlan, error) {
	f := p.Flash
	if size <= 0 {
		return nil, errors.New("the image is empty")
	}
	if f.Firmware == "" {
		return nil, fmt.Errorf("profile %s names no firmware partition (flash.firmware)", p.Model)
	}
	part, ok := f.Partition(f.Firmware)
	if !ok {
		return nil, fmt.Errorf("profile %s has no partition %q", p.Model, f.Firmware)
	}
	if uint64(size) > uint64(part.Size) {
		return nil, fmt.Errorf("the image is %d bytes; partition %q of %s holds %d (%v)", size, part.Name, p.Model, uint64(part.Size), part.Size)
	}
	if f.LoadAddr == 0 {
		return nil, fmt.Errorf("profile %s has no flash.load_addr to load the image to", p.Model)
	}
	n := uint64(size)
	pl := &ReflashPlan{Kind: f.Kind, Partition: part, Size: n, LoadAddr: uint64(f.LoadAddr)}
	erase := uint64(f.EraseSize)
	if erase > 0 {
		pl.EraseLen = (n + erase - 1) / erase * erase
	}
	pl.VerifyAddr = opts.VerifyAddr
	if pl.VerifyAddr == 0 {
		// Past the image, on a MiB boundary: clear of the loaded copy.
		pl.VerifyAddr = pl.LoadAddr + (n+(1<<20)-1)>>20<<20
	}
	off := uint64(part.Offset)
	switch f.Kind {
	case "spi-nor":
		pl.FlashAddr = off
		pl.Commands = []string{
			"sf probe 0",
			fmt.Sprintf("sf erase %#x %#x", off, pl.EraseLen),
			fmt.Sprintf("sf write %#x %#x %#x", pl.LoadAddr, off, n),
			fmt.Sprintf("sf read %#x %#x %#x", pl.VerifyAddr, off, n),
			fmt.Sprintf("crc32 %#x %#x", pl.VerifyAddr, n),
		}
	case "cfi-nor":
		pl.FlashAddr = opts.FlashBase + off
		pl.VerifyAddr = 0 // memory mapped: verified in place
		program := fmt.Sprintf("cp.b %#x %#x %#x", pl.LoadAddr, pl.FlashAddr, n)
		if f.Program == "words" {
			program = fmt.Sprintf("program %#x..%#x word by word (hush loop: setexpr, mw.l CFI word program)", pl.FlashAddr, pl.FlashAddr+n)
		}
		pl.Commands = []string{
			fmt.Sprintf("protect off %#x +%#x", pl.FlashAddr, pl.EraseLen),
			fmt.Sprintf("erase %#x +%#x", pl.FlashAddr, pl.EraseLen),
			program,
			fmt.Sprintf("crc32 %#x %#x", pl.FlashAddr, n),
		}
	case "spi-nand", "nand":
		// U-Boot's nand commands skip bad blocks. Naming the partition
		// (erase_part: the bootloader has mtdparts) bounds that skipping
		// to it; offsets let it run into the next partition, so the
		// whole partition is erased and the limit is the bootloader's.
		pl.FlashAddr = off
		pl.EraseLen = uint64(part.Size)
		where := fmt.Sprintf("%#x", off)
		erase := fmt.Sprintf("nand erase %#x %#x", off, pl.EraseLen)
		if f.ErasePart {
			where = part.Name
			erase = "nand erase.part " + part.Name
		}
		pl.NANDTarget = where
		pl.Commands = []string{
			erase,
			fmt.Sprintf("nand write %#x %s %#x", pl.LoadAddr, where, n),
			fmt.Sprintf("nand read %#x %s %#x", pl.VerifyAddr, where, n),
			fmt.Sprintf("crc32 %#x %#x", pl.VerifyAddr, n),
		}
	case "mmc":
		if off%mmcBlock != 0 {
			return nil, fmt.Errorf("partition %q starts at %#x, not on a %d-byte block", part.Name, off, mmcBlock)
		}
		pl.FlashAddr = off / mmcBlock
		cnt := (n + mmcBlock - 1) / mmcBlock
		pl.Commands = []string{
			fmt.Sprintf("mmc write %#x %#x %#x", pl.LoadAddr, pl.FlashAddr, cnt),
			fmt.Sprintf("mmc read %#x %#x %#x", pl.VerifyAddr, pl.FlashAddr, cnt),
			fmt.Sprintf("crc32 %#x %#x", pl.VerifyAddr, n),
		}
	default:
		return nil, fmt.Errorf("profile %s: flash kind %q cannot be reflashed", p.Model, f.Kind)
	}
	return pl, nil
}
