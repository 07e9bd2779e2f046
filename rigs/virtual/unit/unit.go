// Package unit simulates one camera unit on the virtual rig: a power input,
// a UART that plays the model's boot script at line rate, a bootloader that
// can be interrupted into a shell, a persistent config store, a reset button
// judged by how long it is held while powered, and a status LED.
//
// Time: every delay in the profile and boot script is device time,
// multiplied by the rig's timescale. The UART's line rate and the LED's
// blink frequency are physical and not scaled (a 4 Hz blink stays 4 Hz so
// an LED sensor polling a relay board's GPIO can still see it).
package unit

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sort"
	"sync"
	"time"

	"github.com/camrig/camrig/rigs/virtual/device"
	"github.com/camrig/camrig/rigs/virtual/simclock"
	"github.com/camrig/camrig/rigs/virtual/uart"
)

// ErrNoPower is returned when something needs a running unit and it has no
// power.
var ErrNoPower = errors.New("unit has no power")

// ErrInterrupted ends a config write that a power cut (or a restart) cut
// short; the next boot shows the profile's recovery markers.
var ErrInterrupted = errors.New("config write interrupted")

// errStale is what a goroutine of an earlier boot gets when it touches the
// UART after a restart.
var errStale = errors.New("unit restarted")

// State is where the unit is between power-on and ready.
type State int

const (
	StateOff        State = iota
	StateBootloader       // bootloader lines before the autoboot countdown
	StateCountdown        // autoboot countdown: the interrupt key counts now
	StateShell            // bootloader prompt after an interrupt
	StateBricked          // bootloader prompt after a bad firmware image
	StateBooting          // kernel and application lines
	StateUp               // the ready marker was printed; services run
)

func (s State) String() string {
	switch s {
	case StateOff:
		return "off"
	case StateBootloader:
		return "bootloader"
	case StateCountdown:
		return "countdown"
	case StateShell:
		return "shell"
	case StateBricked:
		return "bricked"
	case StateBooting:
		return "booting"
	case StateUp:
		return "up"
	}
	return fmt.Sprintf("State(%d)", int(s))
}

// Config builds a Unit.
type Config struct {
	// Name is the unit's name in the rig file.
	Name    string
	Profile *Profile
	// Script is the boot script (nil: read from Profile.ScriptPath()).
	Script *Script
	// Timescale multiplies every device-time delay (0: 1).
	Timescale float64
	// Store is the persistent config (nil: in memory only).
	Store *device.Store
	// UART is the console; the unit powers it on and off.
	UART *uart.UART
	// Baud is the console's rate at every boot (0: the UART's rate at New).
	Baud int
	// Clock is the device's time (nil: the wall clock).
	Clock simclock.Clock
	// SaveTime is how long (device time) a saveenv takes to write flash
	// (0: 200ms). Tests make it long to cut power in the middle.
	SaveTime time.Duration
	Logger   *slog.Logger
}

// Unit is one simulated camera.
type Unit struct {
	name     string
	prof     *Profile
	script   *Script
	ts       float64
	store    *device.Store
	uart     *uart.UART
	baud     int
	clk      simclock.Clock
	saveTime time.Duration
	log      *slog.Logger

	base     context.Context
	shutdown context.CancelFunc
	// booting counts boot goroutines: Close waits for them, so no boot
	// writes the config store (or the UART) after the unit is closed.
	booting sync.WaitGroup

	// writeMu serialises config writes, so one write's Commit cannot hide
	// another's interruption.
	writeMu sync.Mutex

	mu       sync.Mutex
	powered  bool
	gen      uint64 // one per boot; a power cut or restart starts a new one
	ctx      context.Context
	cancel   context.CancelFunc
	state    State
	changed  chan struct{}
	boots    int
	commands map[string]device.Command
	help     map[string]string
	services []device.Service
	// bootHooks run at the start of every boot (OnBoot).
	bootHooks []func(context.Context)
	fwcheck   device.FirmwareCheck
	// simpleShell: the bootloader was built without the hush shell.
	simpleShell bool
	basicKeep   func(*device.Store) []string
	btnDown     bool
	hold        *activeHold
	edges       []ButtonEdge
	holds       []Hold
	closed      bool
	defects     Defects
}

// New makes a unit, powered off.
func New(cfg Config) (*Unit, error) {
	if cfg.Name == "" || cfg.Profile == nil || cfg.UART == nil {
		return nil, errors.New("unit: Name, Profile and UART are required")
	}
	p := cfg.Profile
	script := cfg.Script
	if script == nil {
		if p.ScriptPath() == "" {
			return nil, fmt.Errorf("unit %s: profile %s has no boot_script", cfg.Name, p.File)
		}
		var err error
		if script, err = LoadScript(p.ScriptPath()); err != nil {
			return nil, fmt.Errorf("unit %s: %w", cfg.Name, err)
		}
	}
	if !script.prints(p.Boot.ReadyMarker) {
		return nil, fmt.Errorf("unit %s: boot script %s never prints the ready marker %q of %s",
			cfg.Name, script.File, p.Boot.ReadyMarker, p.File)
	}
	ts := cfg.Timescale
	if ts == 0 {
		ts = 1
	}
	if ts < 0 || ts > 1 {
		return nil, fmt.Errorf("unit %s: timescale %v out of range (0, 1]", cfg.Name, ts)
	}
	store := cfg.Store
	if store == nil {
		store, _ = device.OpenStore("") // in memory: cannot fail
	}
	clk := cfg.Clock
	if clk == nil {
		clk = simclock.Real{}
	}
	baud := cfg.Baud
	if baud <= 0 {
		baud = cfg.UART.Baud()
	}
	save := cfg.SaveTime
	if save <= 0 {
		save = 200 * time.Millisecond
	}
	log := cfg.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	base, shutdown := context.WithCancel(context.Background())
	u := &Unit{
		name: cfg.Name, prof: p, script: script, ts: ts, store: store, uart: cfg.UART,
		baud: baud, clk: clk, saveTime: save, log: log.With("unit", cfg.Name),
		base: base, shutdown: shutdown, changed: make(chan struct{}),
		commands: map[string]device.Command{}, help: map[string]string{},
	}
	return u, nil
}

// Close powers the unit off for good.
func (u *Unit) Close() error {
	u.SetPower(false)
	u.mu.Lock()
	u.closed = true
	u.mu.Unlock()
	u.shutdown()
	u.booting.Wait()
	return nil
}

// Name is the unit's name in the rig file.
func (u *Unit) Name() string { return u.name }

// Model is the profile's model.
func (u *Unit) Model() string { return u.prof.Model }

// Profile is the unit's profile.
func (u *Unit) Profile() *Profile { return u.prof }

// Config is the unit's persistent configuration.
func (u *Unit) Config() *device.Store { return u.store }

// UART is the unit's console.
func (u *Unit) UART() *uart.UART { return u.uart }

// Clock is the unit's time source.
func (u *Unit) Clock() simclock.Clock { return u.clk }

// Timescale is the factor applied to device-time delays.
func (u *Unit) Timescale() float64 { return u.ts }

// Scale converts device time to real time.
func (u *Unit) Scale(d time.Duration) time.Duration { return time.Duration(float64(d) * u.ts) }

// Powered reports whether the power input is on.
func (u *Unit) Powered() bool {
	u.mu.Lock()
	defer u.mu.Unlock()
	return u.powered
}

// State is where the unit is now.
func (u *Unit) State() State {
	u.mu.Lock()
	defer u.mu.Unlock()
	return u.state
}

// BootCount is how many boots have started (power-ons and restarts).
func (u *Unit) BootCount() int {
	u.mu.Lock()
	defer u.mu.Unlock()
	return u.boots
}

// WaitState blocks until the unit is in one of states, or ctx ends.
func (u *Unit) WaitState(ctx context.Context, states ...State) error {
	for {
		u.mu.Lock()
		cur, ch := u.state, u.changed
		u.mu.Unlock()
		for _, s := range states {
			if cur == s {
				return nil
			}
		}
		select {
		case <-ch:
		case <-ctx.Done():
			return fmt.Errorf("unit %s: waiting for %v, still %v: %w", u.name, states, cur, context.Cause(ctx))
		}
	}
}

func (u *Unit) setStateLocked(s State) {
	if u.state == s {
		return
	}
	u.log.Debug("state", "from", u.state, "to", s)
	u.state = s
	close(u.changed)
	u.changed = make(chan struct{})
}

// setState moves to s if boot gen is still the current one.
func (u *Unit) setState(gen uint64, s State) bool {
	u.mu.Lock()
	defer u.mu.Unlock()
	if gen != u.gen {
		return false
	}
	u.setStateLocked(s)
	return true
}

// AddCommand registers (or replaces) a bootloader command.
func (u *Unit) AddCommand(name string, cmd device.Command) {
	u.mu.Lock()
	defer u.mu.Unlock()
	u.commands[name] = cmd
}

// SetCommandHelp sets the one-line summary `help` prints for name.
func (u *Unit) SetCommandHelp(name, summary string) {
	u.mu.Lock()
	defer u.mu.Unlock()
	u.help[name] = summary
}

// AddService registers a service to run while the unit is up. If the unit
// is up already it starts at once.
func (u *Unit) AddService(s device.Service) {
	u.mu.Lock()
	defer u.mu.Unlock()
	u.services = append(u.services, s)
	if u.state == StateUp {
		u.startServicesLocked([]device.Service{s})
	}
}

// SetSimpleShell makes the bootloader's shell U-Boot's simple parser (no
// CONFIG_HUSH_PARSER), as many vendor bootloaders are built: `;` and
// ${name} work, but there is no $? (it is printed as it is typed), no
// $name without braces and no double quotes.
func (u *Unit) SetSimpleShell(simple bool) {
	u.mu.Lock()
	defer u.mu.Unlock()
	u.simpleShell = simple
}

// SetFirmwareCheck sets what %flashcheck asks (nil: no check, the image is
// taken as good and nothing is printed).
func (u *Unit) SetFirmwareCheck(c device.FirmwareCheck) {
	u.mu.Lock()
	defer u.mu.Unlock()
	u.fwcheck = c
}

// SetBasicResetKeep sets which keys a basic factory reset keeps (the
// network API's notion of "network and users", e.g.
// isapisim.BasicResetKeep); the bootloader environment is always kept.
// nil restores the default (KeepOnBasicReset prefixes).
func (u *Unit) SetBasicResetKeep(keep func(*device.Store) []string) {
	u.mu.Lock()
	defer u.mu.Unlock()
	u.basicKeep = keep
}

// SetPower switches the power input. On: the unit boots (and a reset
// button already held counts from now: the hold-through-power-on
// variant). Off: instant silence, services and commands cancelled, a hold
// in progress void, persistent state kept.
func (u *Unit) SetPower(on bool) {
	u.mu.Lock()
	defer u.mu.Unlock()
	if on == u.powered || (on && u.closed) {
		return
	}
	u.powered = on
	now := u.clk.Now()
	if on {
		u.log.Debug("power on")
		u.uart.PowerOn()
		u.startBootLocked(true)
		if u.btnDown {
			u.beginHoldLocked(now, true)
		}
		return
	}
	u.log.Debug("power off")
	u.uart.PowerOff()
	u.stopGenLocked()
	u.gen++
	u.setStateLocked(StateOff)
	if u.hold != nil {
		u.finishHoldLocked(now, VerdictNone, "power lost during the hold")
	}
}

func (u *Unit) stopGenLocked() {
	if u.cancel != nil {
		u.cancel()
		u.cancel, u.ctx = nil, nil
	}
}

// startBootLocked starts a new boot generation (power-on or restart).
func (u *Unit) startBootLocked(powerOn bool) {
	u.stopGenLocked()
	u.gen++
	u.boots++
	ctx, cancel := context.WithCancel(u.base)
	u.ctx, u.cancel = ctx, cancel
	u.setStateLocked(StateBootloader)
	io := &bootIO{u: u, gen: u.gen, ctx: ctx, powerOn: powerOn}
	u.booting.Add(1 + len(u.bootHooks))
	go func() {
		defer u.booting.Done()
		u.boot(ctx, io)
	}()
	for _, h := range u.bootHooks {
		go func() {
			defer u.booting.Done()
			h(ctx)
		}()
	}
}

// OnBoot calls fn in a goroutine of its own at the start of every boot
// (power-on or restart) from now on, with the boot's context: it ends when
// this boot does (a power cut, a restart, Close), so fn must return then.
// It is how a fault of the lab times itself from a boot.
func (u *Unit) OnBoot(fn func(ctx context.Context)) {
	u.mu.Lock()
	defer u.mu.Unlock()
	u.bootHooks = append(u.bootHooks, fn)
}

// restartLocked reboots a powered unit: line (if any) goes out first,
// factory ("full" or "basic") marks a pending factory reset that the next
// boot carries out at %factory.
func (u *Unit) restartLocked(line, factory string) {
	if !u.powered {
		return
	}
	if line != "" {
		u.uart.Queue([]byte(line + "\r\n"))
	}
	u.stopGenLocked() // end a write in flight before marking the reset
	if factory != "" {
		if err := u.store.Set(factoryPendingKey, factory); err != nil {
			u.log.Error("mark factory reset", "err", err)
		}
	}
	u.startBootLocked(false)
}

// startServicesLocked runs services with the current boot's context.
func (u *Unit) startServicesLocked(svcs []device.Service) {
	ctx := u.ctx
	for _, s := range svcs {
		go func() {
			if err := s(ctx, u); err != nil && ctx.Err() == nil {
				u.log.Error("service failed", "err", err)
			}
		}()
	}
}

// Reboot restarts the unit keeping its configuration (device.Host).
func (u *Unit) Reboot(reason string) {
	u.mu.Lock()
	defer u.mu.Unlock()
	u.restartLocked(u.rebootLine(reason), "")
}

// FactoryReset wipes the configuration and restarts (device.Host). full
// returns the unit to the inactive factory state; basic keeps what
// SetBasicResetKeep says (default: keys under "network." and "users.").
// The wipe happens at %factory of the next boot.
func (u *Unit) FactoryReset(full bool) {
	mode := "basic"
	if full {
		mode = "full"
	}
	u.mu.Lock()
	defer u.mu.Unlock()
	u.restartLocked(fmt.Sprintf("factory reset (%s) -> %s", mode, u.factoryMarker()), mode)
}

func (u *Unit) rebootLine(reason string) string {
	m := u.prof.Boot.RebootMarker
	if m == "" {
		m = "Restarting system."
	}
	if reason == "" {
		return m
	}
	return m + " (" + reason + ")"
}

func (u *Unit) factoryMarker() string {
	if m := u.prof.Boot.FactoryMarker; m != "" {
		return m
	}
	return "restore default"
}

// commandNames lists registered commands and builtins, sorted.
func (u *Unit) commandNames() []string {
	u.mu.Lock()
	defer u.mu.Unlock()
	seen := map[string]bool{}
	for n := range builtins {
		seen[n] = true
	}
	for n := range u.commands {
		seen[n] = true
	}
	names := make([]string, 0, len(seen))
	for n := range seen {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

var _ device.Host = (*Unit)(nil)
