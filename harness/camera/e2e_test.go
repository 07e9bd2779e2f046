package camera_test

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"net/http"
	"testing"
	"time"

	"github.com/camrig/camrig/harness/camera"
	"github.com/camrig/camrig/harness/secret"
	"github.com/camrig/camrig/rigs/virtual/isapisim"
	"github.com/camrig/camrig/rigs/virtual/isapisim/simtest"
	"github.com/camrig/camrig/rigs/virtual/isapisim/wire"
)

// goodPassword is made per run: a test fixture, never a literal in the tree.
var goodPassword = fmt.Sprintf("Lab-Pw0rd%04d", rand.IntN(10000))

func newClient(t *testing.T, url, password string) *camera.Client {
	return newClientTB(t, url, password)
}

func newClientB(b *testing.B, url string) *camera.Client { return newClientTB(b, url, goodPassword) }

func newClientTB(t testing.TB, url, password string) *camera.Client {
	t.Helper()
	c, err := camera.New(camera.Config{Name: "cam-test", URL: url, User: "admin", Password: secret.Literal(password), Timeout: 5 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(c.Close)
	return c
}

func ctxT(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	t.Cleanup(cancel)
	return ctx
}

func waitEvent(t *testing.T, cam *simtest.Camera, want string) {
	t.Helper()
	deadline := time.After(10 * time.Second)
	for {
		select {
		case e := <-cam.Events():
			if e == want {
				return
			}
		case <-deadline:
			t.Fatalf("%s: no %q event", cam.Name(), want)
		}
	}
}

func TestLifecycleAgainstVirtualUnit(t *testing.T) {
	for _, tc := range []struct {
		name   string
		status int
		ns     string
	}{
		{"401 isapi.org", http.StatusUnauthorized, wire.NamespaceISAPI},
		{"403 hikvision.com", http.StatusForbidden, wire.NamespaceHikvision},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ctx := ctxT(t)
			cam := simtest.NewCamera(t, "cam1", "127.0.0.21", isapisim.Config{
				Model: "DS-2CD-virtual", NotActivatedStatus: tc.status, Namespace: tc.ns,
				LockoutAttempts: 5, LockoutDuration: 30 * time.Minute, Timescale: 0.01,
			})
			c := newClient(t, cam.URL, goodPassword)

			st, err := c.ActivationState(ctx)
			if err != nil || st != camera.Uninitialized {
				t.Fatalf("fresh unit: state %v, %v; want uninitialized", st, err)
			}
			_, err = c.DeviceInfo(ctx)
			var se *camera.StatusError
			if !errors.Is(err, camera.ErrNotActivated) || !errors.As(err, &se) || se.HTTP != tc.status {
				t.Fatalf("deviceInfo on an inactive unit: %v; want notActivated with HTTP %d", err, tc.status)
			}

			if err := c.Activate(ctx, secret.Literal("short1")); !errors.Is(err, camera.ErrPasswordRule) {
				t.Fatalf("weak password: %v; want ErrPasswordRule", err)
			}
			if err := c.Activate(ctx, secret.Literal(goodPassword)); err != nil {
				t.Fatalf("activate: %v", err)
			}
			if st, err := c.ActivationState(ctx); err != nil || st != camera.Activated {
				t.Fatalf("after activation: %v, %v", st, err)
			}
			if err := c.Activate(ctx, secret.Literal(goodPassword)); err == nil {
				t.Fatal("second activation accepted")
			}

			info, err := c.DeviceInfo(ctx)
			if err != nil {
				t.Fatal(err)
			}
			if info.DeviceName != isapisim.DefaultDeviceName || info.Model != "DS-2CD-virtual" || info.Namespace != tc.ns {
				t.Fatalf("device info %+v", info)
			}
			if err := c.SetDeviceName(ctx, "bench-cam-1"); err != nil {
				t.Fatal(err)
			}

			// Reboot keeps settings.
			if err := c.Reboot(ctx); err != nil {
				t.Fatal(err)
			}
			waitEvent(t, cam, "reboot: ISAPI reboot")
			cam.WaitUp(t)
			if info, err := c.DeviceInfo(ctx); err != nil || info.DeviceName != "bench-cam-1" {
				t.Fatalf("after reboot: %q, %v; want the name kept", info.DeviceName, err)
			}

			// Basic reset: name wiped, users kept.
			if err := c.FactoryReset(ctx, camera.ResetBasic); err != nil {
				t.Fatal(err)
			}
			waitEvent(t, cam, "factory-reset basic")
			cam.WaitUp(t)
			if info, err := c.DeviceInfo(ctx); err != nil || info.DeviceName != isapisim.DefaultDeviceName {
				t.Fatalf("after basic reset: %q, %v; want default name, same password", info.DeviceName, err)
			}

			// Full reset: inactive again.
			if err := c.FactoryReset(ctx, camera.ResetFull); err != nil {
				t.Fatal(err)
			}
			waitEvent(t, cam, "factory-reset full")
			cam.WaitUp(t)
			if st, err := c.ActivationState(ctx); err != nil || st != camera.Uninitialized {
				t.Fatalf("after full reset: %v, %v", st, err)
			}
			if err := c.FactoryReset(ctx, "medium"); err == nil {
				t.Fatal("unknown reset mode accepted")
			}
		})
	}
}

func TestWrongPasswordIsTyped(t *testing.T) {
	ctx := ctxT(t)
	cam := simtest.NewCamera(t, "cam2", "127.0.0.22", isapisim.Config{Model: "m", LockoutAttempts: 5, LockoutDuration: time.Minute})
	if err := newClient(t, cam.URL, goodPassword).Activate(ctx, secret.Literal(goodPassword)); err != nil {
		t.Fatal(err)
	}
	_, err := newClient(t, cam.URL, "Wrong-Passw0rd").DeviceInfo(ctx)
	var ae *camera.AuthError
	if !errors.Is(err, camera.ErrUnauthorized) || errors.Is(err, camera.ErrLocked) || !errors.As(err, &ae) || ae.RetriesLeft != 4 {
		t.Fatalf("wrong password: %v; want AuthError with 4 retries left", err)
	}
}
