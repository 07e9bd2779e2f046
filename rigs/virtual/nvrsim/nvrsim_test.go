package nvrsim_test

import (
	"context"
	"net"
	"sync/atomic"
	"testing"
	"time"

	"github.com/camrig/camrig/rigs/virtual/isapisim"
	"github.com/camrig/camrig/rigs/virtual/isapisim/simtest"
	"github.com/camrig/camrig/rigs/virtual/nvrsim"
)

func base() nvrsim.Config {
	return nvrsim.Config{Addr: "127.0.0.50:0", Password: "Nvr-Pass-1", CameraPassword: "Cam-Pass-12", Ports: 4}
}

func TestConfigValidation(t *testing.T) {
	for name, mut := range map[string]func(*nvrsim.Config){
		"non-loopback":         func(c *nvrsim.Config) { c.Addr = "10.0.0.2:80" },
		"non-loopback source":  func(c *nvrsim.Config) { c.SourceIP = "192.168.1.2" },
		"no API password":      func(c *nvrsim.Config) { c.Password = "" },
		"weak camera password": func(c *nvrsim.Config) { c.CameraPassword = "password" },
		"camera pw has user":   func(c *nvrsim.Config) { c.CameraPassword = "Admin-12345" },
		"no ports":             func(c *nvrsim.Config) { c.Ports = 0 },
		"too many ports":       func(c *nvrsim.Config) { c.Ports = 65 },
	} {
		c := base()
		mut(&c)
		if _, err := nvrsim.New(c); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
	n, err := nvrsim.New(base())
	if err != nil {
		t.Fatal(err)
	}
	for _, bad := range []struct {
		port int
		url  string
	}{{0, "http://127.0.0.11:1"}, {5, "http://127.0.0.11:1"}, {1, "http://192.168.1.64"}, {1, "ftp://127.0.0.1"}, {1, "::"}} {
		if err := n.Wire(bad.port, bad.url, nil); err == nil {
			t.Errorf("wire %d %q accepted", bad.port, bad.url)
		}
	}
	if err := n.Wire(1, "http://127.0.0.11:1", nil); err != nil {
		t.Fatal(err)
	}
	if err := n.Wire(1, "http://127.0.0.12:1", nil); err == nil {
		t.Error("port wired twice")
	}
}

// An unpowered port is netUnreachable without any traffic to the unit.
func TestUnpoweredPortSendsNothing(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.51:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	var conns atomic.Int32
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			conns.Add(1)
			c.Close()
		}
	}()
	n, _ := nvrsim.New(base())
	if err := n.Wire(1, "http://"+ln.Addr().String(), func() bool { return false }); err != nil {
		t.Fatal(err)
	}
	n.Probe(context.Background())
	if conns.Load() != 0 {
		t.Fatal("the NVR talked to an unpowered unit")
	}
	if len(n.Channels()) != 0 {
		t.Fatal("a channel for a unit never seen")
	}
}

// A unit seen once keeps its channel when it goes away.
func TestChannelSurvivesPowerLoss(t *testing.T) {
	cam := simtest.NewCamera(t, "cam", "127.0.0.52", isapisim.Config{Model: "m"})
	n, _ := nvrsim.New(base())
	if err := n.Wire(3, cam.URL, cam.Powered); err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	n.Probe(ctx)
	cs := n.Channels()
	if len(cs) != 1 || cs[0].ID != 3 || !cs[0].Online || cs[0].Detect != nvrsim.DetectConnect || cs[0].IP != "127.0.0.52" {
		t.Fatalf("%+v", cs)
	}
	cam.PowerOff()
	n.Probe(ctx)
	if cs := n.Channels(); len(cs) != 1 || cs[0].Online || cs[0].Detect != nvrsim.DetectNetUnreachable {
		t.Fatalf("after power loss: %+v", cs)
	}
}

// With ActivateAfter, a reset unit stays inactive (channel "connecting")
// for a while before the NVR takes it over.
func TestActivateAfter(t *testing.T) {
	cam := simtest.NewCamera(t, "cam", "127.0.0.53", isapisim.Config{Model: "m"})
	now := time.Unix(0, 0)
	c := base()
	c.ActivateAfter = 5 * time.Second
	c.Now = func() time.Time { return now }
	n, err := nvrsim.New(c)
	if err != nil {
		t.Fatal(err)
	}
	if err := n.Wire(1, cam.URL, cam.Powered); err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	n.Probe(ctx)
	now = now.Add(4 * time.Second)
	n.Probe(ctx)
	if cs := n.Channels(); len(cs) != 1 || cs[0].Online || cs[0].Detect != nvrsim.DetectConnecting {
		t.Fatalf("before the delay: %+v", cs)
	}
	if v, _ := cam.Config().Get(isapisim.KeyActivated); v == "true" {
		t.Fatal("activated before the delay")
	}
	now = now.Add(time.Second)
	n.Probe(ctx)
	if cs := n.Channels(); len(cs) != 1 || !cs[0].Online || cs[0].Detect != nvrsim.DetectConnect {
		t.Fatalf("after the delay: %+v", cs)
	}
}

// A down NVR (the fault matrix's) accepts a connection and drops the
// request without a byte of answer, and never dials a powered unit.
func TestDownNVRAnswersNothingAndProbesNothing(t *testing.T) {
	unit, err := net.Listen("tcp", "127.0.0.51:0")
	if err != nil {
		t.Fatal(err)
	}
	defer unit.Close()
	var dialled atomic.Int32
	go func() {
		for {
			c, err := unit.Accept()
			if err != nil {
				return
			}
			dialled.Add(1)
			c.Close()
		}
	}()
	cfg := base()
	cfg.Down, cfg.Poll = true, time.Millisecond
	probes := make(chan struct{}, 100)
	cfg.OnProbe = func() {
		select {
		case probes <- struct{}{}:
		default:
		}
	}
	addr := make(chan net.Addr, 1)
	cfg.OnListen = func(a net.Addr) { addr <- a }
	n, err := nvrsim.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	if err := n.Wire(1, "http://"+unit.Addr().String(), func() bool { return true }); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- n.Run(ctx) }()
	defer func() { cancel(); <-done }()
	a := <-addr
	for range 3 {
		<-probes
	}
	if dialled.Load() != 0 || len(n.Channels()) != 0 {
		t.Fatalf("a down NVR probed its ports: %d dials, channels %v", dialled.Load(), n.Channels())
	}
	c, err := net.Dial("tcp", a.String())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(10 * time.Second))
	if _, err := c.Write([]byte("GET /SDK/activateStatus HTTP/1.1\r\nHost: nvr\r\n\r\n")); err != nil {
		t.Fatal(err)
	}
	buf := make([]byte, 64)
	if k, err := c.Read(buf); k != 0 || err == nil {
		t.Fatalf("a down NVR answered %q (%v)", buf[:k], err)
	}
}
