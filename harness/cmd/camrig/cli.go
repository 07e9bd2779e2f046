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

// openUnit leases the unit and opens its drivers through rig.Open; opts
// name the parts the command needs (rig.Only). A manual command leaves the
// unit's power as the person at the bench set it (`power on` means on), so
// the unit is opened with rig.KeepPower: closing it still releases the
// solenoid, closes the drivers and gives the lease back. A unit another run
// holds is exitBusy.
func (f *flags) openUnit(ctx context.Context, r *rig.Rig, name string, opts ...rig.OpenOption) (*rig.Unit, int) {
	opts = append([]rig.OpenOption{rig.KeepPower(), rig.WithLogger(f.logger())}, opts...)
	u, err := r.Open(ctx, name, opts...)
	if err != nil {
		return nil, f.failure(err)
	}
	return u, exitOK
}

// closeUnit closes u and passes code on; a failure while leaving the unit
// turns a successful command into a failed one.
func (f *flags) closeUnit(u *rig.Unit, code int) int {
	if err := u.Close(context.Background()); err != nil {
		fmt.Fprintf(f.stderr, "camrig %s: leaving unit %s: %v\n", f.Name(), u.Name, err)
		if code == exitOK {
			return exitFailed
		}
	}
	return code
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
