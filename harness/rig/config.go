package rig

import (
	"sync"
	"time"

	"github.com/camrig/camrig/harness/clock"
	"github.com/camrig/camrig/harness/lab"
	"github.com/camrig/camrig/harness/led"
	"github.com/camrig/camrig/harness/power"
	"github.com/camrig/camrig/harness/profile"
	"github.com/camrig/camrig/harness/secret"
)

// Rig is one validated rig file.
type Rig struct {
	Name      string
	Timescale clock.Scale
	// StateDir is where ${state_dir} points (absolute; may be empty when the
	// file neither sets nor uses it).
	StateDir string
	Virtual  bool
	// ProfilesDir is the absolute directory the unit profiles came from.
	ProfilesDir string
	// LockDir holds one lock file per unit (see Lease).
	LockDir string
	NVR     *NVRConfig
	// Lab, when set, is the etcd cluster the units are leased in (instead
	// of lock files in LockDir).
	Lab   *lab.Config
	Units []UnitConfig
	// File is the rig file's path as given to Load.
	File string
	// Clock paces LeaseAny's waits and stamps leases; nil means the wall
	// clock.
	Clock clock.Clock

	profiles map[string]*profile.Profile // by unit name

	labMu    sync.Mutex
	labStore *lab.Store
}

// UnitConfig is one unit's bindings.
type UnitConfig struct {
	Name    string
	Profile string
	Console ConsoleConfig
	Power   *power.Config
	Press   *power.Config
	LED     *LEDConfig
	API     *APIConfig
	// NVRPort is the NVR PoE port / channel the unit is plugged into (0: none).
	NVRPort int
	// Line is where the unit starts in the rig file.
	Line int
}

// ConsoleConfig is a unit's UART. Port is a tty path or a
// tcp://, rfc2217:// or unix:// address; defaults are 115200 8N1.
type ConsoleConfig struct {
	Port     string
	Baud     int
	DataBits int
	// Parity is none, even, odd, mark or space.
	Parity   string
	StopBits int
}

// LEDConfig binds the unit's status LED to a digital input.
type LEDConfig struct {
	// Driver is numato-gpio (Pin is the board's GPIO index) or gpio (Pin is
	// a GPIO line name).
	Driver    string
	Port      string
	Pin       string
	ActiveLow bool
	// Poll is the sampling interval (0: the driver's default).
	Poll time.Duration
}

// sensorConfig is the binding as the led package checks and opens it.
func (c LEDConfig) sensorConfig() led.Config {
	return led.Config{Driver: c.Driver, Port: c.Port, Pin: c.Pin, ActiveLow: c.ActiveLow, Poll: c.Poll}
}

// APIConfig is the unit's network API.
type APIConfig struct {
	URL      string
	User     string
	Password secret.Secret
}

// NVRConfig is the NVR's API.
type NVRConfig struct {
	API      string
	User     string
	Password secret.Secret
}

// Unit returns the named unit's configuration.
func (r *Rig) Unit(name string) (UnitConfig, bool) {
	for _, u := range r.Units {
		if u.Name == name {
			return u, true
		}
	}
	return UnitConfig{}, false
}

// UnitNames lists the units in file order.
func (r *Rig) UnitNames() []string {
	out := make([]string, len(r.Units))
	for i, u := range r.Units {
		out[i] = u.Name
	}
	return out
}

// Profile returns the loaded profile of the named unit, or nil for an
// unknown unit.
func (r *Rig) Profile(unit string) *profile.Profile {
	return r.profiles[unit]
}

func (r *Rig) clock() clock.Clock { return clock.OrReal(r.Clock) }
