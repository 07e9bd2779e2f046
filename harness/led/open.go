package led

import (
	"context"
	"fmt"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/camrig/camrig/harness/internal/bindcheck"
)

// Config is a unit's led binding in a rig file.
//
//	led: {driver: numato-gpio, port: /dev/ttyACM0, pin: 0, poll: 20ms}
//	led: {driver: gpio, pin: GPIO27, active_low: true}
type Config struct {
	// Driver names a registered LED backend: today numato-gpio (polled
	// "gpio read N" on a Numato board, which may be the same board and
	// port as the unit's relays; harness/power/numato) or gpio (a periph
	// pin with edge detection; harness/power/gpioline).
	Driver string `yaml:"driver"`
	Port   string `yaml:"port"`
	Baud   int    `yaml:"baud"`
	// Pin is the Numato GPIO number (0-31) or the periph pin name.
	Pin       string        `yaml:"pin"`
	ActiveLow bool          `yaml:"active_low"`
	Poll      time.Duration `yaml:"poll"`
	Window    time.Duration `yaml:"window"`
	// Timeout bounds one exchange with a board input (numato-gpio; default
	// serialboard.DefaultTimeout).
	Timeout time.Duration `yaml:"timeout"`
}

// Driver is one LED sensor backend: the name rig files give it, how to open
// a binding, and how to check one without I/O (see power.Driver). Backend
// packages register theirs from init.
type Driver struct {
	Name  string
	Open  func(ctx context.Context, cfg Config, opts Options) (*Sensor, error)
	Check func(cfg Config) bindcheck.Problems
}

var (
	regMu    sync.RWMutex
	registry = map[string]Driver{}
)

// Register makes an LED backend selectable by name; it does nothing else.
func Register(d Driver) {
	if d.Name == "" || d.Open == nil || d.Check == nil {
		panic("led: a driver needs Name, Open and Check: " + d.Name)
	}
	regMu.Lock()
	defer regMu.Unlock()
	if _, dup := registry[d.Name]; dup {
		panic("led: driver registered twice: " + d.Name)
	}
	registry[d.Name] = d
}

// Drivers lists the registered LED backends, sorted.
func Drivers() []string {
	regMu.RLock()
	defer regMu.RUnlock()
	out := make([]string, 0, len(registry))
	for k := range registry {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

func lookup(name string) (Driver, bool) {
	regMu.RLock()
	defer regMu.RUnlock()
	d, ok := registry[name]
	return d, ok
}

// Check validates a binding through its driver's Check, plus what every
// LED binding shares (poll and window not negative).
func Check(cfg Config) bindcheck.Problems {
	var ps bindcheck.Problems
	if cfg.Poll < 0 {
		ps.Add("poll", "poll %v: want a positive interval", cfg.Poll)
	}
	if cfg.Window < 0 {
		ps.Add("window", "window %v: want a positive duration", cfg.Window)
	}
	known := strings.Join(Drivers(), ", ")
	d, ok := lookup(cfg.Driver)
	switch {
	case cfg.Driver == "":
		ps.Add("driver", "driver is required (one of %s)", known)
	case !ok:
		ps.Add("driver", "unknown led driver %q (known: %s)", cfg.Driver, known)
	default:
		ps = append(ps, d.Check(cfg)...)
	}
	return ps
}

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
	d, ok := lookup(cfg.Driver)
	if !ok {
		return nil, fmt.Errorf("led: unknown driver %q (known: %v)", cfg.Driver, Drivers())
	}
	return d.Open(ctx, cfg, opts)
}
