// Package gpioline drives a host GPIO line through periph.io: as a power
// switch (driver "gpio": a relay HAT, a solenoid driver) and as the LED
// sensor's edge-detecting input (led driver "gpio").
package gpioline

import (
	"context"
	"errors"
	"fmt"
	"sync"

	"periph.io/x/conn/v3/gpio"
	"periph.io/x/conn/v3/gpio/gpioreg"
	"periph.io/x/host/v3"

	"github.com/camrig/camrig/harness/internal/bindcheck"
	"github.com/camrig/camrig/harness/led"
	"github.com/camrig/camrig/harness/power"
)

// Driver gpio: a GPIO line driving a relay or a solenoid driver directly
// (a relay HAT on a Raspberry Pi and the like), through periph.io.
//
//	power: {driver: gpio, pin: GPIO17, active_low: true}
//
// The pin is looked up by name in periph's registry (gpioreg: "GPIO17",
// "P1_11", a gpiochip line name, ...). periph's host drivers (ioctl gpio
// chips, sysfs, SoC registers) are loaded by the first lookup that does not
// find the name among pins already registered, so tests can register fake
// pins and never touch the host. active_low inverts the level: many relay
// HATs energise on a low output. Set returns when the output is driven (a
// register write: there is nothing else to wait for); Get reads the pin
// back.

func init() {
	power.Register(power.Driver{Name: "gpio", Press: true, Open: openGPIO, Check: checkGPIO})
	led.Register(led.Driver{Name: "gpio", Open: openLED, Check: checkLED})
}

// checkGPIO can only require a name: whether the host has the pin is known
// once periph's host drivers are loaded, which touches the hardware.
func checkGPIO(cfg power.Config, _ bindcheck.Scope) bindcheck.Problems { return checkPin(cfg.Pin) }

func checkLED(cfg led.Config) bindcheck.Problems { return checkPin(cfg.Pin) }

func checkPin(pin string) bindcheck.Problems {
	var ps bindcheck.Problems
	if pin == "" {
		ps.Add("pin", "the gpio driver needs pin (a GPIO line name)")
	}
	return ps
}

// openLED watches the pin's edges as the LED's input.
func openLED(ctx context.Context, cfg led.Config, opts led.Options) (*led.Sensor, error) {
	p, err := FindPin(cfg.Pin)
	if err != nil {
		return nil, fmt.Errorf("led: %w", err)
	}
	return led.NewEdge(p, opts)
}

var (
	hostOnce sync.Once
	hostErr  error
)

// FindPin returns the GPIO named name, loading periph's host drivers once
// if the name is not already registered.
func FindPin(name string) (gpio.PinIO, error) {
	if name == "" {
		return nil, errors.New("gpio: no pin named")
	}
	if p := gpioreg.ByName(name); p != nil {
		return p, nil
	}
	hostOnce.Do(func() { _, hostErr = host.Init() })
	if p := gpioreg.ByName(name); p != nil {
		return p, nil
	}
	if hostErr != nil {
		return nil, fmt.Errorf("gpio: pin %q not found (loading host drivers: %w)", name, hostErr)
	}
	return nil, fmt.Errorf("gpio: pin %q not found (%d pins known on this host)", name, len(gpioreg.All()))
}

type gpioSwitch struct {
	pin       gpio.PinIO
	name      string
	activeLow bool
	mu        sync.Mutex
}

func openGPIO(ctx context.Context, cfg power.Config, deps power.Deps) (power.Switch, error) {
	p, err := FindPin(cfg.Pin)
	if err != nil {
		return nil, err
	}
	return &gpioSwitch{pin: p, name: cfg.Pin, activeLow: cfg.ActiveLow}, nil
}

func (g *gpioSwitch) String() string { return "gpio:" + g.name }

func (g *gpioSwitch) level(on bool) gpio.Level { return gpio.Level(on != g.activeLow) }

// Set drives the pin.
func (g *gpioSwitch) Set(ctx context.Context, on bool) error {
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("%s: set %s: %w", g, power.State(on), err)
	}
	g.mu.Lock()
	defer g.mu.Unlock()
	if err := g.pin.Out(g.level(on)); err != nil {
		return fmt.Errorf("%s: set %s (drive %s): %w", g, power.State(on), g.level(on), err)
	}
	return nil
}

// Get reads the pin's level back.
func (g *gpioSwitch) Get(ctx context.Context) (bool, error) {
	if err := ctx.Err(); err != nil {
		return false, fmt.Errorf("%s: read: %w", g, err)
	}
	g.mu.Lock()
	defer g.mu.Unlock()
	return bool(g.pin.Read()) != g.activeLow, nil
}
