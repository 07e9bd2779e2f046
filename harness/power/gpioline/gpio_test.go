package gpioline_test

import (
	"context"
	"strings"
	"testing"

	"periph.io/x/conn/v3/gpio"
	"periph.io/x/conn/v3/gpio/gpioreg"
	"periph.io/x/conn/v3/gpio/gpiotest"

	"github.com/camrig/camrig/harness/power"
)

// registerPin adds a fake pin to periph's registry under a name unique to
// the test (the registry is process-wide and has no removal for aliases).
func registerPin(t *testing.T, name string) *gpiotest.Pin {
	t.Helper()
	p := &gpiotest.Pin{N: name, Num: -1, EdgesChan: make(chan gpio.Level, 16)}
	if err := gpioreg.Register(p); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { gpioreg.Unregister(name) })
	return p
}

func TestGPIOSwitchLevels(t *testing.T) {
	cases := []struct {
		activeLow bool
		on, off   gpio.Level
	}{
		{false, gpio.High, gpio.Low},
		{true, gpio.Low, gpio.High},
	}
	for _, c := range cases {
		name := "CAMRIG_TEST_RELAY_" + map[bool]string{false: "HIGH", true: "LOW"}[c.activeLow]
		pin := registerPin(t, name)
		sw := openGPIO(t, power.Config{Driver: "gpio", Pin: name, ActiveLow: c.activeLow})
		if sw.String() != "gpio:"+name {
			t.Fatalf("String = %q", sw.String())
		}
		ctx := context.Background()
		for _, want := range []bool{true, false} {
			if err := sw.Set(ctx, want); err != nil {
				t.Fatal(err)
			}
			level := pin.Read()
			if (want && level != c.on) || (!want && level != c.off) {
				t.Fatalf("active_low=%v: Set(%v) drove %v", c.activeLow, want, level)
			}
			if got, err := sw.Get(ctx); err != nil || got != want {
				t.Fatalf("Get = %v, %v", got, err)
			}
		}
	}
}

func TestGPIOSwitchHonoursCancelledContext(t *testing.T) {
	pin := registerPin(t, "CAMRIG_TEST_RELAY_CTX")
	sw := openGPIO(t, power.Config{Driver: "gpio", Pin: "CAMRIG_TEST_RELAY_CTX"})
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := sw.Set(ctx, true); err == nil {
		t.Fatal("Set on a cancelled context succeeded")
	}
	if pin.Read() != gpio.Low {
		t.Fatal("pin driven despite the cancelled context")
	}
}

func TestGPIOUnknownPin(t *testing.T) {
	_, err := power.Open(context.Background(), power.Config{Driver: "gpio", Pin: "NO_SUCH_PIN_42"}, power.Deps{})
	if err == nil || !strings.Contains(err.Error(), `"NO_SUCH_PIN_42" not found`) {
		t.Fatalf("err = %v", err)
	}
	if _, err := power.Open(context.Background(), power.Config{Driver: "gpio"}, power.Deps{}); err == nil {
		t.Fatal("no pin accepted")
	}
}

func openGPIO(t *testing.T, cfg power.Config) power.Switch {
	t.Helper()
	sw, err := power.Open(context.Background(), cfg, power.Deps{})
	if err != nil {
		t.Fatal(err)
	}
	return sw
}
