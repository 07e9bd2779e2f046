package procedure_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/camrig/camrig/harness/fwimage"
	"github.com/camrig/camrig/harness/procedure"
)

// BenchmarkReflash1MiB reflashes a 1 MiB image into the bricked virtual
// no-button unit, its console at 115200, with the transfer at 115200 and
// at 921600 (loady's baud switch). Figures per rate:
//
//	xfer/line = transfer wall time / (image bytes x 10 bits / baud)
//	            (goal <= 1.10: YMODEM framing and ACK turnarounds only)
//	flash-s   = erase + write + read-back check, seconds (the unit's
//	            emulated SPI NOR times, scaled by the rig's timescale)
//	total/line = the whole reflash (power cycle, autoboot stop, transfer,
//	            RAM check, flash, boot) / the transfer's line-rate limit
func BenchmarkReflash1MiB(b *testing.B) {
	const size = 1 << 20
	image := fwimage.Generate("no-button", "V9.9.9-bench", size, 99)
	type figures struct{ xfer, flash, total float64 }
	sums := map[int]*figures{115200: {}, 921600: {}}
	for b.Loop() {
		for _, baud := range []int{115200, 921600} {
			r, _ := bricked(b)
			ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
			_, target := openCam4(b, ctx, r)
			var started = map[string]time.Time{}
			res, err := procedure.Reflash(ctx, target, image, procedure.ReflashOptions{
				Bauds: []int{baud},
				Progress: func(p procedure.ReflashProgress) {
					if _, ok := started[p.Step]; !ok {
						started[p.Step] = time.Now()
					}
				},
			})
			end := time.Now()
			cancel()
			if err != nil {
				b.Fatalf("%d bps: %v", baud, err)
			}
			if res.Baud != baud || res.Attempts != 1 {
				b.Fatalf("%d bps: result %+v", baud, res)
			}
			limit := float64(size*10) / float64(baud)
			f := sums[baud]
			f.xfer += started[procedure.StepVerifyRAM].Sub(started[procedure.StepTransfer]).Seconds() / limit
			f.flash += started[procedure.StepBoot].Sub(started[procedure.StepErase]).Seconds()
			f.total += end.Sub(started[procedure.StepCheckImage]).Seconds() / limit
		}
	}
	n := float64(b.N)
	for _, baud := range []int{115200, 921600} {
		f := sums[baud]
		b.ReportMetric(f.xfer/n, fmt.Sprintf("xfer/line@%d", baud))
		b.ReportMetric(f.flash/n, fmt.Sprintf("flash-s@%d", baud))
		b.ReportMetric(f.total/n, fmt.Sprintf("total/line@%d", baud))
	}
	b.ReportMetric(0, "ns/op")
}
