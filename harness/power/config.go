package power

import (
	"context"
	"fmt"
	"log/slog"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/camrig/camrig/harness/clock"
	"github.com/camrig/camrig/harness/internal/bindcheck"
	"github.com/camrig/camrig/harness/secret"
)

// Config is one power or press binding from a rig file. Which fields matter
// depends on Driver; each backend documents and validates its own.
type Config struct {
	Driver string `yaml:"driver"`
	// Port is a serial device path (numato, lcus, kmtronic).
	Port string `yaml:"port"`
	Baud int    `yaml:"baud"`
	// Channel is the relay channel, plug relay index or PoE port.
	Channel int `yaml:"channel"`
	// Pin names a GPIO line (gpio driver).
	Pin       string `yaml:"pin"`
	ActiveLow bool   `yaml:"active_low"`
	// URL is the device's base URL (tasmota, shelly) or udp://host:port (snmp-poe).
	URL string `yaml:"url"`
	// User and Password are credentials for network backends (the password
	// only ever from password_env / password_file).
	User         string `yaml:"user"`
	PasswordEnv  string `yaml:"password_env"`
	PasswordFile string `yaml:"password_file"`
	// Group is the PoE group index (snmp-poe).
	Group int `yaml:"group"`
	// CommunityEnv names the variable holding the SNMP write community.
	CommunityEnv string `yaml:"community_env"`
	// On, Off and Status are argv lists for the exec driver.
	On     []string `yaml:"on"`
	Off    []string `yaml:"off"`
	Status []string `yaml:"status"`
	// Timeout bounds one exchange with the board; Retries how often a
	// network backend tries again.
	Timeout time.Duration `yaml:"timeout"`
	Retries int           `yaml:"retries"`
	// MaxHold is only meaningful on a press binding: the longest hold the
	// solenoid may be asked for.
	MaxHold time.Duration `yaml:"max_hold"`
	// SafeOn makes "on" the safe state of this line (default: off).
	SafeOn bool `yaml:"safe_on"`
}

// Password returns the configured secret reference.
func (c Config) Password() secret.Secret {
	return secret.Secret{Env: c.PasswordEnv, File: c.PasswordFile}
}

// Deps are what a backend gets from the harness.
type Deps struct {
	Clock clock.Clock
	Log   *slog.Logger
}

// WithDefaults fills what the harness did not give: the real clock and the
// default logger. Open applies it; so do backend constructors called
// directly (tests, the LED sensor's board input).
func (d Deps) WithDefaults() Deps {
	d.Clock = clock.OrReal(d.Clock)
	if d.Log == nil {
		d.Log = slog.Default()
	}
	return d
}

// Opener builds a Switch from a binding. It may talk to the hardware.
type Opener func(ctx context.Context, cfg Config, deps Deps) (Switch, error)

// Driver is one backend: the name rig files give it, how to open a binding,
// and how to check one. Each backend package registers its Driver from init.
type Driver struct {
	Name string
	// Press: the line may drive a reset-button solenoid (a press binding):
	// it switches within milliseconds and may be held for seconds. Not so
	// a PoE port (detection takes seconds) or a VM's power (a freeze).
	Press bool
	Open  Opener
	// Check reports everything wrong with a binding that the backend can
	// tell without I/O (channel range, required keys, URL form, pin
	// names), each problem at the key it is about. rig.Load calls it for
	// every binding, so a wrong binding fails at file:line before any
	// hardware is touched. It must be cheap and must not open anything.
	Check func(cfg Config, scope bindcheck.Scope) bindcheck.Problems
}

var (
	regMu    sync.RWMutex
	registry = map[string]Driver{}
)

// Register makes a backend selectable by name from rig files. Backends call
// it from init; registering does nothing else (loading a rig file must
// never open hardware).
func Register(d Driver) {
	if d.Name == "" || d.Open == nil || d.Check == nil {
		panic("power: a driver needs Name, Open and Check: " + d.Name)
	}
	regMu.Lock()
	defer regMu.Unlock()
	if _, dup := registry[d.Name]; dup {
		panic("power: driver registered twice: " + d.Name)
	}
	registry[d.Name] = d
}

// Drivers lists the registered backend names, sorted.
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

// Known reports whether driver is registered.
func Known(driver string) bool {
	_, ok := Lookup(driver)
	return ok
}

// Lookup returns the registered driver named driver.
func Lookup(driver string) (Driver, bool) {
	regMu.RLock()
	defer regMu.RUnlock()
	d, ok := registry[driver]
	return d, ok
}

// Check validates a binding through its driver's Check: an empty or
// unknown driver is a problem at "driver".
func Check(cfg Config, scope bindcheck.Scope) bindcheck.Problems {
	known := strings.Join(Drivers(), ", ")
	if cfg.Driver == "" {
		return bindcheck.Problems{{Key: "driver", Msg: "driver is required (one of " + known + ")"}}
	}
	d, ok := Lookup(cfg.Driver)
	if !ok {
		return bindcheck.Problems{{Key: "driver", Msg: fmt.Sprintf("unknown driver %q (known: %s)", cfg.Driver, known)}}
	}
	return d.Check(cfg, scope)
}

// Open builds the Switch for cfg.
func Open(ctx context.Context, cfg Config, deps Deps) (Switch, error) {
	d, ok := Lookup(cfg.Driver)
	if !ok {
		return nil, fmt.Errorf("power: unknown driver %q (known: %v)", cfg.Driver, Drivers())
	}
	return d.Open(ctx, cfg, deps.WithDefaults())
}
