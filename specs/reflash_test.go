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

func reflashSpecs(t *target) {
	if t.profile.ResetButton {
		return
	}
	part, ok := t.profile.Flash.Partition(t.profile.Flash.Firmware)
	size := min(reflashImageSize, int(part.Size))
	It("recovers by serial firmware: bootloader, YMODEM, flash, boot", Label("reflash", "destroys-firmware"), SpecTimeout(reflashTimeout(t, size)), func(ctx SpecContext) {
		Expect(ok).To(BeTrue(), "the profile names no firmware partition")
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
		t.leavesUp()
	})
}

// reflashImageSize bounds the image the spec writes: the whole path
// (bootloader, YMODEM, CRC, erase, write, read-back, boot) at a size the
// UART carries in seconds.
const reflashImageSize = 48 << 10

// reflashTimeout: boots around the reflash and the API's answers within
// boot deadlines (scaled), and the image over the UART at its configured
// rate, 10 bits a byte, twice (a resend), which no timescale shortens.
func reflashTimeout(t *target, size int) time.Duration {
	baud := t.cfg.Console.Baud
	if baud <= 0 {
		baud = 115200
	}
	transfer := time.Duration(float64(2*10*size) / float64(baud) * float64(time.Second))
	return budget(t, 5) + transfer
}
