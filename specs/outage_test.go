package specs_test

import (
	"context"
	"flag"
	"fmt"
	"hash/fnv"
	"math/rand/v2"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/camrig/camrig/harness/camera"
	"github.com/camrig/camrig/harness/clock"
	"github.com/camrig/camrig/harness/procedure"
)

var soakFlag = flag.Int("soak", 3, "power cuts at random moments per unit in the specs labelled soak")

// phaseText says where a phase's cut lands, as a spec name reads.
var phaseText = map[procedure.OutagePhase]string{
	procedure.PhaseBootloader:  "in the bootloader",
	procedure.PhaseKernel:      "during kernel boot",
	procedure.PhaseRunning:     "while running",
	procedure.PhaseConfigWrite: "during a configuration write",
}

// cutMoment is where in its phase a unit's cut lands: drawn from the run's
// seed (Ginkgo's --seed, printed at the top of every run and in the
// report), the unit and the cut's name, so a failure is reproduced by
// running again with the same seed.
func cutMoment(unit, name string) float64 {
	h := fnv.New64a()
	fmt.Fprintf(h, "%s/%s", unit, name)
	return rand.New(rand.NewPCG(uint64(GinkgoRandomSeed()), h.Sum64())).Float64()
}

// hasAPI: the unit's settings and activation can be read back.
func hasAPI(t *target) bool { return t.cfg.API != nil && t.profile.API.Kind != "none" }

// outageSpecs cut the unit's power at a seeded random moment of each phase
// of its life: it must boot by itself, without a factory reset, keep its
// settings (a write cut mid-way completes or rolls back, never half) and
// come back online on its NVR.
func outageSpecs(t *target) {
	if t.cfg.Power == nil {
		return
	}
	for _, phase := range procedure.OutagePhases {
		if phase == procedure.PhaseConfigWrite && !hasAPI(t) {
			continue // no write to cut: the spec would claim what it did not do
		}
		It("recovers by itself from a power cut "+phaseText[phase], Label("outage", "random-cut", "faults"),
			SpecTimeout(cutTimeout(t)), func(ctx SpecContext) {
				cutAndRecover(ctx, t, phase, cutMoment(t.name, string(phase)))
			})
	}
	It(fmt.Sprintf("recovers from %d power cuts at random moments", *soakFlag), Label("outage", "soak"),
		SpecTimeout(time.Duration(max(*soakFlag, 1))*cutTimeout(t)), func(ctx SpecContext) {
			for i := range *soakFlag {
				key := fmt.Sprintf("soak-%d", i)
				phases := procedure.OutagePhases
				if !hasAPI(t) {
					phases = phases[:len(phases)-1]
				}
				phase := phases[int(cutMoment(t.name, key+"-phase")*float64(len(phases)))]
				By(fmt.Sprintf("cut %d of %d", i+1, *soakFlag))
				cutAndRecover(ctx, t, phase, cutMoment(t.name, key))
			}
		})
}

// cutTimeout covers one cut: a calibration boot, the cut boot, the
// recovery boot, each within the profile's deadline, and the API checks.
func cutTimeout(t *target) time.Duration {
	return 4*theRig.Timescale.Of(t.profile.Boot.Deadline+t.profile.Boot.OffTime) + time.Minute
}

func cutAndRecover(ctx context.Context, t *target, phase procedure.OutagePhase, frac float64) {
	moment := fmt.Sprintf("seed %d: power cut %.1f%% into the %s phase", GinkgoRandomSeed(), frac*100, phase)
	By(moment)
	AddReportEntry("cut", moment)
	var name string
	if hasAPI(t) {
		bootedAndActive(ctx, t)
		name = fmt.Sprintf("camrig-cut-%s-%d", t.name, time.Now().UnixNano()%1e6)
		Expect(t.Camera.SetDeviceName(ctx, name)).To(Succeed())
	}
	var out procedure.CutOutage
	var err error
	if phase == procedure.PhaseConfigWrite {
		// How long a write takes on this unit, measured, so the cut lands
		// inside the next one.
		start := t.Clock.Now()
		Expect(t.Camera.SetDeviceName(ctx, name)).To(Succeed())
		window := clock.Since(t.Clock, start)
		next := name + "-new"
		out, err = procedure.CutDuringWrite(ctx, t.Procedure(), frac, window, func(ctx context.Context) error {
			return t.Camera.SetDeviceName(ctx, next)
		})
		Expect(err).NotTo(HaveOccurred())
		info := deviceInfoAfterBoot(ctx, t)
		Expect(info.DeviceName).To(Or(Equal(name), Equal(next)),
			"a write cut mid-way must complete or roll back, never leave half (%s)", moment)
		if info.DeviceName == name {
			Expect(out.WriteErr).To(HaveOccurred(), "the unit acknowledged the write, then lost it (%s)", moment)
		}
	} else {
		out, err = procedure.CutDuring(ctx, t.Procedure(), phase, frac)
		Expect(err).NotTo(HaveOccurred())
		if hasAPI(t) {
			Expect(deviceInfoAfterBoot(ctx, t).DeviceName).To(Equal(name), "settings after a power cut (%s)", moment)
		}
	}
	Expect(out.After.Has("factory")).To(BeFalse(), "a power cut must not factory-reset the unit (%s)", moment)
	if hasAPI(t) {
		Expect(apiState(ctx, t)).To(Equal(camera.Activated), "a power cut must not leave the unit uninitialized (%s)", moment)
	}
	if nvrTakesOver(t) {
		By("its NVR channel comes back online")
		Eventually(ctx, func(ctx context.Context) (bool, error) {
			st, err := t.NVR.Port(ctx, t.NVRPort)
			return st.Online && st.Detect == "connect", err
		}).WithTimeout(t.Scale.Of(t.profile.Boot.Deadline)).WithPolling(pollEvery).Should(BeTrue(),
			"the NVR channel must come back online (%s)", moment)
	}
	t.leavesUp()
}

// deviceInfoAfterBoot waits for the API to answer after a boot, then reads
// the device's settings.
func deviceInfoAfterBoot(ctx context.Context, t *target) camera.DeviceInfo {
	apiState(ctx, t)
	info, err := t.Camera.DeviceInfo(ctx)
	Expect(err).NotTo(HaveOccurred())
	return info
}
