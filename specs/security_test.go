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

// weakPasswords each break one activation rule (8-16 characters, two
// character classes, not the user name); the unit must refuse each itself.
var weakPasswords = map[string]string{
	"too short":            "Ab1",
	"one character class":  "abcdefghij",
	"contains the user":    "xAdmin12345",
	"longer than 16 chars": "Abcdefgh123456789",
}

// securitySpecs check an uninitialized unit the way an attacker on its
// network would (Blink's and Hikvision's security notes): nothing but
// activation answers, no default or empty password opens it, a weak
// password is refused by the unit with its reason, and after activation
// only the new password works.
func securitySpecs(t *target) {
	if !hasAPI(t) {
		return
	}
	h := t.profile.Holds
	if h.Factory == nil && h.PowerOn == nil {
		return // no way back to uninitialized but a reflash (see the reflash suite)
	}
	It("refuses everything but activation while uninitialized, then answers only to the new password",
		Label("api", "security", "destroys-config"), SpecTimeout(securityTimeout(t)), func(ctx SpecContext) {
			if nvrTakesOver(t) {
				Skip(t.name + " is on an NVR port that activates it the moment it is uninitialized")
			}
			u := t.Procedure()
			var err error
			if h.Factory != nil {
				_, err = procedure.FactoryReset(ctx, u, procedure.ResetOptions{Booted: t.tookUp()})
			} else {
				_, err = procedure.PowerOnHold(ctx, u)
			}
			Expect(err).NotTo(HaveOccurred())
			Expect(apiState(ctx, t)).To(Equal(camera.Uninitialized), "the reset must leave the unit uninitialized")

			By("an inactive unit refuses every call but activation, whatever the password")
			passwords := append([]string{}, t.profile.API.Defaults()...)
			for _, pw := range passwords {
				refusesAllButActivation(ctx, t, secret.Literal(pw), fmt.Sprintf("default password %q", pw))
			}
			refusesAllButActivation(ctx, t, t.Config.API.Password, "the rig's own password")

			By("activation refuses weak passwords with the unit's own reason")
			for rule, pw := range weakPasswords {
				err := t.Camera.TryActivate(ctx, secret.Literal(pw))
				Expect(err).To(HaveOccurred(), "the unit accepted a weak password (%s)", rule)
				var se *camera.StatusError
				Expect(errors.As(err, &se)).To(BeTrue(), "a weak password (%s) must be refused by the unit, got: %v", rule, err)
				Expect(se.SubStatusCode+se.ErrorMsg).NotTo(BeEmpty(), "the unit must say why it refused a weak password (%s)", rule)
				Expect(apiState(ctx, t)).To(Equal(camera.Uninitialized), "a refused activation must leave the unit uninitialized (%s)", rule)
			}

			By("after activation the unit answers only to the new password")
			Expect(t.Camera.Activate(ctx, t.Config.API.Password)).To(Succeed())
			_, err = t.Camera.DeviceInfo(ctx)
			Expect(err).NotTo(HaveOccurred(), "the new password must work")
			// Fewer tries than the lockout allows, so the right password
			// is not locked out by this check itself.
			tries := passwords
			if lo := t.profile.Lockout.Attempts; lo > 1 && len(tries) > lo-1 {
				tries = tries[:lo-1]
			}
			for _, pw := range tries {
				c := clientWith(t, secret.Literal(pw))
				_, err := c.DeviceInfo(ctx)
				c.Close()
				Expect(err).To(MatchError(camera.ErrUnauthorized), "default password %q must be refused after activation", pw)
			}
			_, err = t.Camera.DeviceInfo(ctx)
			Expect(err).NotTo(HaveOccurred(), "the new password must still work")
			t.leavesUp()
		})
}

func securityTimeout(t *target) time.Duration {
	return 3*theRig.Timescale.Of(t.profile.Boot.Deadline+t.profile.Boot.OffTime) + time.Minute
}

// clientWith is the unit's API with another password.
func clientWith(t *target, pw secret.Secret) *camera.Client {
	c, err := camera.New(camera.Config{Name: t.name + " (probe)", URL: t.Config.API.URL,
		User: t.Config.API.User, Password: pw, Clock: t.Clock, Timeline: t.Timeline})
	Expect(err).NotTo(HaveOccurred())
	return c
}

// refusesAllButActivation: every protected call fails as not activated,
// and none of them changed the unit.
func refusesAllButActivation(ctx context.Context, t *target, pw secret.Secret, what string) {
	c := clientWith(t, pw)
	defer c.Close()
	_, err := c.DeviceInfo(ctx)
	Expect(err).To(MatchError(camera.ErrNotActivated), "deviceInfo with %s on an inactive unit", what)
	Expect(c.SetDeviceName(ctx, "camrig-intruder")).To(MatchError(camera.ErrNotActivated), "a settings write with %s on an inactive unit", what)
	_, err = c.UserCheck(ctx)
	Expect(err).To(MatchError(camera.ErrNotActivated), "a login with %s on an inactive unit", what)
	Expect(apiState(ctx, t)).To(Equal(camera.Uninitialized), "probing with %s must not change the unit", what)
}
