package specs_test

import (
	"context"
	"errors"
	"fmt"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/camrig/camrig/harness/camera"
	"github.com/camrig/camrig/harness/procedure"
	"github.com/camrig/camrig/harness/secret"
)

// pollEvery is how often Eventually asks a unit's API. The unit's answer is
// the event; an HTTP request has no push, so it is polled.
const pollEvery = 10 * time.Millisecond

// apiState waits for the unit's API to answer (it serves only once the unit
// is up) and returns its activation state.
func apiState(ctx context.Context, t *target) camera.State {
	var st camera.State
	Eventually(ctx, func(ctx context.Context) error {
		var err error
		st, err = t.Camera.ActivationState(ctx)
		return err
	}).WithTimeout(t.Scale.Of(t.profile.Boot.Deadline)).WithPolling(pollEvery).
		Should(Succeed(), "%s: API never answered", t.name)
	return st
}

// nvrTakesOver says whether the rig's NVR activates this unit by itself.
func nvrTakesOver(t *target) bool {
	return theRig.NVR != nil && t.cfg.NVRPort > 0 && t.profile.NVRSync
}

// ensureActive leaves the unit booted and activated: by its NVR where it is
// plugged into one that syncs, else by the harness with the unit's password.
func ensureActive(ctx context.Context, t *target) {
	switch {
	case apiState(ctx, t) == camera.Activated:
	case nvrTakesOver(t):
		Eventually(ctx, t.Camera.ActivationState).WithTimeout(t.Scale.Of(t.profile.Boot.Deadline)).
			WithPolling(pollEvery).Should(Equal(camera.Activated), "%s: the NVR never activated it", t.name)
	default:
		Expect(t.Camera.Activate(ctx, t.Config.API.Password)).To(Succeed())
	}
	// An active unit answers deviceInfo: the report names the firmware
	// it runs, read from the unit itself.
	noteFirmware(ctx, t)
}

// bootedAndActive leaves the unit booted and activated: cold-booted, unless
// the spec before left it booted (target.up), then activated if it is not.
func bootedAndActive(ctx context.Context, t *target) {
	bootUnlessUp(ctx, t)
	ensureActive(ctx, t)
}

// bootUnlessUp cold-boots the unit unless the spec before left it booted.
func bootUnlessUp(ctx context.Context, t *target) {
	if t.tookUp() {
		By(t.name + " is up from the spec before: no power cycle")
		return
	}
	_, err := procedure.ColdBoot(ctx, t.Procedure())
	Expect(err).NotTo(HaveOccurred())
}

// keepsSettingsThrough boots and activates the unit, writes a setting,
// runs event and requires the setting to be there afterwards.
func keepsSettingsThrough(ctx context.Context, t *target, event string, run func(context.Context) error) {
	bootedAndActive(ctx, t)
	name := fmt.Sprintf("camrig-%s-%d", t.name, time.Now().UnixNano()%1e6)
	Expect(t.Camera.SetDeviceName(ctx, name)).To(Succeed())
	Expect(run(ctx)).To(Succeed(), event)
	apiState(ctx, t)
	info, err := t.Camera.DeviceInfo(ctx)
	Expect(err).NotTo(HaveOccurred(), "after %s", event)
	Expect(info.DeviceName).To(Equal(name), "deviceName after %s", event)
	t.leavesUp()
}

func networkSpecs(t *target) {
	if t.cfg.API == nil || t.profile.API.Kind == "none" {
		return
	}
	h := t.profile.Holds

	// One spec per event, each only where the unit has it: a name never
	// claims a step that did not run.
	if h.Reboot != nil {
		It("keeps its settings through a reboot hold", Label("api", "settings"), SpecTimeout(budget(t, 5, h.Reboot.Max)), func(ctx SpecContext) {
			keepsSettingsThrough(ctx, t, "a reboot hold", func(ctx context.Context) error {
				_, err := procedure.RebootHold(ctx, t.Procedure(), procedure.ResetOptions{Booted: true})
				return err
			})
		})
	}
	It("keeps its settings through a power outage", Label("api", "settings"), SpecTimeout(budget(t, 5)), func(ctx SpecContext) {
		keepsSettingsThrough(ctx, t, "a power outage", func(ctx context.Context) error {
			_, err := procedure.PowerOutage(ctx, t.Procedure(), procedure.ResetOptions{Booted: true})
			return err
		})
	})

	if h.Factory != nil {
		It("comes back uninitialized after a factory-reset hold", Label("api", "reset", "destroys-config"), SpecTimeout(budget(t, 8, h.Factory.Max)), func(ctx SpecContext) {
			bootedAndActive(ctx, t)
			Expect(t.Camera.SetDeviceName(ctx, "camrig-before-reset")).To(Succeed())
			_, err := procedure.FactoryReset(ctx, t.Procedure(), procedure.ResetOptions{Booted: true})
			Expect(err).NotTo(HaveOccurred())
			Expect(apiState(ctx, t)).To(Equal(camera.Uninitialized), "a factory reset must leave the unit inactive")
			if nvrTakesOver(t) {
				By("the NVR on its PoE port takes it over again")
				ensureActive(ctx, t)
				Eventually(ctx, func(ctx context.Context) (string, error) {
					st, err := t.NVR.Port(ctx, t.NVRPort)
					return st.Detect, err
				}).WithTimeout(t.Scale.Of(t.profile.Boot.Deadline)).WithPolling(pollEvery).Should(Equal("connect"))
			} else {
				Expect(t.Camera.Activate(ctx, t.Config.API.Password)).To(Succeed())
			}
			info, err := t.Camera.DeviceInfo(ctx)
			Expect(err).NotTo(HaveOccurred())
			Expect(info.DeviceName).NotTo(Equal("camrig-before-reset"), "settings must be wiped")
			t.leavesUp()
		})
	}

	if t.profile.NVRSync {
		It("syncs with the NVR it is plugged into", Label("api", "nvr"), SpecTimeout(budget(t, 4)), func(ctx SpecContext) {
			if !nvrTakesOver(t) {
				Skip(t.name + " is not on an NVR port of this rig")
			}
			bootedAndActive(ctx, t)
			Eventually(ctx, func(ctx context.Context) (bool, error) {
				st, err := t.NVR.Port(ctx, t.NVRPort)
				return st.Online && st.Detect == "connect", err
			}).WithTimeout(t.Scale.Of(t.profile.Boot.Deadline)).WithPolling(pollEvery).
				Should(BeTrue(), "NVR channel %d must come online while %s is up", t.NVRPort, t.name)
			t.leavesUp()
		})
	}

	if t.profile.NVRSync {
		// A cold boot, the NVR's activation and the channel going online
		// and offline, each within a boot deadline.
		It("goes offline on its NVR channel while powered off, and back online once up again", Label("api", "nvr"),
			SpecTimeout(budget(t, 6)), func(ctx SpecContext) {
				if !nvrTakesOver(t) {
					Skip(t.name + " is not on an NVR port of this rig")
				}
				channel := func(ctx context.Context) (bool, error) {
					st, err := t.NVR.Port(ctx, t.NVRPort)
					return st.Online && st.Detect == "connect", err
				}
				online := func(want bool, format string) {
					Eventually(ctx, channel).WithTimeout(t.Scale.Of(t.profile.Boot.Deadline)).WithPolling(pollEvery).
						Should(Equal(want), format, t.NVRPort, t.name)
				}
				bootedAndActive(ctx, t)
				online(true, "NVR channel %d must come online while %s is up")
				Expect(procedure.PowerOff(ctx, t.Procedure())).To(Succeed())
				online(false, "NVR channel %d must go offline while %s is powered off")
				_, err := procedure.ColdBoot(ctx, t.Procedure()) // off for at least the profile's off time
				Expect(err).NotTo(HaveOccurred())
				online(true, "NVR channel %d must come back online once %s is up again")
				t.leavesUp()
			})
	}

	if lo := t.profile.Lockout; lo.Attempts > 0 {
		It(fmt.Sprintf("locks out guessed passwords after %d failures", lo.Attempts), Label("api", "lockout", "slow"), SpecTimeout(budget(t, 4, lo.Duration)), func(ctx SpecContext) {
			bootedAndActive(ctx, t)
			wrong, err := camera.New(camera.Config{Name: t.name + " (wrong password)", URL: t.Config.API.URL,
				User: t.Config.API.User, Password: secret.Literal("Wr0ng-guess-42"), Clock: t.Clock, Timeline: t.Timeline})
			Expect(err).NotTo(HaveOccurred())
			defer wrong.Close()
			for i := 1; i < lo.Attempts; i++ {
				uc, err := wrong.UserCheck(ctx)
				Expect(err).NotTo(HaveOccurred())
				Expect(uc.OK || uc.Locked).To(BeFalse(), "failure %d of %d must neither log in nor lock", i, lo.Attempts)
			}
			uc, err := wrong.UserCheck(ctx)
			Expect(err).NotTo(HaveOccurred())
			Expect(uc.Locked).To(BeTrue(), "failure %d must lock", lo.Attempts)
			uc, err = t.Camera.UserCheck(ctx)
			Expect(err).NotTo(HaveOccurred())
			Expect(uc.OK).To(BeFalse(), "the right password must be refused while locked")
			// The lock flag in a reply is the unit's word; a protected call
			// failing is the proof.
			_, err = t.Camera.DeviceInfo(ctx)
			Expect(errors.Is(err, camera.ErrLocked)).To(BeTrue(),
				"a protected call with the right password must be refused while locked (got %v)", err)
			Eventually(ctx, func(ctx context.Context) (bool, error) {
				uc, err := t.Camera.UserCheck(ctx)
				return uc.OK, err
			}).WithTimeout(t.Scale.Of(lo.Duration)+t.Scale.Of(t.profile.Boot.Deadline)).
				WithPolling(t.Scale.Of(lo.Duration)/20).Should(BeTrue(), "the right password after the lockout")
			t.leavesUp()
		})
	}
}
