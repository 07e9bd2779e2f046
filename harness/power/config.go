package power

import (
	"context"
	"fmt"
	"log/slog"
	"sort"
	"sync"
	"time"

	"github.com/camrig/camrig/harness/clock"
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

// Opener builds a Switch from a binding.
type Opener func(ctx context.Context, cfg Config, deps Deps) (Switch, error)

var (
	regMu    sync.RWMutex
	registry = map[string]Opener{}
)

// Register makes a backend selectable by name from rig files. Backends call
// it from init.
func Register(driver string, open Opener) {
	regMu.Lock()
	defer regMu.Unlock()
	if _, dup := registry[driver]; dup {
		panic("power: driver registered twice: " + driver)
	}
	registry[driver] = open
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
	regMu.RLock()
	defer regMu.RUnlock()
	_, ok := registry[driver]
	return ok
}

// Open builds the Switch for cfg.
func Open(ctx context.Context, cfg Config, deps Deps) (Switch, error) {
	regMu.RLock()
	open, ok := registry[cfg.Driver]
	regMu.RUnlock()
	if !ok {
		return nil, fmt.Errorf("power: unknown driver %q (known: %v)", cfg.Driver, Drivers())
	}
	if deps.Clock == nil {
		deps.Clock = clock.Real{}
	}
	if deps.Log == nil {
		deps.Log = slog.Default()
	}
	return open(ctx, cfg, deps)
}
