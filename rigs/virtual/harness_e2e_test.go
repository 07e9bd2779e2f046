package virtual_test

// The harness's own relay drivers against the simulated boards: a real
// peer for each side (the drivers were written from the vendors' facts, the
// boards from the same facts by someone else).

import (
	"context"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/camrig/camrig/harness/power"
	"github.com/camrig/camrig/harness/power/numato"
	"github.com/camrig/camrig/rigs/virtual"
	"github.com/camrig/camrig/rigs/virtual/unit"
)

func TestHarnessRelayDriversDriveTheVirtualRig(t *testing.T) {
	dir, err := os.MkdirTemp("", "camrig-e2e-")
	if err != nil {
		t.Fatal(err)
	}
	defer os.RemoveAll(dir)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	r, err := virtual.Start(ctx, virtual.RelocatedRig(t, dir, 0), virtual.WithStateDir(dir), virtual.WithTimescale(0.001))
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	deps := power.Deps{Log: slog.New(slog.NewTextHandler(io.Discard, nil))}
	numatoPort := filepath.Join(dir, "relay-numato")

	cam3Power, err := power.Open(ctx, power.Config{Driver: "numato", Port: numatoPort, Channel: 4}, deps)
	if err != nil {
		t.Fatal(err)
	}
	defer closeSwitch(cam3Power)
	cam2Power, err := power.Open(ctx, power.Config{Driver: "lcus", Port: filepath.Join(dir, "relay-lcus"), Channel: 1}, deps)
	if err != nil {
		t.Fatal(err)
	}
	defer closeSwitch(cam2Power)
	led, err := numato.OpenGPIO(ctx, power.Config{Port: numatoPort}, 2, deps)
	if err != nil {
		t.Fatal(err)
	}
	defer led.Close()

	for _, sw := range []struct {
		s power.Switch
		u *unit.Unit
	}{{cam3Power, r.Unit("cam3")}, {cam2Power, r.Unit("cam2")}} {
		if err := sw.s.Set(ctx, true); err != nil {
			t.Fatalf("%v on: %v", sw.s, err)
		}
		if on, err := sw.s.Get(ctx); err != nil || !on {
			t.Fatalf("%v reads %v, %v after on", sw.s, on, err)
		}
		if !sw.u.Powered() {
			t.Fatalf("%s not powered after %v on", sw.u.Name(), sw.s)
		}
	}
	if err := r.Unit("cam3").WaitState(ctx, unit.StateUp); err != nil {
		t.Fatal(err)
	}
	if lit, err := led.Read(ctx); err != nil || !lit {
		t.Fatalf("cam3 LED through the harness gpio reader: %v, %v", lit, err)
	}
	if err := cam3Power.Set(ctx, false); err != nil {
		t.Fatal(err)
	}
	if r.Unit("cam3").Powered() {
		t.Fatal("cam3 still powered")
	}
	if lit, err := led.Read(ctx); err != nil || lit {
		t.Fatalf("cam3 LED after power off: %v, %v", lit, err)
	}
}

func closeSwitch(s power.Switch) {
	if c, ok := s.(io.Closer); ok {
		c.Close()
	}
}
