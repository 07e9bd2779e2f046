package specs_test

import (
	"fmt"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/camrig/camrig/harness/camera"
	"github.com/camrig/camrig/harness/fwimage"
	"github.com/camrig/camrig/harness/procedure"
	"github.com/camrig/camrig/reports"
)

// Reflash comes first for the units whose only recovery is serial firmware,
// so a unit that starts bricked is repaired before the other suites boot it.
func init() { suites = append([]func(*target){reflashSpecs}, suites...) }

func reflashSpecs(t *target) {
	if t.profile.ResetButton {
		return
	}
	It("recovers by serial firmware: bootloader, YMODEM, flash, boot", Label("reflash", "destroys-firmware"), func(ctx SpecContext) {
		part, ok := t.profile.Flash.Partition(t.profile.Flash.Firmware)
		Expect(ok).To(BeTrue(), "the profile names no firmware partition")
		size := min(48<<10, int(part.Size))
		image := fwimage.Generate(t.profile.Model, "V2.0.0-camrig", size, 1)
		res, err := procedure.Reflash(ctx, t.Procedure(), image, procedure.ReflashOptions{})
		Expect(err).NotTo(HaveOccurred())
		Expect(res.Version).To(Equal("V2.0.0-camrig"))
		if hasAPI(t) {
			By("the unit itself reports the new firmware, and comes up uninitialized")
			Expect(apiState(ctx, t)).To(Equal(camera.Uninitialized), "a unit recovered by serial firmware must come back uninitialized")
			ensureActive(ctx, t)
			info, err := t.Camera.DeviceInfo(ctx)
			Expect(err).NotTo(HaveOccurred())
			Expect(info.FirmwareVersion).To(Equal("V2.0.0-camrig"), "the firmware the unit reports, read from the unit")
			AddReportEntry(reports.EntryFirmware, info.FirmwareVersion, ReportEntryVisibilityNever)
		}
		AddReportEntry("reflash", fmt.Sprintf("wrote %d bytes (crc32 %08x) at %d baud in %v, %d attempt(s)",
			res.Bytes, res.CRC, res.Baud, res.Took.Round(time.Millisecond), res.Attempts))
	})
}
