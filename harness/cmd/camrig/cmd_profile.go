package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"path/filepath"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/camrig/camrig/harness/clock"
	"github.com/camrig/camrig/harness/profile"
)

func init() {
	register(command{name: "profile", summary: "list camera profiles or show one's numbers", run: runProfile})
}

const profileAbout = `list prints every profile in the profiles directory with its key numbers;
show prints one profile's holds, deadlines, markers, bootloader, LED,
lockout and flash layout. The directory is --profiles, else the --rig
file's profiles directory (and durations are shown scaled by its
timescale too), else fixtures/profiles. NAME may also be a .yaml path.`

// defaultProfiles is where profiles live in a checkout.
var defaultProfiles = filepath.Join("fixtures", "profiles")

func runProfile(_ context.Context, args []string, stdout, stderr io.Writer) int {
	f := newFlags("profile list | profile show NAME [--rig R | --profiles DIR]", profileAbout, stderr)
	f.StringVar(&f.rigPath, "rig", "", "rig file whose profiles directory and timescale to use")
	dir := f.String("profiles", "", "profiles directory (default: the rig's, else "+defaultProfiles+")")
	pos, code, ok := f.parse(args)
	if !ok {
		return code
	}
	if len(pos) == 0 {
		return f.usageErr("want list or show NAME")
	}
	action := pos[0]
	switch {
	case action == "list" && len(pos) == 1:
	case action == "show" && len(pos) == 2:
	case action == "list" || action == "show":
		return f.usageErr("wrong number of arguments for %s: %q", action, pos[1:])
	default:
		return f.usageErr("unknown action %q: want list or show NAME", action)
	}
	if *dir != "" && f.rigPath != "" {
		return f.usageErr("give --profiles or --rig, not both")
	}
	scale := clock.Scale(1)
	switch {
	case *dir != "":
	case f.rigPath != "":
		r, code := f.loadRig()
		if code != exitOK {
			return code
		}
		*dir, scale = r.ProfilesDir, r.Timescale
	default:
		*dir = defaultProfiles
	}
	if action == "list" {
		return listProfiles(f, *dir, stdout)
	}
	return showProfile(f, *dir, pos[1], scale, stdout)
}

func listProfiles(f *flags, dir string, stdout io.Writer) int {
	models, err := profile.Models(dir)
	if err != nil {
		return f.failure(fmt.Errorf("profiles directory %s: %w", dir, err))
	}
	if len(models) == 0 {
		return f.failure(fmt.Errorf("no profiles (*.yaml) in %s (give --profiles DIR or --rig R)", dir))
	}
	tw := tabwriter.NewWriter(stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "MODEL\tVENDOR\tFACTORY HOLD\tREBOOT HOLD\tBOOT DEADLINE\tLOCKOUT")
	code := exitOK
	for _, m := range models {
		p, err := profile.LoadModel(dir, m)
		if err != nil {
			fmt.Fprintf(f.stderr, "camrig profile: %v\n", err)
			code = exitRigFile
			continue
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%v\t%s\n", p.Model, p.Vendor, window(p.Holds.Factory), window(p.Holds.Reboot),
			p.Boot.Deadline, lockout(p.Lockout))
	}
	if err := tw.Flush(); err != nil {
		return f.failure(err)
	}
	return code
}

func showProfile(f *flags, dir, name string, scale clock.Scale, stdout io.Writer) int {
	var p *profile.Profile
	var err error
	if strings.HasSuffix(name, ".yaml") {
		p, err = profile.Load(name)
	} else {
		p, err = profile.LoadModel(dir, name)
	}
	switch {
	case errors.Is(err, fs.ErrNotExist):
		models, _ := profile.Models(dir)
		return f.usageErr("no profile %q in %s (profiles: %s)", name, dir, strings.Join(models, ", "))
	case err != nil:
		fmt.Fprintf(f.stderr, "camrig profile: %v\n", err)
		return exitRigFile
	}
	if err := printProfile(stdout, p, scale); err != nil {
		return f.failure(err)
	}
	return exitOK
}

// printProfile writes every number a procedure reads from p. Durations
// carry their scaled value when the rig runs faster than real time.
func printProfile(w io.Writer, p *profile.Profile, scale clock.Scale) error {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	d := func(v time.Duration) string { return realTime(v, scale) }
	win := func(x *profile.Window) string {
		if x == nil {
			return "none"
		}
		return fmt.Sprintf("hold %s, accepted %v..%v", d(x.Hold), x.Min, x.Max)
	}
	row := func(k string, v any) { fmt.Fprintf(tw, "%s\t%v\n", k, v) }
	row("model", p.Model)
	row("vendor", p.Vendor)
	row("description", p.Description)
	row("source", p.Source)
	row("file", p.File)
	row("reset button", p.ResetButton)
	row("hold: reboot", win(p.Holds.Reboot))
	row("hold: factory", win(p.Holds.Factory))
	row("hold: power-on variant", win(p.Holds.PowerOn))
	row("hold: release on LED", p.Holds.ReleaseOnLED)
	row("hold: only after boot", p.Holds.AfterBoot)
	row("boot: deadline", d(p.Boot.Deadline))
	row("boot: power off time", d(p.Boot.OffTime))
	row("marker: ready", quote(p.Boot.ReadyMarker))
	row("marker: factory reset", quote(p.Boot.FactoryMarker))
	row("marker: reboot", quote(p.Boot.RebootMarker))
	for i, m := range p.Boot.RecoveryMarkers {
		row(fmt.Sprintf("marker: recovery %d", i+1), quote(m))
	}
	row("bootloader: banner", quote(p.Bootloader.Banner))
	row("bootloader: autoboot", quote(p.Bootloader.Autoboot))
	row("bootloader: interrupt key", fmt.Sprintf("%s x%d", quote(p.Bootloader.InterruptKey), p.Bootloader.Presses))
	row("bootloader: countdown", d(p.Bootloader.Countdown))
	row("bootloader: prompt", quote(p.Bootloader.Prompt))
	if p.Bootloader.PasswordPrompt != "" {
		row("bootloader: password prompt", quote(p.Bootloader.PasswordPrompt))
	}
	row("led: while factory reset armed", p.LED.FactoryArmed)
	if p.LED.BlinkHz > 0 {
		row("led: nominal blink", fmt.Sprintf("%g Hz", p.LED.BlinkHz))
	}
	row("lockout", lockout(p.Lockout))
	if p.Lockout.Attempts > 0 {
		row("lockout: duration", d(p.Lockout.Duration))
	}
	row("api", fmt.Sprintf("%s, user %s, inactive status %d", p.API.Kind, p.API.User, p.API.NotActivatedStatus))
	row("nvr sync", p.NVRSync)
	if p.Flash.Kind == "" {
		row("flash", "none described (never reflashed)")
	} else {
		row("flash", fmt.Sprintf("%s %s, %v, erase %v, load at %#x, firmware in %q, %s images",
			p.Flash.Kind, p.Flash.Chip, p.Flash.Size, p.Flash.EraseSize, uint64(p.Flash.LoadAddr), p.Flash.Firmware, p.Flash.Image.Format))
	}
	for _, part := range p.Flash.Partitions {
		row("flash: "+part.Name, fmt.Sprintf("%#x + %v", uint64(part.Offset), part.Size))
	}
	if p.BootScript != "" {
		row("boot script", p.BootScriptPath())
	}
	return tw.Flush()
}

func window(w *profile.Window) string {
	if w == nil {
		return "-"
	}
	return fmt.Sprintf("%v (%v..%v)", w.Hold, w.Min, w.Max)
}

func lockout(l profile.Lockout) string {
	if l.Attempts == 0 {
		return "none"
	}
	return fmt.Sprintf("%d attempts, %v per %s", l.Attempts, l.Duration, l.Scope)
}

// quote shows markers exactly, control bytes included ("\x15").
func quote(s string) string {
	if s == "" {
		return "-"
	}
	return strconv.Quote(s)
}
