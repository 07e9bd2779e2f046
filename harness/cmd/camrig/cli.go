package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"strings"
	"time"

	"github.com/camrig/camrig/harness/clock"
	"github.com/camrig/camrig/harness/power"
	"github.com/camrig/camrig/harness/rig"
)

// rigEnv names the variable --rig defaults to, so a lab can point a shell
// at its bench once.
const rigEnv = "CAMRIG_RIG"

// flags is one subcommand's flag set plus the flags most of them share.
// Positional words may come before, between or after the flags
// (`camrig power --rig r.yaml on --unit cam1`), unlike the flag package's
// default, because that is how people type subcommands.
type flags struct {
	*flag.FlagSet
	stderr  io.Writer
	rigPath string
	unit    string
	verbose bool
	// synopsis is the usage line after "usage: camrig ".
	synopsis string
}

func newFlags(synopsis, about string, stderr io.Writer) *flags {
	name := synopsis
	if i := strings.IndexByte(name, ' '); i >= 0 {
		name = name[:i]
	}
	f := &flags{FlagSet: flag.NewFlagSet(name, flag.ContinueOnError), stderr: stderr, synopsis: synopsis}
	f.SetOutput(stderr)
	f.Usage = func() {
		fmt.Fprintf(stderr, "usage: camrig %s\n\n%s\n\nflags:\n", synopsis, about)
		f.PrintDefaults()
	}
	f.BoolVar(&f.verbose, "v", false, "log driver activity to stderr")
	return f
}

// withRig adds --rig (default $CAMRIG_RIG).
func (f *flags) withRig() *flags {
	f.StringVar(&f.rigPath, "rig", os.Getenv(rigEnv), "rig file (default $"+rigEnv+")")
	return f
}

// withUnit adds --unit.
func (f *flags) withUnit() *flags {
	f.StringVar(&f.unit, "unit", "", "unit name from the rig file (default: the rig's only unit)")
	return f
}

// parse parses args, allowing positional words among the flags. ok is
// false when the command must return code at once (-h gives exitOK, a bad
// flag exitUsage; the flag package has already said why).
func (f *flags) parse(args []string) (pos []string, code int, ok bool) {
	for {
		err := f.Parse(args)
		if errors.Is(err, flag.ErrHelp) {
			return nil, exitOK, false
		}
		if err != nil {
			return nil, exitUsage, false
		}
		rest := f.Args()
		consumed := len(args) - len(rest)
		if consumed > 0 && args[consumed-1] == "--" {
			// An explicit end of flags: everything after is positional.
			return append(pos, rest...), exitOK, true
		}
		if len(rest) == 0 {
			return pos, exitOK, true
		}
		pos = append(pos, rest[0])
		args = rest[1:]
	}
}

// usageErr prints a usage mistake and the command's synopsis.
func (f *flags) usageErr(format string, args ...any) int {
	fmt.Fprintf(f.stderr, "camrig %s: %s\n", f.Name(), fmt.Sprintf(format, args...))
	fmt.Fprintf(f.stderr, "usage: camrig %s (-h for flags)\n", f.synopsis)
	return exitUsage
}

// logger logs warnings (or everything with -v) to stderr.
func (f *flags) logger() *slog.Logger {
	level := slog.LevelWarn
	if f.verbose {
		level = slog.LevelDebug
	}
	return slog.New(slog.NewTextHandler(f.stderr, &slog.HandlerOptions{Level: level}))
}

// loadRig loads --rig. A rig file that does not load is exitRigFile, with
// every file:line problem printed.
func (f *flags) loadRig() (*rig.Rig, int) {
	if f.rigPath == "" {
		return nil, f.usageErr("--rig is required (or set %s)", rigEnv)
	}
	r, err := rig.Load(f.rigPath)
	if err != nil {
		fmt.Fprintf(f.stderr, "camrig %s: rig file %s does not load:\n%v\n", f.Name(), f.rigPath, err)
		return nil, exitRigFile
	}
	return r, exitOK
}

// unitName resolves --unit against r: an unknown name is a usage error
// listing the units; an empty one means the rig's only unit.
func (f *flags) unitName(r *rig.Rig) (string, int) {
	names := r.UnitNames()
	if f.unit == "" {
		if len(names) == 1 {
			return names[0], exitOK
		}
		return "", f.usageErr("--unit is required: rig %s has units %s", r.Name, strings.Join(names, ", "))
	}
	if _, ok := r.Unit(f.unit); !ok {
		return "", f.usageErr("rig %s (%s) has no unit %q; its units are %s", r.Name, r.File, f.unit, strings.Join(names, ", "))
	}
	return f.unit, exitOK
}

// rigAndUnit is loadRig then unitName.
func (f *flags) rigAndUnit() (*rig.Rig, string, int) {
	r, code := f.loadRig()
	if code != exitOK {
		return nil, "", code
	}
	name, code := f.unitName(r)
	return r, name, code
}

// session is one leased unit with only the drivers a command opened.
// Unlike rig.Unit.Close, closing it never switches the unit's power: a
// manual command leaves the unit as the person at the bench set it
// (`power on` means on), while the solenoid is still released by whoever
// opened it.
type session struct {
	f       *flags
	r       *rig.Rig
	name    string
	cfg     rig.UnitConfig
	clk     clock.Clock
	log     *slog.Logger
	lease   *rig.Lease
	closers []func(context.Context) error
}

// closeTimeout bounds closing a session, as rig.Unit.Close bounds its
// restore: long enough for a slow network plug, short enough that a dead
// board does not hang the command.
const closeTimeout = 5 * time.Second

// lease takes the unit for the command: exitBusy when another run has it.
func (f *flags) lease(r *rig.Rig, name string) (*session, int) {
	l, err := r.Lease(name)
	if err != nil {
		return nil, f.failure(err)
	}
	cfg, _ := r.Unit(name)
	return &session{f: f, r: r, name: name, cfg: cfg, clk: rigClock(r), log: f.logger().With("unit", name), lease: l}, exitOK
}

// rigClock is the rig's clock, the wall clock unless a test injected one.
func rigClock(r *rig.Rig) clock.Clock {
	if r.Clock == nil {
		return clock.Real{}
	}
	return r.Clock
}

// onClose adds fn to what close runs, in reverse order of adding.
func (s *session) onClose(fn func(context.Context) error) {
	s.closers = append(s.closers, fn)
}

// openLine opens a power or press binding and closes it with the session.
func (s *session) openLine(ctx context.Context, role string, cfg power.Config) (power.Switch, error) {
	sw, err := power.Open(ctx, cfg, power.Deps{Clock: s.clk, Log: s.log})
	if err != nil {
		return nil, fmt.Errorf("unit %s %s: %w", s.name, role, err)
	}
	s.onClose(func(context.Context) error { return closeLine(sw) })
	return sw, nil
}

// close runs the closers and releases the lease; a failure there turns a
// successful command into a failed one.
func (s *session) close(code int) int {
	ctx, cancel := clock.WithTimeout(context.Background(), s.clk, closeTimeout, "leaving unit "+s.name)
	defer cancel()
	var errs []error
	for i := len(s.closers) - 1; i >= 0; i-- {
		errs = append(errs, s.closers[i](ctx))
	}
	s.closers = nil
	errs = append(errs, s.lease.Release())
	if err := errors.Join(errs...); err != nil {
		fmt.Fprintf(s.f.stderr, "camrig %s: leaving unit %s: %v\n", s.f.Name(), s.name, err)
		if code == exitOK {
			return exitFailed
		}
	}
	return code
}

// closeLine closes a switch that holds a port or connection.
func closeLine(sw power.Switch) error {
	if c, ok := sw.(power.Closer); ok {
		return c.Close()
	}
	return nil
}

// failure prints err and picks its exit code: exitBusy for a leased unit,
// exitFailed otherwise.
func (f *flags) failure(err error) int {
	fmt.Fprintf(f.stderr, "camrig %s: %v\n", f.Name(), err)
	if errors.Is(err, rig.ErrBusy) {
		return exitBusy
	}
	return exitFailed
}

// needUnitField reports a unit without the binding a command needs.
func (f *flags) needUnitField(r *rig.Rig, unit, key string) int {
	cfg, _ := r.Unit(unit)
	fmt.Fprintf(f.stderr, "camrig %s: unit %s (%s:%d) has no %s binding\n", f.Name(), unit, r.File, cfg.Line, key)
	return exitFailed
}

// deviceDuration is a duration flag in device time: what a profile or a
// vendor manual would say ("hold 5s"). Commands scale it by the rig's
// timescale before waiting, so one command line means the same on a bench
// and on the virtual rig.
type deviceDuration struct {
	d   time.Duration
	set bool
}

func (d *deviceDuration) String() string {
	if d == nil || !d.set {
		return ""
	}
	return d.d.String()
}

func (d *deviceDuration) Set(s string) error {
	v, err := time.ParseDuration(s)
	if err != nil {
		return fmt.Errorf("want a duration like 5s or 250ms")
	}
	if v <= 0 {
		return fmt.Errorf("%v is not positive", v)
	}
	d.d, d.set = v, true
	return nil
}

// durationVar adds a device-time duration flag.
func (f *flags) durationVar(d *deviceDuration, name, usage string) {
	f.Var(d, name, usage+" (device time; scaled by the rig's timescale)")
}

// realTime renders a device duration and, on a scaled rig, what it is in
// real time: "5s (50ms at timescale 0.01)".
func realTime(d time.Duration, s clock.Scale) string {
	if s <= 0 || s == 1 {
		return d.String()
	}
	return fmt.Sprintf("%v (%v at timescale %v)", d, s.Of(d), float64(s))
}

// deviceTime renders a measured real duration in device time, with the
// real one on a scaled rig: "5.01s (50.1ms real)".
func deviceTime(real time.Duration, s clock.Scale) string {
	if s <= 0 || s == 1 {
		return real.String()
	}
	return fmt.Sprintf("%v (%v real)", s.Unscale(real).Round(time.Millisecond), real.Round(10*time.Microsecond))
}
