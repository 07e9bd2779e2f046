package led

import (
	"context"
	"fmt"
	"strconv"
	"time"

	"github.com/camrig/camrig/harness/power"
)

// Config is a unit's led binding in a rig file.
//
//	led: {driver: numato-gpio, port: /dev/ttyACM0, pin: 0, poll: 20ms}
//	led: {driver: gpio, pin: GPIO27, active_low: true}
type Config struct {
	// Driver is numato-gpio (polled "gpio read N" on a Numato board, which
	// may be the same board and port as the unit's relays) or gpio (a
	// periph pin with edge detection).
	Driver string `yaml:"driver"`
	Port   string `yaml:"port"`
	Baud   int    `yaml:"baud"`
	// Pin is the Numato GPIO number (0-31) or the periph pin name.
	Pin       string        `yaml:"pin"`
	ActiveLow bool          `yaml:"active_low"`
	Poll      time.Duration `yaml:"poll"`
	Window    time.Duration `yaml:"window"`
	// Timeout bounds one Numato exchange (default power.DefaultSerialTimeout).
	Timeout time.Duration `yaml:"timeout"`
}

// Drivers lists the led drivers Open knows.
var Drivers = []string{"gpio", "numato-gpio"}

// Open builds the sensor for cfg. opts supplies the clock, timeline and
// log; cfg's active_low, poll and window override opts' when set.
func Open(ctx context.Context, cfg Config, opts Options) (*Sensor, error) {
	opts.ActiveLow = opts.ActiveLow || cfg.ActiveLow
	if cfg.Poll > 0 {
		opts.Poll = cfg.Poll
	}
	if cfg.Window > 0 {
		opts.Window = cfg.Window
	}
	if cfg.Poll < 0 || cfg.Window < 0 {
		return nil, fmt.Errorf("led %s %s: poll and window must not be negative", cfg.Driver, cfg.Pin)
	}
	switch cfg.Driver {
	case "numato-gpio":
		pin, err := strconv.Atoi(cfg.Pin)
		if err != nil {
			return nil, fmt.Errorf("led numato-gpio:%s: pin %q is not a GPIO number", cfg.Port, cfg.Pin)
		}
		in, err := power.OpenNumatoGPIO(ctx, power.Config{Port: cfg.Port, Baud: cfg.Baud, Timeout: cfg.Timeout}, pin,
			power.Deps{Clock: opts.Clock, Log: opts.Log})
		if err != nil {
			return nil, fmt.Errorf("led: %w", err)
		}
		return NewPolled(in, opts), nil
	case "gpio":
		p, err := power.FindPin(cfg.Pin)
		if err != nil {
			return nil, fmt.Errorf("led: %w", err)
		}
		return NewEdge(p, opts)
	}
	return nil, fmt.Errorf("led: unknown driver %q (known: %v)", cfg.Driver, Drivers)
}
