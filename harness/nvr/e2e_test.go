package nvr_test

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/camrig/camrig/harness/camera"
	"github.com/camrig/camrig/harness/nvr"
	"github.com/camrig/camrig/harness/secret"
	"github.com/camrig/camrig/rigs/virtual/isapisim"
	"github.com/camrig/camrig/rigs/virtual/isapisim/simtest"
	"github.com/camrig/camrig/rigs/virtual/nvrsim"
)

var (
	nvrPassword = fmt.Sprintf("Nvr-Admin-%04d", rand.IntN(10000))
	camPassword = fmt.Sprintf("Nvr-Cam-%04d", rand.IntN(10000))
	otherPass   = "Other-Pass99"
)

type rig struct {
	url    string
	nvr    *nvrsim.NVR
	client *nvr.Client
	cams   []*simtest.Camera
	probed chan struct{}
}

func camClient(t *testing.T, c *simtest.Camera, pw string) *camera.Client {
	t.Helper()
	cl, err := camera.New(camera.Config{Name: c.Name(), URL: c.URL, User: "admin", Password: secret.Literal(pw), Timeout: 5 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	return cl
}

// newRig: three units on PoE ports 1-3 of a 4-port NVR that probes at
// start, on Kick, and when the test calls Probe; before runs first.
func newRig(t *testing.T, before func(cams []*simtest.Camera)) *rig {
	t.Helper()
	r := &rig{probed: make(chan struct{}, 16)}
	for i, ip := range []string{"127.0.0.41", "127.0.0.42", "127.0.0.43"} {
		r.cams = append(r.cams, simtest.NewCamera(t, "cam"+string(rune('1'+i)), ip, isapisim.Config{
			Model: "m", LockoutAttempts: 2, LockoutDuration: time.Hour,
		}))
	}
	if before != nil {
		before(r.cams)
	}
	addr := simtest.FreeAddr(t, "127.0.0.40")
	r.url = "http://" + addr
	n, err := nvrsim.New(nvrsim.Config{
		Addr: addr, Password: nvrPassword, CameraPassword: camPassword, Ports: 4, Poll: time.Hour,
		OnProbe: func() { r.probed <- struct{}{} },
	})
	if err != nil {
		t.Fatal(err)
	}
	for i, c := range r.cams {
		if err := n.Wire(i+1, c.URL, c.Powered); err != nil {
			t.Fatal(err)
		}
	}
	r.nvr = n
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		if err := n.Run(ctx); err != nil {
			t.Error(err)
		}
	}()
	t.Cleanup(func() { cancel(); <-done })
	r.waitProbe(t) // the first pass, at start
	r.client, err = nvr.New(nvr.Config{URL: "http://" + addr, User: "admin", Password: secret.Literal(nvrPassword)})
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func (r *rig) waitProbe(t *testing.T) {
	t.Helper()
	select {
	case <-r.probed:
	case <-time.After(10 * time.Second):
		t.Fatal("no probe pass")
	}
}

func (r *rig) expect(t *testing.T, port int, online bool, detect string) {
	t.Helper()
	ps, err := r.client.Port(context.Background(), port)
	if err != nil {
		t.Fatalf("port %d: %v", port, err)
	}
	if ps.Online != online || ps.Detect != detect {
		t.Fatalf("port %d: online=%v %s; want online=%v %s", port, ps.Online, ps.Detect, online, detect)
	}
}

func TestNVRSyncEndToEnd(t *testing.T) {
	ctx := context.Background()
	// cam1 stays inactive for the NVR; cam2 already has the NVR's camera
	// password; cam3 has another one.
	r := newRig(t, func(cams []*simtest.Camera) {
		if err := camClient(t, cams[1], camPassword).Activate(ctx, secret.Literal(camPassword)); err != nil {
			t.Fatal(err)
		}
		if err := camClient(t, cams[2], otherPass).Activate(ctx, secret.Literal(otherPass)); err != nil {
			t.Fatal(err)
		}
	})
	cam1, cam2, cam3 := r.cams[0], r.cams[1], r.cams[2]

	// The NVR activated cam1 with its camera password.
	if st, err := camClient(t, cam1, camPassword).ActivationState(ctx); err != nil || st != camera.Activated {
		t.Fatalf("cam1 after the NVR saw it: %v %v", st, err)
	}
	if uc, err := camClient(t, cam1, camPassword).UserCheck(ctx); err != nil || !uc.OK {
		t.Fatalf("cam1 does not take the NVR's camera password: %+v %v", uc, err)
	}
	r.expect(t, 1, true, nvr.DetectConnect)
	r.expect(t, 2, true, nvr.DetectConnect)
	r.expect(t, 3, false, nvr.DetectBadPassword)
	if _, err := r.client.Port(ctx, 4); !errors.Is(err, nvr.ErrNoChannel) {
		t.Fatalf("unwired port 4: %v; want ErrNoChannel", err)
	}

	chans, err := r.client.Channels(ctx)
	if err != nil || len(chans) != 3 {
		t.Fatalf("channels %+v %v", chans, err)
	}
	for i, c := range chans {
		host, _, _ := net.SplitHostPort(strings.TrimPrefix(r.cams[i].URL, "http://"))
		if c.ID != i+1 || c.Source.IPAddress != host || c.Source.ManagePort != 8000 || c.Source.SrcInputPort != 1 || c.Source.UserName != "admin" {
			t.Errorf("channel %+v", c)
		}
	}

	// The NVR does not hammer a unit that refuses it: more passes add no
	// failed logins (cam3 would lock after 2).
	r.nvr.Probe(ctx)
	r.nvr.Probe(ctx)
	if uc, err := camClient(t, cam3, otherPass).UserCheck(ctx); err != nil || !uc.OK {
		t.Fatalf("cam3 after NVR polling: %+v %v; the NVR's polling locked it", uc, err)
	}

	// Unpowered: offline, netUnreachable; back: connect.
	cam2.PowerOff()
	r.nvr.Kick()
	r.waitProbe(t)
	r.expect(t, 2, false, nvr.DetectNetUnreachable)
	cam2.PowerOn()
	cam2.WaitUp(t)
	r.nvr.Probe(ctx)
	r.expect(t, 2, true, nvr.DetectConnect)

	// A full reset of cam3 hands it back to the NVR, which re-activates it.
	if err := camClient(t, cam3, otherPass).FactoryReset(ctx, camera.ResetFull); err != nil {
		t.Fatal(err)
	}
	cam3.WaitUp(t)
	r.nvr.Probe(ctx)
	r.expect(t, 3, true, nvr.DetectConnect)
	if uc, err := camClient(t, cam3, camPassword).UserCheck(ctx); err != nil || !uc.OK {
		t.Fatalf("cam3 after the NVR re-activated it: %+v %v", uc, err)
	}
}

func TestNVRWrongPassword(t *testing.T) {
	r := newRig(t, nil)
	bad, err := nvr.New(nvr.Config{URL: r.url, User: "admin", Password: secret.Literal("Wrong-Pass1")})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := bad.Status(context.Background()); !errors.Is(err, nvr.ErrUnauthorized) {
		t.Fatalf("%v; want ErrUnauthorized", err)
	}
}
