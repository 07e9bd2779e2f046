package procedure_test

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/camrig/camrig/harness/fwimage"
	"github.com/camrig/camrig/harness/procedure"
	"github.com/camrig/camrig/harness/uboot"
	"github.com/camrig/camrig/rigs/virtual/unit"
)

// A power cut during a reflash's erase, write or read-back verify: the
// reflash stops with an error naming that step, the unit comes back on its
// own power-up without booting anything half-done, and a rerun completes.
// The reflash says the unit restarted (its autoboot line came before the
// command's end), not that a deadline passed.
// The simulator's power_cut_during switch makes the mains fail inside the
// chip's operation, so the cut lands where it is meant to on every run
// (a test that watched the chip and cut the power itself missed a 3 ms
// window under load).
func TestPowerCutMidReflashThenRerunCompletes(t *testing.T) {
	erased := bytes.Repeat([]byte{0xff}, 256)
	image := fwimage.Generate("no-button", "V2.2.0-cut", 68<<10, 7) // two erase sectors: one can be cut before the other
	head, tail := image[:256], image[len(image)-256:]
	// marker is programmed where the image's last 256 bytes go before an
	// erase is cut: an erase that ran past the cut would wipe it.
	marker := bytes.Repeat([]byte{0x5a}, 256)
	for _, c := range []struct {
		during, step string
		// chip says what the cut left in the firmware partition, given
		// the first and last 256 bytes where the image goes.
		chip    func(first, last []byte) string
		bricked bool // the half-done flash must not boot
	}{
		{"erase", procedure.StepErase, func(first, last []byte) string {
			if !bytes.Equal(first, erased) || !bytes.Equal(last, marker) {
				return "want the first sector erased and the last as it was"
			}
			return ""
		}, true},
		{"write", procedure.StepWrite, func(first, last []byte) string {
			if !bytes.Equal(first, head) || bytes.Equal(last, tail) {
				return "want the image's first page written and its last not"
			}
			return ""
		}, true},
		{"verify", procedure.StepVerifyFlash, func(first, last []byte) string {
			if !bytes.Equal(first, head) || !bytes.Equal(last, tail) {
				return "want the image whole: the verify only reads"
			}
			return ""
		}, false},
	} {
		t.Run(c.during, func(t *testing.T) {
			r, sim := brickedWith(t, ", power_cut_during: "+c.during)
			ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
			defer cancel()
			u, target := openCam4(t, ctx, r)
			device := sim.Unit("cam4")
			part, _ := u.Profile.Flash.Partition(u.Profile.Flash.Firmware)

			// Read the chip's backing file, not the chip: the chip is
			// the unit's, and reading it is a flash operation.
			chip, err := os.Open(filepath.Join(sim.StateDir(), "flash", "cam4.bin"))
			if err != nil {
				t.Fatal(err)
			}
			defer chip.Close()
			at := func(off int64) []byte {
				b := make([]byte, 256)
				if _, err := chip.ReadAt(b, off); err != nil {
					t.Fatal(err)
				}
				return b
			}
			first, last := int64(part.Offset), int64(part.Offset)+int64(len(image))-256
			if c.step == procedure.StepErase {
				// Only before an erase: a program is a write the verify
				// switch would count, and the sector is erased anyway.
				if err := sim.Flash("cam4").Program(ctx, int(last), marker); err != nil {
					t.Fatal(err)
				}
			}

			_, err = procedure.Reflash(ctx, target, image, procedure.ReflashOptions{
				// The unit restarts on the cut, which its autoboot
				// line tells at once; a command that missed it would
				// give up soon.
				CommandTimeout: 2 * time.Second,
			})
			var rerr *procedure.ReflashError
			if !errors.As(err, &rerr) || rerr.Step != c.step || !errors.Is(err, uboot.ErrRestarted) {
				t.Fatalf("after a power cut during the %s the reflash returned %v, want an error at step %q saying the unit restarted", c.during, err, c.step)
			}
			t.Logf("stopped at %q: %v", rerr.Step, err)

			if why := c.chip(at(first), at(last)); why != "" {
				t.Fatalf("after the cut during the %s: %s", c.during, why)
			}

			powerBack(t, ctx, u, device)
			if c.bricked && device.State() != unit.StateBricked {
				t.Fatalf("after a cut during the %s the unit is %v, want bricked in its bootloader", c.during, device.State())
			}

			res, err := procedure.Reflash(ctx, target, image, procedure.ReflashOptions{})
			if err != nil {
				t.Fatalf("rerun: %v", err)
			}
			upCtx, upCancel := context.WithTimeout(ctx, 5*time.Second)
			defer upCancel()
			if err := device.WaitState(upCtx, unit.StateUp); res.Version != "V2.2.0-cut" || err != nil {
				t.Fatalf("rerun result %+v, unit %v: %v", res, device.State(), err)
			}
		})
	}
}
