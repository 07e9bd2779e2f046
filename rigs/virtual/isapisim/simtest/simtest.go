// Package simtest runs an isapisim API on a stand-in unit (power, reboot,
// factory reset, an in-memory config store) for tests of the API, the
// virtual NVR and the harness's clients, without the full virtual unit.
package simtest

import (
	"context"
	"fmt"
	"net"
	"sync"
	"testing"
	"time"

	"github.com/camrig/camrig/rigs/virtual/device"
	"github.com/camrig/camrig/rigs/virtual/isapisim"
)

// Unit is a minimal device.Host: the service runs while it is powered;
// Reboot restarts it; FactoryReset wipes the store (full) or all but
// isapisim.BasicResetKeep (basic) and restarts it.
type Unit struct {
	name, model string
	store       *device.Store
	svc         device.Service

	mu      sync.Mutex
	cancel  context.CancelFunc
	done    chan struct{}
	events  chan string
	lastErr error
}

// NewUnit returns an unpowered unit running svc when powered.
func NewUnit(name, model string, svc device.Service) *Unit {
	st, _ := device.OpenStore("") // in memory: never fails without a path
	return &Unit{name: name, model: model, store: st, svc: svc, events: make(chan string, 64)}
}

// Name implements device.Host.
func (u *Unit) Name() string { return u.name }

// Model implements device.Host.
func (u *Unit) Model() string { return u.model }

// Config implements device.Host.
func (u *Unit) Config() *device.Store { return u.store }

// Events receives "reboot: <reason>", "factory-reset full|basic",
// "power on", "power off" as they happen.
func (u *Unit) Events() <-chan string { return u.events }

func (u *Unit) event(s string) {
	select {
	case u.events <- s:
	default:
	}
}

// PowerOn starts the service (no-op when already on).
func (u *Unit) PowerOn() {
	u.mu.Lock()
	defer u.mu.Unlock()
	if u.cancel != nil {
		return
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	u.cancel, u.done = cancel, done
	go func() {
		defer close(done)
		if err := u.svc(ctx, u); err != nil {
			u.mu.Lock()
			u.lastErr = err
			u.mu.Unlock()
		}
	}()
	u.event("power on")
}

// PowerOff stops the service and waits for it to return.
func (u *Unit) PowerOff() {
	u.mu.Lock()
	cancel, done := u.cancel, u.done
	u.cancel, u.done = nil, nil
	u.mu.Unlock()
	if cancel == nil {
		return
	}
	cancel()
	<-done
	u.event("power off")
}

// Powered reports whether the service is running.
func (u *Unit) Powered() bool {
	u.mu.Lock()
	defer u.mu.Unlock()
	return u.cancel != nil
}

// Err is the last error the service returned.
func (u *Unit) Err() error {
	u.mu.Lock()
	defer u.mu.Unlock()
	return u.lastErr
}

// Reboot implements device.Host.
func (u *Unit) Reboot(reason string) {
	u.PowerOff()
	u.event("reboot: " + reason)
	u.PowerOn()
}

// FactoryReset implements device.Host.
func (u *Unit) FactoryReset(full bool) {
	u.PowerOff()
	if full {
		u.store.Wipe()
		u.event("factory-reset full")
	} else {
		u.store.Wipe(isapisim.BasicResetKeep(u.store)...)
		u.event("factory-reset basic")
	}
	u.PowerOn()
}

// FreeAddr returns ip:port with a port that was free a moment ago, so a
// unit keeps one URL across restarts.
func FreeAddr(t testing.TB, ip string) string {
	t.Helper()
	ln, err := net.Listen("tcp", net.JoinHostPort(ip, "0"))
	if err != nil {
		t.Fatalf("loopback %s: %v", ip, err)
	}
	addr := ln.Addr().String()
	ln.Close()
	return addr
}

// Camera is a powered unit running an isapisim API.
type Camera struct {
	*Unit
	URL string
	// Up receives the address each time the API starts listening.
	Up <-chan net.Addr
}

// WaitUp waits for the API to come up (after PowerOn, Reboot, reset).
func (c *Camera) WaitUp(t testing.TB) {
	t.Helper()
	select {
	case <-c.Up:
	case <-time.After(10 * time.Second):
		t.Fatalf("%s: API did not come up (last error %v)", c.Name(), c.Err())
	}
}

// NewCamera builds an isapisim API from cfg on a free port of ip, powers
// the unit and waits for the API. cfg.Addr and cfg.OnListen are set here.
// The unit is powered off when the test ends.
func NewCamera(t testing.TB, name, ip string, cfg isapisim.Config) *Camera {
	t.Helper()
	cfg.Addr = FreeAddr(t, ip)
	up := make(chan net.Addr, 16)
	cfg.OnListen = func(a net.Addr) { up <- a }
	srv, err := isapisim.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	c := &Camera{Unit: NewUnit(name, cfg.Model, srv.Run), URL: fmt.Sprintf("http://%s", cfg.Addr), Up: up}
	t.Cleanup(c.PowerOff)
	c.PowerOn()
	c.WaitUp(t)
	return c
}
