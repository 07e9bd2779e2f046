package virtual

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/camrig/camrig/harness/fwimage"
	"github.com/camrig/camrig/rigs/virtual/flashsim"
	"github.com/camrig/camrig/rigs/virtual/ubootsim"
	"github.com/camrig/camrig/rigs/virtual/unit"
)

// SPI NAND timing of a typical 1 Gbit part (W25N01GV class datasheet:
// page program ~250 us, 128 KiB block erase ~2 ms), device time.
const (
	nandPageProgram = 250 * time.Microsecond
	nandBlockErase  = 2 * time.Millisecond
)

// openNAND opens (or makes, with the factory bad blocks of sim.units and a
// valid image) the unit's NAND chip at ${state_dir}/flash/<unit>.bin.
func (r *Rig) openNAND(u *unit.Unit, fl *unitFlash) (*unitFlash, error) {
	f := u.Profile().Flash
	su := r.file.Sim.Units[u.Name()]
	if f.PageSize == 0 {
		return nil, fmt.Errorf("profile %s: a NAND flash needs flash.page_size", u.Profile().File)
	}
	g := flashsim.NANDGeometry{Name: f.Chip, Size: int(f.Size), BlockSize: int(f.EraseSize), PageSize: int(f.PageSize),
		PageProgram: u.Scale(nandPageProgram), Erase: u.Scale(nandBlockErase), FactoryBad: su.NANDBadBlocks}
	for _, p := range f.Partitions {
		fl.parts = append(fl.parts, ubootsim.Part{Name: p.Name, Off: int(p.Offset), Size: int(p.Size)})
	}
	path := filepath.Join(r.file.StateDir, "flash", u.Name()+".bin")
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return nil, err
	}
	_, statErr := os.Stat(path)
	fresh := errors.Is(statErr, os.ErrNotExist)
	var err error
	if fl.nand, err = flashsim.OpenNAND(path, g); err != nil {
		return nil, err
	}
	if fresh {
		img := fwimage.Generate(u.Model(), FirmwareVersion, initialFirmware, int64(len(u.Name())))
		if err := fl.writeNAND(img); err != nil {
			fl.nand.Close()
			os.Remove(path)
			os.Remove(path + ".bbt")
			return nil, fmt.Errorf("writing the first firmware image: %w", err)
		}
	}
	for _, b := range su.NANDFailProgram {
		fl.nand.FailProgram(b * g.BlockSize)
	}
	return fl, nil
}

// attachNANDFlash is attachFlash's second half for a NAND unit.
func (r *Rig) attachNANDFlash(u *unit.Unit, fl *unitFlash, fail func(string, ...any) error) error {
	r.AddCloser(fl.nand.Close)
	r.sims.mu.Lock()
	r.sims.flash[u.Name()] = fl
	r.sims.mu.Unlock()
	if r.file.Sim.Units[u.Name()].Bricked {
		if err := fl.corrupt(); err != nil {
			return fail("%v", err)
		}
	}
	if err := r.armPowerCut(u, fl); err != nil {
		return fail("%v", err)
	}
	u.SetFirmwareCheck(fl.check)
	r.attachBootloader(u, fl)
	state := "firmware "
	if v, err := fl.check(); err != nil {
		state = "bricked: " + err.Error()
	} else {
		state += v
	}
	g := fl.nand.Geometry()
	r.AddDevice(Device{Kind: "flash", Name: u.Name(), Where: fl.nand.Path(),
		Detail: fmt.Sprintf("%s NAND %d KiB, %d bad blocks, %s at 0x%x; %s", fl.chipName, g.Size>>10, len(fl.nand.BadBlocks()), fl.fwName, fl.fwOff, state)})
	return nil
}

// NAND is the emulated NAND chip of a unit (nil: none).
func (r *Rig) NAND(unit string) *flashsim.NAND {
	if r.sims == nil {
		return nil
	}
	r.sims.mu.Lock()
	defer r.sims.mu.Unlock()
	if fl := r.sims.flash[unit]; fl != nil {
		return fl.nand
	}
	return nil
}

// readFW reads the start of the firmware partition into p as the boot
// loader sees it: on NAND, the good blocks from the partition's start.
func (fl *unitFlash) readFW(p []byte) error {
	if fl.nand == nil {
		_, err := fl.chip.ReadAt(p, int64(fl.fwOff))
		return err
	}
	bs := fl.nand.Geometry().BlockSize
	done := 0
	for b := fl.fwOff; done < len(p); b += bs {
		if b >= fl.fwOff+fl.fwSize {
			return fmt.Errorf("the image runs past the %q partition", fl.fwName)
		}
		if fl.nand.IsBad(b) {
			continue
		}
		n, err := fl.nand.ReadAt(p[done:min(done+bs, len(p))], int64(b))
		if err != nil {
			return err
		}
		done += n
	}
	return nil
}

// writeNAND erases the firmware partition's good blocks and writes img
// into them from its start (a fresh chip's first image).
func (fl *unitFlash) writeNAND(img []byte) error {
	g := fl.nand.Geometry()
	ctx := context.Background()
	done := 0
	for b := fl.fwOff; b < fl.fwOff+fl.fwSize; b += g.BlockSize {
		if fl.nand.IsBad(b) {
			continue
		}
		if err := fl.nand.EraseBlock(ctx, b); err != nil {
			return err
		}
		if done < len(img) {
			k := min(g.BlockSize, len(img)-done)
			page := (k + g.PageSize - 1) / g.PageSize * g.PageSize
			buf := append(append([]byte(nil), img[done:done+k]...), make([]byte, page-k)...)
			for i := k; i < page; i++ {
				buf[i] = 0xFF
			}
			if err := fl.nand.ProgramBlock(ctx, b, buf); err != nil {
				return err
			}
			done += k
		}
	}
	if done < len(img) {
		return fmt.Errorf("the %q partition has too few good blocks for %d bytes", fl.fwName, len(img))
	}
	return nil
}

// corruptNAND clears the image's first header byte in place (programming
// only clears bits): the image no longer parses, as after a cut write.
func (fl *unitFlash) corruptNAND() error {
	g := fl.nand.Geometry()
	for b := fl.fwOff; b < fl.fwOff+fl.fwSize; b += g.BlockSize {
		if fl.nand.IsBad(b) {
			continue
		}
		page := make([]byte, g.PageSize)
		for i := range page {
			page[i] = 0xFF
		}
		page[0] = 0
		return fl.nand.ProgramBlock(context.Background(), b, page)
	}
	return nil
}
