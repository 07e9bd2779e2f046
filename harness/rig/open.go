package rig

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"time"

	"github.com/camrig/camrig/harness/camera"
	"github.com/camrig/camrig/harness/clock"
	"github.com/camrig/camrig/harness/console"
	"github.com/camrig/camrig/harness/led"
	"github.com/camrig/camrig/harness/nvr"
	"github.com/camrig/camrig/harness/power"
	"github.com/camrig/camrig/harness/press"
	"github.com/camrig/camrig/harness/profile"
	"github.com/camrig/camrig/harness/safety"
	"github.com/camrig/camrig/harness/secret"
	"github.com/camrig/camrig/harness/timeline"
)

// Unit is one leased unit with its drivers open. Close it when done: it
// leaves the unit in the rig's safe state (solenoid released, power off) and
// gives the lease back.
type Unit struct {
	Name     string
	Config   UnitConfig
	Profile  *profile.Profile
	Rig      *Rig
	Clock    clock.Clock
	Scale    clock.Scale
	Timeline *timeline.Timeline
	Log      *slog.Logger

	Console *console.Console
	Power   power.Switch
	// Press is the reset-button solenoid (nil: no press binding).
	Press *press.Solenoid
	// LED is the status-LED sensor (nil: no led binding).
	LED *led.Sensor
	// Camera is the unit's network API (nil: no api binding).
	Camera *camera.Client
	// NVR is the rig's NVR (nil: none); NVRPort is the unit's port on it.
	NVR     *nvr.Client
	NVRPort int

	lease *Lease
	// guard is set for a lab lease, which can be lost (leased.go).
	guard   *leaseGuard
	closers []func(ctx context.Context) error
	// leavePowered makes Close leave the power as it is (LeavePowered).
	leavePowered bool
}

// LeavePowered makes Close leave the unit's power as it is, for a command
// whose job ends with the unit running (a successful reflash leaves it
// booted). Until Close, a signal or panic still restores the safe state.
func (u *Unit) LeavePowered() { u.leavePowered = true }

// OpenOption tunes Open.
type OpenOption func(*openOptions)

type openOptions struct {
	transcriptDir string
	log           *slog.Logger
	lease         *Lease
	keepPower     bool
	only          map[Part]bool
	ledWindow     time.Duration
	consoleOpts   []console.Option
}

// Part names one driver of a unit, for Only.
type Part string

// The parts of a unit Open can open.
const (
	PartPower   Part = "power"
	PartPress   Part = "press"
	PartLED     Part = "led"
	PartConsole Part = "console"
	PartAPI     Part = "api"
	PartNVR     Part = "nvr"
)

// Only opens just the named parts (default: every part the unit binds).
// A CLI command that watches a console has no business opening its relays.
func Only(parts ...Part) OpenOption {
	return func(o *openOptions) {
		o.only = map[Part]bool{}
		for _, p := range parts {
			o.only[p] = true
		}
	}
}

// KeepPower makes Close leave the unit's power as it is instead of
// switching it to its safe state: for `camrig power on` and for commands
// that look at a running unit. The solenoid is still released on Close.
func KeepPower() OpenOption { return func(o *openOptions) { o.keepPower = true } }

func (o *openOptions) wants(p Part) bool { return o.only == nil || o.only[p] }

// WithLEDWindow sets the LED sensor's observation window (default
// led.DefaultWindow), for a caller that decides how long to watch.
func WithLEDWindow(d time.Duration) OpenOption { return func(o *openOptions) { o.ledWindow = d } }

// WithConsoleOptions passes more options to the unit's console (after the
// rig's own: clock, timeline, logger, transcript dir, redaction).
func WithConsoleOptions(opts ...console.Option) OpenOption {
	return func(o *openOptions) { o.consoleOpts = append(o.consoleOpts, opts...) }
}

// WithTranscriptDir makes the console spill its transcript under dir.
func WithTranscriptDir(dir string) OpenOption {
	return func(o *openOptions) { o.transcriptDir = dir }
}

// WithLogger sets the logger handed to every driver.
func WithLogger(l *slog.Logger) OpenOption { return func(o *openOptions) { o.log = l } }

// WithLease opens under a lease the caller already holds (from LeaseAny).
func WithLease(l *Lease) OpenOption { return func(o *openOptions) { o.lease = l } }

// safeTimeout bounds restoring the safe state on Close: long enough for a
// slow network plug, short enough that a dead board does not hang a run.
const safeTimeout = 5 * time.Second

// Open leases the named unit, makes it safe (makeSafe: the solenoid
// released; after taking over from a dead run, power in its safe state too)
// and opens its drivers. On any error everything opened so far is closed
// again and the lease released.
func (r *Rig) Open(ctx context.Context, name string, opts ...OpenOption) (_ *Unit, err error) {
	o := openOptions{log: slog.Default()}
	for _, opt := range opts {
		opt(&o)
	}
	cfg, ok := r.Unit(name)
	if !ok {
		return nil, fmt.Errorf("rig %s has no unit %q (units: %v)", r.Name, name, r.UnitNames())
	}
	lease := o.lease
	if lease == nil {
		if lease, err = r.Lease(name); err != nil {
			return nil, err
		}
	}
	u := &Unit{
		Name: name, Config: cfg, Profile: r.Profile(name), Rig: r,
		Clock: r.clock(), Scale: r.Timescale, Timeline: timeline.New(name),
		Log: o.log.With("unit", name), lease: lease,
	}
	// Every error return below leaves what was opened so far closed and
	// the lease released (u is the local, not the nil being returned).
	defer func() {
		if err != nil {
			u.Close(context.Background())
		}
	}()
	deps := power.Deps{Clock: u.Clock, Log: u.Log}
	if err := u.makeSafe(ctx, lease, deps); err != nil {
		return nil, err
	}
	if err := lease.Err(); err != nil {
		return nil, fmt.Errorf("unit %s: %w", name, err)
	}
	if lease.remote != nil {
		u.guard = &leaseGuard{lease: lease}
	}
	// guarded is what the run drives: under a lab lease, a switch that
	// refuses to leave its safe state once the lease is lost.
	var rawPower, rawPress power.Switch
	guarded := func(sw power.Switch, safe bool) power.Switch {
		if u.guard == nil {
			return sw
		}
		return u.guard.wrap(sw, safe)
	}
	if cfg.Power != nil && o.wants(PartPower) {
		sw, err := power.Open(ctx, *cfg.Power, deps)
		if err != nil {
			return nil, fmt.Errorf("unit %s power: %w", name, err)
		}
		u.Power, rawPower = guarded(sw, cfg.Power.SafeOn), sw
		// Off is the safe state of a unit's power unless the binding says
		// otherwise. The safety registry restores it on SIGINT/SIGTERM or
		// a panic; Close restores it on every other way out.
		if o.keepPower {
			u.addCloser(func(context.Context) error { return closeSwitch(sw) })
		} else {
			unregister := safety.RegisterSwitch(sw, cfg.Power.SafeOn)
			u.addCloser(func(ctx context.Context) error {
				defer unregister()
				if u.leavePowered {
					return closeSwitch(sw)
				}
				return errors.Join(sw.Set(ctx, cfg.Power.SafeOn), closeSwitch(sw))
			})
		}
	}
	if cfg.Press != nil && o.wants(PartPress) {
		sw, err := power.Open(ctx, *cfg.Press, deps)
		if err != nil {
			return nil, fmt.Errorf("unit %s press: %w", name, err)
		}
		// max_hold bounds holds in profile time, like the holds it limits.
		rawPress = sw
		sol, err := press.New(guarded(sw, false), press.Options{MaxHold: u.Scale.Of(cfg.Press.MaxHold), Clock: u.Clock,
			Timeline: u.Timeline, Log: u.Log})
		if err != nil {
			closeSwitch(sw)
			return nil, fmt.Errorf("unit %s press: %w", name, err)
		}
		u.Press = sol
		unregister := safety.RegisterSwitch(sw, false)
		u.addCloser(func(ctx context.Context) error {
			// Released is the solenoid's only safe state.
			defer unregister()
			return errors.Join(sw.Set(ctx, false), closeSwitch(sw))
		})
	}
	if cfg.LED != nil && o.wants(PartLED) {
		lc := cfg.LED.sensorConfig()
		lc.Window = o.ledWindow
		s, err := led.Open(ctx, lc, led.Options{Name: name + " led", Clock: u.Clock, Timeline: u.Timeline, Log: u.Log})
		if err != nil {
			return nil, fmt.Errorf("unit %s led: %w", name, err)
		}
		u.LED = s
		u.addCloser(func(context.Context) error { return s.Close() })
	}
	if cfg.Console.Port != "" && o.wants(PartConsole) {
		copts := []console.Option{console.WithClock(u.Clock), console.WithTimeline(u.Timeline), console.WithLogger(u.Log)}
		if o.transcriptDir != "" {
			copts = append(copts, console.WithTranscriptDir(o.transcriptDir))
		}
		if s := u.Secrets(); len(s) > 0 {
			copts = append(copts, console.WithRedact(s...))
		}
		copts = append(copts, o.consoleOpts...)
		con, err := console.Open(ctx, console.Config{
			Port: cfg.Console.Port, Baud: cfg.Console.Baud, DataBits: cfg.Console.DataBits,
			Parity: cfg.Console.Parity, StopBits: cfg.Console.StopBits,
		}, copts...)
		if err != nil {
			return nil, fmt.Errorf("unit %s console: %w", name, err)
		}
		u.Console = con
		u.addCloser(func(context.Context) error { return con.Close() })
	}
	if cfg.API != nil && o.wants(PartAPI) {
		c, err := r.OpenCamera(name, u.Timeline, u.Log)
		if err != nil {
			return nil, err
		}
		u.Camera = c
		u.addCloser(func(context.Context) error { c.Close(); return nil })
	}
	if r.NVR != nil && o.wants(PartNVR) {
		n, err := r.OpenNVR(u.Timeline, u.Log)
		if err != nil {
			return nil, err
		}
		u.NVR, u.NVRPort = n, cfg.NVRPort
		u.addCloser(func(context.Context) error { n.Close(); return nil })
	}
	if u.guard != nil {
		// Last, so Close stops the watcher before closing the switches.
		u.addCloser(u.watchLease(deps, rawPress, rawPower))
	}
	return u, nil
}

// OpenCamera returns a client for the named unit's network API (nil, nil
// when it has no api binding) without leasing the unit: for read-only
// questions such as the activation state, which must not wait for a suite.
// Anything that logs in belongs under a lease (Open), since logins count
// towards the unit's lockout.
func (r *Rig) OpenCamera(unit string, tl *timeline.Timeline, log *slog.Logger) (*camera.Client, error) {
	cfg, ok := r.Unit(unit)
	if !ok {
		return nil, fmt.Errorf("rig %s has no unit %q (units: %v)", r.Name, unit, r.UnitNames())
	}
	if cfg.API == nil {
		return nil, nil
	}
	c, err := camera.New(camera.Config{Name: unit, URL: cfg.API.URL, User: cfg.API.User,
		Password: cfg.API.Password, Clock: r.clock(), Log: log, Timeline: tl})
	if err != nil {
		return nil, fmt.Errorf("unit %s api: %w", unit, err)
	}
	return c, nil
}

// OpenNVR returns a client for the rig's NVR (nil, nil when it has none).
func (r *Rig) OpenNVR(tl *timeline.Timeline, log *slog.Logger) (*nvr.Client, error) {
	if r.NVR == nil {
		return nil, nil
	}
	n, err := nvr.New(nvr.Config{URL: r.NVR.API, User: r.NVR.User, Password: r.NVR.Password,
		Clock: r.clock(), Log: log, Timeline: tl})
	if err != nil {
		return nil, fmt.Errorf("rig %s nvr: %w", r.Name, err)
	}
	return n, nil
}

func closeSwitch(sw power.Switch) error {
	if c, ok := sw.(power.Closer); ok {
		return c.Close()
	}
	return nil
}

// Secrets are the unit's credentials (its API password, the NVR's), for
// redacting transcripts and anything else that prints what the unit sent.
func (u *Unit) Secrets() []secret.Secret {
	var out []secret.Secret
	if u.Config.API != nil {
		out = append(out, u.Config.API.Password)
	}
	if u.Rig.NVR != nil {
		out = append(out, u.Rig.NVR.Password)
	}
	return out
}

func (u *Unit) addCloser(fn func(ctx context.Context) error) {
	u.closers = append(u.closers, fn)
}

// SaveTranscript writes the console transcript from stream offset since
// (0: all of it; a Console().Transcript().Len() taken when a spec began:
// that spec's share) to dir/<name>, secrets redacted, returning the path. It
// is safe to call on a unit without a console.
func (u *Unit) SaveTranscript(dir, name string, since int64) (string, error) {
	if u.Console == nil {
		return "", nil
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return "", err
	}
	path := filepath.Join(dir, name)
	f, err := os.Create(path)
	if err != nil {
		return "", err
	}
	_, werr := u.Console.Transcript().WriteFrom(f, since)
	return path, errors.Join(werr, f.Close())
}

// Close restores the safe state (in reverse order of opening: solenoid
// first, then power), closes every driver and releases the lease. It uses
// its own deadline, not ctx alone, so a cancelled run still gets its unit
// made safe.
func (u *Unit) Close(ctx context.Context) error {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), safeTimeout)
	defer cancel()
	var errs []error
	for i := len(u.closers) - 1; i >= 0; i-- {
		errs = append(errs, u.closers[i](ctx))
	}
	u.closers = nil
	if u.lease != nil {
		errs = append(errs, u.lease.Release())
		u.lease = nil
	}
	return errors.Join(errs...)
}
