package camera_test

import (
	"errors"
	"net"
	"net/http"
	"sync"
	"testing"
	"time"

	"github.com/camrig/camrig/harness/camera"
	"github.com/camrig/camrig/harness/clock"
	"github.com/camrig/camrig/harness/secret"
	"github.com/camrig/camrig/rigs/virtual/isapisim"
	"github.com/camrig/camrig/rigs/virtual/isapisim/simtest"
)

// unitTime is the virtual unit's clock, moved by hand.
type unitTime struct {
	mu sync.Mutex
	t  time.Time
}

func (u *unitTime) Now() time.Time { u.mu.Lock(); defer u.mu.Unlock(); return u.t }
func (u *unitTime) Advance(d time.Duration) {
	u.mu.Lock()
	defer u.mu.Unlock()
	u.t = u.t.Add(d)
}

// TestLockout: at timescale 0.01 a 30-minute lock lasts 18 s of the unit's
// clock, which the test moves by hand: N-1 failures stay unlocked, the Nth
// locks, the right password is refused while locked and accepted after.
func TestLockout(t *testing.T) {
	for _, tc := range []struct {
		scope    string
		attempts int
	}{{"ip", 7}, {"account", 5}} {
		t.Run(tc.scope, func(t *testing.T) {
			ctx := ctxT(t)
			const scale = clock.Scale(0.01)
			ut := &unitTime{t: time.Unix(1_700_000_000, 0)}
			cam := simtest.NewCamera(t, "cam-lock", "127.0.0.23", isapisim.Config{
				Model: "m", LockoutAttempts: tc.attempts, LockoutDuration: 30 * time.Minute,
				LockoutScope: tc.scope, Timescale: float64(scale), Now: ut.Now,
			})
			good := newClient(t, cam.URL, goodPassword)
			if err := good.Activate(ctx, secret.Literal(goodPassword)); err != nil {
				t.Fatal(err)
			}
			bad := newClient(t, cam.URL, "Wrong-Passw0rd")
			for i := 1; i < tc.attempts; i++ {
				uc, err := bad.UserCheck(ctx)
				if err != nil {
					t.Fatal(err)
				}
				if uc.OK || uc.Locked || !uc.IllegalLogin || uc.RetriesLeft != tc.attempts-i {
					t.Fatalf("failure %d: %+v; want unlocked with %d retries left", i, uc, tc.attempts-i)
				}
			}
			if uc, err := good.UserCheck(ctx); err != nil || !uc.OK {
				t.Fatalf("right password after %d failures: %+v, %v", tc.attempts-1, uc, err)
			}
			// A good login clears the count; fail up to the limit again.
			for i := 1; i <= tc.attempts; i++ {
				uc, err := bad.UserCheck(ctx)
				if err != nil {
					t.Fatal(err)
				}
				if wantLock := i == tc.attempts; uc.Locked != wantLock {
					t.Fatalf("failure %d: locked=%v, want %v", i, uc.Locked, wantLock)
				}
				if i == tc.attempts && uc.UnlockIn != 30*time.Minute {
					t.Fatalf("unlockTime %s, want 30m in device time", uc.UnlockIn)
				}
			}
			uc, err := good.UserCheck(ctx)
			if err != nil || uc.OK || !uc.Locked {
				t.Fatalf("right password while locked: %+v, %v; want refused, locked", uc, err)
			}
			_, err = good.DeviceInfo(ctx)
			var le *camera.LockedError
			if !errors.Is(err, camera.ErrLocked) || !errors.As(err, &le) || le.UnlockIn <= 0 || le.UnlockIn > 30*time.Minute {
				t.Fatalf("deviceInfo while locked: %v; want LockedError", err)
			}
			// The unit's clock runs at the rig's timescale: 30 min of
			// device time is scale.Of(30 min) on the unit's clock.
			ut.Advance(scale.Of(le.UnlockIn) - time.Millisecond)
			if uc, _ := good.UserCheck(ctx); !uc.Locked {
				t.Fatal("unlocked before the reported unlock time")
			}
			ut.Advance(time.Millisecond)
			if uc, err := good.UserCheck(ctx); err != nil || !uc.OK {
				t.Fatalf("right password after the lock: %+v, %v", uc, err)
			}
		})
	}
}

// TestLockoutRealTime waits out a lock on the real clock at a tiny
// timescale, for the unit's reported unlock time (rounded up by the unit,
// so the wait is never short).
func TestLockoutRealTime(t *testing.T) {
	ctx := ctxT(t)
	const scale = clock.Scale(0.0001) // 30 min -> 180 ms
	cam := simtest.NewCamera(t, "cam-rt", "127.0.0.24", isapisim.Config{
		Model: "m", LockoutAttempts: 3, LockoutDuration: 30 * time.Minute, Timescale: float64(scale),
	})
	good := newClient(t, cam.URL, goodPassword)
	if err := good.Activate(ctx, secret.Literal(goodPassword)); err != nil {
		t.Fatal(err)
	}
	bad := newClient(t, cam.URL, "Wrong-Passw0rd")
	var uc camera.UserCheck
	for i := 0; i < 3; i++ {
		var err error
		if uc, err = bad.UserCheck(ctx); err != nil {
			t.Fatal(err)
		}
	}
	if !uc.Locked {
		t.Fatalf("3 failures: %+v; want locked", uc)
	}
	if uc, _ := good.UserCheck(ctx); uc.OK {
		t.Fatal("right password accepted while locked")
	}
	if err := clock.Wait(ctx, clock.Real{}, scale.Of(uc.UnlockIn)); err != nil {
		t.Fatal(err)
	}
	if uc, err := good.UserCheck(ctx); err != nil || !uc.OK {
		t.Fatalf("after the reported unlock time: %+v, %v", uc, err)
	}
}

// TestLockoutScopeIP: an IP-scoped lock does not refuse another source
// address.
func TestLockoutScopeIP(t *testing.T) {
	ctx := ctxT(t)
	cam := simtest.NewCamera(t, "cam-ip", "127.0.0.25", isapisim.Config{Model: "m", LockoutAttempts: 2, LockoutDuration: time.Hour, LockoutScope: "ip"})
	good := newClient(t, cam.URL, goodPassword)
	if err := good.Activate(ctx, secret.Literal(goodPassword)); err != nil {
		t.Fatal(err)
	}
	bad := newClient(t, cam.URL, "Wrong-Passw0rd")
	bad.UserCheck(ctx)
	if uc, _ := bad.UserCheck(ctx); !uc.Locked {
		t.Fatal("not locked after 2 failures")
	}
	tr := &http.Transport{DialContext: (&net.Dialer{LocalAddr: &net.TCPAddr{IP: net.IPv4(127, 0, 0, 99)}}).DialContext, DisableKeepAlives: true}
	other, err := camera.New(camera.Config{URL: cam.URL, User: "admin", Password: secret.Literal(goodPassword), Transport: tr})
	if err != nil {
		t.Fatal(err)
	}
	if uc, err := other.UserCheck(ctx); err != nil || !uc.OK {
		t.Fatalf("from another address: %+v, %v; want accepted", uc, err)
	}
	if uc, _ := good.UserCheck(ctx); uc.OK {
		t.Fatal("locked address accepted")
	}
}
