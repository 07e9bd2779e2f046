package qemusim

import (
	"bytes"
	"fmt"
	"io"
	"os"
)

// Facts about `-machine virt` that the rig file and the profile rely on,
// checked against qemu-system-arm 7.2 and Debian's u-boot-qemu 2023.01:
const (
	// PFlashSize is the size QEMU requires of a pflash file on virt
	// ("device requires 67108864 bytes").
	PFlashSize = 64 << 20
	// Bank2Base is where U-Boot maps the pflash file (`flinfo`: Bank # 2).
	// File offset = bus address - Bank2Base.
	Bank2Base = 0x04000000
	// DefaultBIOS is Debian's u-boot-qemu build for -machine virt.
	DefaultBIOS = "/usr/lib/u-boot/qemu_arm/u-boot.bin"
	// DefaultBinary is the emulator.
	DefaultBinary = "qemu-system-arm"
)

// EnsurePFlash makes path a pflash file of PFlashSize bytes. A missing file
// is created erased (all 0xFF, as NOR flash leaves the factory); an
// existing one is kept if it has the right size, so flash contents survive
// from one run to the next like a real unit's.
func EnsurePFlash(path string) error {
	st, err := os.Stat(path)
	switch {
	case err == nil:
		if st.Size() != PFlashSize {
			return fmt.Errorf("qemusim: pflash file %s is %d bytes; QEMU's virt machine needs exactly %d", path, st.Size(), PFlashSize)
		}
		return nil
	case !os.IsNotExist(err):
		return fmt.Errorf("qemusim: pflash file: %w", err)
	}
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o644)
	if err != nil {
		return fmt.Errorf("qemusim: creating pflash file: %w", err)
	}
	chunk := bytes.Repeat([]byte{0xFF}, 1<<20)
	for n := 0; n < PFlashSize; n += len(chunk) {
		if _, err := f.Write(chunk); err != nil {
			f.Close()
			os.Remove(path)
			return fmt.Errorf("qemusim: writing pflash file %s: %w", path, err)
		}
	}
	if err := f.Close(); err != nil {
		os.Remove(path)
		return fmt.Errorf("qemusim: writing pflash file %s: %w", path, err)
	}
	return nil
}

// ReadPFlash returns n bytes of the pflash file at bus address addr (in
// bank 2), for checking what a flash write really left on "the chip".
func ReadPFlash(path string, addr uint64, n int) ([]byte, error) {
	if addr < Bank2Base || addr-Bank2Base+uint64(n) > PFlashSize {
		return nil, fmt.Errorf("qemusim: range %#x+%#x is outside bank 2 (%#x..%#x)", addr, n, Bank2Base, Bank2Base+PFlashSize)
	}
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("qemusim: pflash file: %w", err)
	}
	defer f.Close()
	buf := make([]byte, n)
	if got, err := f.ReadAt(buf, int64(addr-Bank2Base)); got < n {
		if err == io.EOF {
			err = io.ErrUnexpectedEOF
		}
		return nil, fmt.Errorf("qemusim: reading pflash file %s: %w", path, err)
	}
	return buf, nil
}
