package procedure_test

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"runtime"
	"testing"
	"time"

	"github.com/camrig/camrig/harness/fwimage"
	"github.com/camrig/camrig/harness/procedure"
	"github.com/camrig/camrig/rigs/virtual/unit"
)

// The fault matrix's other reflash power cuts (mid-write has its own test):
// mid-erase (the old firmware's first sector gone, its last not yet) and
// during the read-back verify (the image whole in flash). Either way the
// reflash stops with an error naming its step, the unit comes back on its
// own power-up without booting anything half-done, and a rerun completes.
func TestPowerCutMidEraseOrVerifyThenRerunCompletes(t *testing.T) {
	for _, step := range []string{procedure.StepErase, procedure.StepVerifyFlash} {
		t.Run(step, func(t *testing.T) {
			r, sim := bricked(t)
			ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
			defer cancel()
			u, target := openCam4(t, ctx, r)
			image := fwimage.Generate("no-button", "V2.2.0-cut", 68<<10, 7) // two erase sectors: one can be cut before the other
			device := sim.Unit("cam4")
			part, _ := u.Profile.Flash.Partition(u.Profile.Flash.Firmware)
			chip, err := os.Open(filepath.Join(sim.StateDir(), "flash", "cam4.bin"))
			if err != nil {
				t.Fatal(err)
			}
			defer chip.Close()
			at := func(off int64, n int) []byte {
				b := make([]byte, n)
				chip.ReadAt(b, off)
				return b
			}
			erased := bytes.Repeat([]byte{0xff}, 256)
			first, last := int64(part.Offset), int64(part.Offset)+int64(len(image))-256
			cut, tries := false, 0
			for ; tries < 5 && !cut; tries++ {
				watching := make(chan struct{})
				watchErase := func() {
					defer close(watching)
					for ; ctx.Err() == nil; runtime.Gosched() {
						switch f, l := bytes.Equal(at(first, 256), erased), bytes.Equal(at(last, 256), erased); {
						case f && !l:
							device.SetPower(false)
							cut = true
							return
						case f && l:
							return // missed: the whole extent erased between two looks
						}
					}
				}
				started := false
				_, err = procedure.Reflash(ctx, target, image, procedure.ReflashOptions{
					// The unit is dark after the cut: what waits for
					// its answer gives up soon.
					CommandTimeout: 2 * time.Second,
					Progress: func(p procedure.ReflashProgress) {
						if p.Step != step || started {
							return
						}
						started = true
						if step == procedure.StepErase {
							go watchErase()
							return
						}
						// The verify reads back what is written whole.
						device.SetPower(false)
						cut = true
						close(watching)
					},
				})
				if started {
					<-watching
				}
				if !started {
					t.Fatalf("the reflash never reached %q: %v", step, err)
				}
			}
			if !cut {
				t.Fatalf("never cut the power during %q in 5 tries", step)
			}
			var rerr *procedure.ReflashError
			if !errors.As(err, &rerr) {
				t.Fatalf("after a power cut during %q the reflash returned %v, want a step error", step, err)
			}
			t.Logf("stopped at %q: %v", rerr.Step, err)
			t.Logf("cut during %q after %d attempt(s)", step, tries)

			// Power back by itself: a cut erase must not boot anything.
			powerBack(t, ctx, u, device)
			if step == procedure.StepErase && device.State() != unit.StateBricked {
				t.Fatalf("after a cut mid-erase the unit is %v, want bricked in its bootloader", device.State())
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
