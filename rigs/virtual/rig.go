// Package virtual is the simulated rig: camera units, relay boards, smart
// plugs, each unit's ISAPI network API and an NVR, speaking the real
// protocols over real OS interfaces, so the harness cannot tell it from a
// bench.
//
// Start reads a rig file, locks its state dir, writes the units', plugs'
// and the NVR's passwords under ${state_dir}/secrets/, makes one
// pseudo-terminal per unit console and per relay board with a stable
// symlink at the configured path, and wires relay channels to unit power
// inputs and reset-button solenoids and Numato GPIO inputs to unit LEDs.
// It then attaches the network side (attach*.go): an ISAPI server per unit
// with an api binding, served on the binding's loopback address while the
// unit is up; Tasmota and Shelly Gen2 plugs for tasmota/shelly bindings;
// the NVR of the rig's nvr section with the units' nvr_port wired to its
// PoE ports. Units on NVR ports share the NVR's camera-activation password
// (secrets/nvr-camera), so the harness can log in after the NVR activated
// them. A loopback address in use is waited for briefly, then left
// unserved with a note. Close stops everything, waits until every listener
// is closed, and removes what Start made (ptys, links, the lock); the
// state itself (config stores, secrets) stays for the next run.
//
// The rig is a separate device: it imports nothing of the harness but the
// byte format of a firmware image (harness/fwimage, which the unit's boot
// check and the harness's reflash must agree on) and the notations of the
// rig and profile files (harness/notation). It reads the rig file once
// (rigfile.go) and each profile once (unit.LoadProfile), with its own
// structs. Its YMODEM receiver (with its CRC-16) and HTTP Digest are its
// own on purpose: were they shared with the harness, a bug in one would
// pass the other's tests.
package virtual

import (
	"time"

	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"sync"

	"github.com/camrig/camrig/rigs/virtual/device"
	"github.com/camrig/camrig/rigs/virtual/pty"
	"github.com/camrig/camrig/rigs/virtual/relay"
	"github.com/camrig/camrig/rigs/virtual/uart"
	"github.com/camrig/camrig/rigs/virtual/unit"
)

// Rig is a running virtual rig.
type Rig struct {
	file *RigFile
	log  *slog.Logger
	lock *stateLock

	units     []*unit.Unit
	byName    map[string]*unit.Unit
	unitFiles map[string]*UnitFile
	consoles  map[string]*pty.Pair

	pairs   []*pty.Pair
	uarts   []*uart.UART
	servers []*relay.Server
	boards  []*board
	numato  map[string]*relay.Numato
	lcus    map[string]*relay.LCUS

	mu      sync.Mutex
	unwired []Unwired
	notes   []string
	// unserved are devices of the rig file nobody serves (a busy address):
	// a run on this rig cannot be about them.
	unserved []string
	devices  []Device
	closers  []func() error
	closed   bool

	// sims are the simulators Start attaches by default (APIs, NVR, plugs).
	sims *sims
}

// Device is one thing the rig offers, for people and for `camrig sim`'s
// listing.
type Device struct {
	// Kind is "unit", "relay", "api", "nvr", "plug"...
	Kind string
	// Name is the unit or board name.
	Name string
	// Where is how to reach it: a tty path or a URL.
	Where string
	// Detail is a short description.
	Detail string
}

// Unwired is a binding the rig does not simulate (an unknown driver); a
// simulator attached later (a smart plug) may take it over by driving
// Unit's SetPower or SetButton.
type Unwired struct {
	Unit *unit.Unit
	// Role is "power", "press" or "led".
	Role    string
	Binding Binding
}

// Start builds and starts the rig described by rigPath. ctx bounds only
// the start-up; the rig runs until Close. A rig whose units are QEMU
// machines (sim.qemu) is started by Run instead.
func Start(ctx context.Context, rigPath string, opts ...Option) (*Rig, error) {
	o := collect(opts)
	rf, err := LoadRigFile(rigPath, o.stateDir)
	if err != nil {
		return nil, err
	}
	if len(rf.Sim.QEMU) > 0 {
		return nil, fmt.Errorf("virtual rig: %s runs its units under QEMU (sim.qemu): start it with Run (camrig sim)", rf.File)
	}
	return startUnits(ctx, rf, o)
}

// startUnits builds and starts the simulated units of rf.
func startUnits(ctx context.Context, rf *RigFile, o options) (_ *Rig, err error) {
	if o.timescale != 0 {
		if o.timescale < 0 || o.timescale > 1 {
			return nil, fmt.Errorf("virtual rig: timescale %v out of range (0, 1]", o.timescale)
		}
		rf.Timescale = o.timescale
	}
	log := o.log
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	r := &Rig{
		file: rf, log: log.With("rig", rf.Rig),
		byName: map[string]*unit.Unit{}, unitFiles: map[string]*UnitFile{}, consoles: map[string]*pty.Pair{},
		numato: map[string]*relay.Numato{}, lcus: map[string]*relay.LCUS{},
	}
	defer func() {
		if err != nil {
			r.Close()
		}
	}()

	profiles, scripts, err := loadProfiles(rf)
	if err != nil {
		return nil, err
	}
	if err := os.MkdirAll(rf.StateDir, 0o755); err != nil {
		return nil, fmt.Errorf("virtual rig: state dir: %w", err)
	}
	if r.lock, err = lockStateDir(rf.StateDir); err != nil {
		return nil, err
	}
	names := []string{"nvr"}
	for _, uf := range rf.Units {
		names = append(names, uf.Name)
	}
	if err := writeSecrets(r.SecretsDir(), names); err != nil {
		return nil, err
	}
	for i := range rf.Units {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		if err := r.addUnit(&rf.Units[i], profiles[i], scripts[i], o); err != nil {
			return nil, err
		}
	}
	if err := r.attachUnits(); err != nil {
		return nil, err
	}
	for _, u := range r.units {
		for _, hook := range o.unitHooks {
			if err := hook(u); err != nil {
				return nil, fmt.Errorf("virtual rig: unit %s: %w", u.Name(), err)
			}
		}
	}
	r.armUARTUnplugs()
	if err := r.buildBoards(); err != nil {
		return nil, err
	}
	r.powerUp()
	for _, b := range r.boards {
		srv, err := relay.Serve(b.pair.Master, b.engine, r.log.With("board", b.name()))
		if err != nil {
			return nil, fmt.Errorf("virtual rig: %s: %w", b.name(), err)
		}
		r.servers = append(r.servers, srv)
	}
	if err := r.attachNetwork(ctx, o); err != nil {
		return nil, err
	}
	for _, fn := range o.attach {
		if err := fn(r); err != nil {
			return nil, fmt.Errorf("virtual rig: attach: %w", err)
		}
	}
	return r, nil
}

func loadProfiles(rf *RigFile) ([]*unit.Profile, []*unit.Script, error) {
	var profiles []*unit.Profile
	var scripts []*unit.Script
	for _, uf := range rf.Units {
		fail := func(err error) error {
			return &RigFileError{File: rf.File, Line: uf.Line, Msg: fmt.Sprintf("unit %q: %v", uf.Name, err)}
		}
		p, err := unit.LoadProfile(filepath.Join(rf.Profiles, uf.Profile+".yaml"))
		if err != nil {
			return nil, nil, fail(err)
		}
		s, err := unit.LoadScript(p.ScriptPath())
		if err != nil {
			return nil, nil, fail(err)
		}
		profiles, scripts = append(profiles, p), append(scripts, s)
	}
	return profiles, scripts, nil
}

// addUnit makes a unit's console pty, UART, store and unit.
func (r *Rig) addUnit(uf *UnitFile, p *unit.Profile, s *unit.Script, o options) error {
	pair, err := pty.Open(uf.Console.Port)
	if err != nil {
		return fmt.Errorf("virtual rig: unit %s console: %w", uf.Name, err)
	}
	r.pairs = append(r.pairs, pair)
	var tap func([]byte, time.Time)
	if o.uartTap != nil {
		name := uf.Name
		tap = func(p []byte, at time.Time) { o.uartTap(name, p, at) }
	}
	line, err := uart.New(pair.Master, uart.Config{
		Baud: uf.Console.Baud, DataBits: uf.Console.DataBits, Parity: uf.Console.Parity, StopBits: uf.Console.StopBits,
		Logger: r.log.With("unit", uf.Name), Tap: tap,
	})
	if err != nil {
		return &RigFileError{File: r.file.File, Line: uf.Line, Msg: fmt.Sprintf("unit %q console: %v", uf.Name, err)}
	}
	r.uarts = append(r.uarts, line)
	store, err := device.OpenStore(filepath.Join(r.file.StateDir, "units", uf.Name, "config.json"))
	if err != nil {
		return fmt.Errorf("virtual rig: unit %s: %w", uf.Name, err)
	}
	u, err := unit.New(unit.Config{
		Name: uf.Name, Profile: p, Script: s, Timescale: r.file.Timescale, Store: store,
		UART: line, Clock: o.clock, Logger: r.log,
	})
	if err != nil {
		return &RigFileError{File: r.file.File, Line: uf.Line, Msg: err.Error()}
	}
	r.units = append(r.units, u)
	r.byName[uf.Name] = u
	r.unitFiles[uf.Name] = uf
	r.consoles[uf.Name] = pair
	return nil
}

// Close stops everything and removes the ptys, their links and the lock.
// Attached closers run first. It is safe to call more than once.
func (r *Rig) Close() error {
	r.mu.Lock()
	if r.closed {
		r.mu.Unlock()
		return nil
	}
	r.closed = true
	closers := r.closers
	r.mu.Unlock()
	var errs []error
	for i := len(closers) - 1; i >= 0; i-- {
		errs = append(errs, closers[i]())
	}
	for _, s := range r.servers {
		errs = append(errs, s.Close())
	}
	for _, u := range r.units {
		errs = append(errs, u.Close())
	}
	for _, l := range r.uarts {
		errs = append(errs, l.Close())
	}
	for _, p := range r.pairs {
		errs = append(errs, p.Close())
	}
	errs = append(errs, r.lock.release())
	return errors.Join(errs...)
}

// Name is the rig's name.
func (r *Rig) Name() string { return r.file.Rig }

// File is the rig file as the simulator read it (paths expanded).
func (r *Rig) File() *RigFile { return r.file }

// StateDir is the resolved state dir.
func (r *Rig) StateDir() string { return r.file.StateDir }

// Timescale is the factor applied to device-time delays.
func (r *Rig) Timescale() float64 { return r.file.Timescale }

// SecretsDir is ${state_dir}/secrets.
func (r *Rig) SecretsDir() string { return filepath.Join(r.file.StateDir, "secrets") }

// SecretPath is the password file of a unit, or of the NVR for "nvr".
func (r *Rig) SecretPath(name string) string { return filepath.Join(r.SecretsDir(), name) }

// Password reads the password of a unit (or "nvr"), for simulators that
// must know it (the NVR activating cameras). Never log it.
func (r *Rig) Password(name string) (string, error) {
	b, err := os.ReadFile(r.SecretPath(name))
	if err != nil {
		return "", fmt.Errorf("virtual rig: password for %s: %w", name, err)
	}
	return string(trimEOL(b)), nil
}

func trimEOL(b []byte) []byte {
	for len(b) > 0 && (b[len(b)-1] == '\n' || b[len(b)-1] == '\r') {
		b = b[:len(b)-1]
	}
	return b
}

// Unit returns the named unit, or nil.
func (r *Rig) Unit(name string) *unit.Unit { return r.byName[name] }

// Units lists the units in rig-file order.
func (r *Rig) Units() []*unit.Unit { return append([]*unit.Unit(nil), r.units...) }

// UnitFile is a unit's bindings (its API URL, NVR port...), or nil.
func (r *Rig) UnitFile(name string) *UnitFile { return r.unitFiles[name] }

// OnUnit calls fn for every unit now (all units exist once Start returns).
// Services and commands added this way after Start apply from the unit's
// next boot (services also start at once on a unit that is up).
func (r *Rig) OnUnit(fn func(*unit.Unit)) {
	for _, u := range r.units {
		fn(u)
	}
}

// ConsoleSlave is the /dev/pts path behind a unit's console link.
func (r *Rig) ConsoleSlave(name string) string {
	r.mu.Lock()
	defer r.mu.Unlock()
	if p := r.consoles[name]; p != nil {
		return p.SlavePath
	}
	return ""
}

// Numato is the simulated Numato board at port (as written in the rig
// file, expanded), or nil.
func (r *Rig) Numato(port string) *relay.Numato { return r.numato[port] }

// LCUS is the simulated LCUS board at port, or nil.
func (r *Rig) LCUS(port string) *relay.LCUS { return r.lcus[port] }

// Unwired lists bindings with drivers the rig does not simulate.
func (r *Rig) Unwired() []Unwired {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]Unwired(nil), r.unwired...)
}

// Unserved lists the devices of the rig file the simulator could not
// serve, each with its reason (a loopback address another process holds).
// A run must fail on any: its verdicts would be about someone else's
// device, or about nothing.
func (r *Rig) Unserved() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]string(nil), r.unserved...)
}

// notServed records a device nobody serves, and notes it for the operator.
func (r *Rig) notServed(format string, a ...any) {
	msg := fmt.Sprintf(format, a...)
	r.mu.Lock()
	seen := slices.Contains(r.unserved, msg)
	if !seen {
		r.unserved = append(r.unserved, msg)
	}
	r.mu.Unlock()
	if !seen {
		r.note("%s", msg)
	}
}

// Notes are remarks for the operator (drivers not simulated, units
// powered without a power binding).
func (r *Rig) Notes() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]string(nil), r.notes...)
}

func (r *Rig) note(format string, a ...any) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.notes = append(r.notes, fmt.Sprintf(format, a...))
}

// Devices lists what the rig offers: unit consoles, relay boards, and
// whatever attached simulators registered.
func (r *Rig) Devices() []Device {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]Device(nil), r.devices...)
}

// AddDevice registers a device for the listing (an attached simulator's
// API server, say).
func (r *Rig) AddDevice(d Device) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.devices = append(r.devices, d)
}

// AddCloser registers fn to run first when the rig closes (in reverse
// order of registration).
func (r *Rig) AddCloser(fn func() error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.closers = append(r.closers, fn)
}
