package virtual

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"time"

	"github.com/camrig/camrig/harness/fwimage"
	"github.com/camrig/camrig/harness/notation"
	"github.com/camrig/camrig/rigs/virtual/flashsim"
	"github.com/camrig/camrig/rigs/virtual/ubootsim"
	"github.com/camrig/camrig/rigs/virtual/unit"
)

// SPI NOR timing of a typical 64 KiB-sector part (W25Q128/MX25L class
// datasheets: page program ~0.7 ms, 64 KiB block erase ~150 ms), device
// time: the rig scales it.
const (
	norPageSize     = 256
	norPageProgram  = 700 * time.Microsecond
	norSectorErase  = 150 * time.Millisecond
	initialFirmware = 64 << 10 // bytes of the image written on a fresh chip
	// maxChip bounds the chip a profile can ask for: the emulated chip is
	// held in memory whole.
	maxChip = 1 << 30
	// FirmwareVersion is what a fresh virtual unit's image says.
	FirmwareVersion = "V1.0.0 virtual"
)

// unitFlash is a unit's emulated chip and where its firmware lives.
type unitFlash struct {
	chip     *flashsim.Chip // SPI NOR, or nil
	nand     *flashsim.NAND // SPI NAND / raw NAND, or nil
	parts    []ubootsim.Part
	fwOff    int
	fwSize   int
	model    string
	fwName   string
	chipName string
}

// attachFlash gives a unit with an SPI NOR flash in its profile an
// emulated chip persisted at ${state_dir}/flash/<unit>.bin, the boot
// check of the firmware image in it and the bootloader commands that
// reflash it (attachBootloader). A fresh chip gets a valid image, so
// the unit boots; a unit marked bricked in sim.units gets its image
// corrupted at every start, so it stops in its bootloader until reflashed.
func (r *Rig) attachFlash(u *unit.Unit) error {
	uf := r.unitFiles[u.Name()]
	fail := func(format string, a ...any) error {
		return &RigFileError{File: r.file.File, Line: uf.Line, Msg: fmt.Sprintf("unit %q: flash: ", uf.Name) + fmt.Sprintf(format, a...)}
	}
	bricked := r.file.Sim.Units[u.Name()].Bricked
	drops := r.file.Sim.Units[u.Name()].Defects.flash()
	fl, err := r.openFlash(u)
	if err != nil {
		return fail("%v", err)
	}
	if fl == nil {
		if bricked || drops || r.file.Sim.Units[u.Name()].PowerCutDuring != "" {
			return fail("sim.units.%s: bricked, flash_drops_last_page and power_cut_during need a flash with a firmware partition in profile %s", u.Name(), u.Model())
		}
		return nil
	}
	if fl.nand != nil {
		if drops {
			return fail("sim.units.%s: flash_drops_last_page is a NOR defect; profile %s has NAND", u.Name(), u.Model())
		}
		return r.attachNANDFlash(u, fl, fail)
	}
	r.AddCloser(fl.chip.Close)
	r.sims.mu.Lock()
	r.sims.flash[u.Name()] = fl
	r.sims.mu.Unlock()
	if bricked {
		if err := fl.corrupt(); err != nil {
			return fail("%v", err)
		}
	}
	// After the first image and the bricking: the defect is the unit's
	// chip misbehaving for whoever writes it next.
	fl.chip.SetDropsLastPage(drops)
	if err := r.armPowerCut(u, fl); err != nil {
		return fail("%v", err)
	}
	u.SetFirmwareCheck(fl.check)
	r.attachBootloader(u, fl)
	var state string
	if v, err := fl.check(); err != nil {
		state = "bricked: " + err.Error()
	} else {
		state = "firmware " + v
	}
	r.AddDevice(Device{Kind: "flash", Name: u.Name(), Where: fl.chip.Path(),
		Detail: fmt.Sprintf("%s %d KiB, %s at 0x%x; %s", fl.chipName, fl.chip.Geometry().Size>>10, fl.fwName, fl.fwOff, state)})
	return nil
}

// armPowerCut switches on sim.units.<name>.power_cut_during in the unit's
// chip, NOR or NAND. Armed after the bricking, which writes the chip too.
func (r *Rig) armPowerCut(u *unit.Unit, fl *unitFlash) error {
	during := r.file.Sim.Units[u.Name()].PowerCutDuring
	if during == "" {
		return nil
	}
	cut, err := powerCut(u, during)
	if err != nil {
		return fmt.Errorf("sim.units.%s.power_cut_during: %w", u.Name(), err)
	}
	if fl.nand != nil {
		fl.nand.SetPowerCut(cut)
	} else {
		fl.chip.SetPowerCut(cut)
	}
	return nil
}

// powerCut is the unit's power failing once, in the first flash operation
// of the kind named (erase, write, or verify: the first read after a
// write), and returning at once: the operation stops half-done and the
// unit boots again from what the flash then holds.
func powerCut(u *unit.Unit, during string) (*flashsim.PowerCut, error) {
	var want flashsim.Op
	switch during {
	case "erase":
		want = flashsim.OpErase
	case "write":
		want = flashsim.OpProgram
	case "verify":
		want = flashsim.OpRead
	default:
		return nil, fmt.Errorf("%q: want erase, write or verify", during)
	}
	var mu sync.Mutex
	done, wrote := false, false
	return &flashsim.PowerCut{
		Cuts: func(op flashsim.Op) bool {
			mu.Lock()
			defer mu.Unlock()
			if op == flashsim.OpProgram {
				defer func() { wrote = true }()
			}
			if done || op != want || (want == flashsim.OpRead && !wrote) {
				return false
			}
			done = true
			return true
		},
		// Not under the chip's lock: powering off waits for nothing of
		// the chip, powering on checks the image in it.
		Fails: func() {
			go func() {
				u.SetPower(false)
				u.SetPower(true)
			}()
		},
	}, nil
}

// flashVersion is the version of the image in the named unit's flash, ""
// when it has no emulated flash or the image does not parse.
func (r *Rig) flashVersion(name string) string {
	r.sims.mu.Lock()
	fl := r.sims.flash[name]
	r.sims.mu.Unlock()
	if fl == nil {
		return ""
	}
	v, err := fl.check()
	if err != nil {
		return ""
	}
	return v
}

// openFlash opens (or makes, with a valid image) the unit's chip; nil when
// the profile has no SPI NOR flash with a firmware partition.
func (r *Rig) openFlash(u *unit.Unit) (*unitFlash, error) {
	f := u.Profile().Flash
	if (f.Kind != "spi-nor" && f.Kind != "spi-nand" && f.Kind != "nand") || f.Firmware == "" {
		return nil, nil
	}
	if f.Size > maxChip {
		return nil, fmt.Errorf("profile %s: a %v flash is larger than the %v the simulator emulates", u.Profile().File, f.Size, notation.ByteSize(maxChip))
	}
	fl := &unitFlash{model: u.Model(), fwName: f.Firmware, chipName: f.Chip, fwOff: -1}
	for _, part := range f.Partitions {
		if part.Name == f.Firmware && part.Offset <= f.Size && part.Size <= f.Size {
			fl.fwOff, fl.fwSize = int(part.Offset), int(part.Size)
		}
	}
	if fl.fwOff < 0 || fl.fwSize < initialFirmware || fl.fwOff+fl.fwSize > int(f.Size) {
		return nil, fmt.Errorf("profile %s: firmware partition %q missing, smaller than %d bytes or beyond the %d-byte chip",
			u.Profile().File, f.Firmware, initialFirmware, f.Size)
	}
	if f.Kind != "spi-nor" {
		return r.openNAND(u, fl)
	}
	g := flashsim.Geometry{Name: f.Chip, Size: int(f.Size), EraseSize: int(f.EraseSize), PageSize: norPageSize,
		PageProgram: u.Scale(norPageProgram), SectorErase: u.Scale(norSectorErase)}
	path := filepath.Join(r.file.StateDir, "flash", u.Name()+".bin")
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return nil, err
	}
	_, statErr := os.Stat(path)
	fresh := errors.Is(statErr, os.ErrNotExist)
	var err error
	if fl.chip, err = flashsim.Open(path, g); err != nil {
		return nil, err
	}
	if fresh {
		img := fwimage.Generate(u.Model(), FirmwareVersion, initialFirmware, int64(len(u.Name())))
		if err := fl.chip.Program(context.Background(), fl.fwOff, img); err != nil {
			fl.chip.Close()
			os.Remove(path) // a half-made chip would be taken for a persisted one next time
			return nil, fmt.Errorf("writing the first firmware image: %w", err)
		}
	}
	return fl, nil
}

// check is the unit's boot check: a valid image for this model at the
// start of the firmware partition.
func (fl *unitFlash) check() (string, error) {
	h, err := fl.image()
	if err != nil {
		return "", err
	}
	if h.Model != fl.model {
		return "", fmt.Errorf("image is for model %q, not %s", h.Model, fl.model)
	}
	return h.Version, nil
}

// image parses the image in the firmware partition, reading only as much
// of the partition as its header says it holds.
func (fl *unitFlash) image() (fwimage.Header, error) {
	head := make([]byte, fwimage.HeaderSize)
	if err := fl.readFW(head); err != nil {
		return fwimage.Header{}, err
	}
	h, err := fwimage.ParsePartition(head)
	if !errors.Is(err, fwimage.ErrTruncated) {
		return h, err // bad header, or a sound image without payload
	}
	// The header passed its CRC: its payload length (bytes 12-15, big
	// endian) is what was written.
	size := min(fwimage.HeaderSize+int(binary.BigEndian.Uint32(head[12:16])), fl.fwSize)
	img := make([]byte, size)
	if err := fl.readFW(img); err != nil {
		return fwimage.Header{}, err
	}
	return fwimage.ParsePartition(img)
}

// corrupt clears one payload byte of the image in flash (NOR programming
// can only clear bits), so its CRC no longer matches: a half-written
// image, as a power cut during a reflash leaves. An image that is bad
// already stays as it is.
func (fl *unitFlash) corrupt() error {
	if fl.nand != nil {
		return fl.corruptNAND()
	}
	h, err := fl.image()
	if err != nil {
		return nil
	}
	payload := make([]byte, h.PayloadLen)
	off := fl.fwOff + fwimage.HeaderSize
	if _, err := fl.chip.ReadAt(payload, int64(off)); err != nil {
		return err
	}
	for i, b := range payload {
		if b != 0 {
			return fl.chip.Program(context.Background(), off+i, []byte{0})
		}
	}
	// An all-zero payload: clear a header bit instead (its CRC then fails).
	return fl.chip.Program(context.Background(), fl.fwOff, []byte{0})
}
