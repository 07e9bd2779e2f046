package ubootsim

import (
	"fmt"

	"github.com/camrig/camrig/harness/fwimage"
	"github.com/camrig/camrig/rigs/virtual/device"
	"github.com/camrig/camrig/rigs/virtual/flashsim"
)

// FirmwareCheck is the unit's boot check: the fwimage at the start of the
// firmware partition [off, off+size) must parse and match its CRCs, and may
// be of another model only if model is empty. A corrupt, truncated or
// half-written image is an error: the unit stops in its bootloader.
func FirmwareCheck(chip *flashsim.Chip, off, size int, model string) device.FirmwareCheck {
	return func() (string, error) {
		buf := make([]byte, size)
		if _, err := chip.ReadAt(buf, int64(off)); err != nil {
			return "", fmt.Errorf("read firmware partition at %#x: %w", off, err)
		}
		h, err := fwimage.ParsePartition(buf)
		if err != nil {
			return "", fmt.Errorf("firmware partition at %#x: %w", off, err)
		}
		if model != "" && h.Model != model {
			return "", fmt.Errorf("firmware partition at %#x holds an image for %q, this unit is %q", off, h.Model, model)
		}
		return h.Version, nil
	}
}
