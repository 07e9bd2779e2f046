// Package profile holds the numbers and console markers of one camera model,
// taken from the vendor's published procedure (fixtures/profiles/*.yaml).
// Procedures read them; specs never hard-code a hold time or a log line.
package profile

import (
	"fmt"
	"path/filepath"
	"strings"
	"time"

	"github.com/camrig/camrig/harness/internal/inputfile"
	"github.com/camrig/camrig/harness/internal/strictyaml"
	"github.com/camrig/camrig/harness/notation"
)

// Profile is one camera model.
type Profile struct {
	Model       string `yaml:"model"`
	Vendor      string `yaml:"vendor"`
	Description string `yaml:"description"`
	// Source cites the vendor procedure the numbers come from.
	Source      string     `yaml:"source"`
	ResetButton bool       `yaml:"reset_button"`
	Holds       Holds      `yaml:"holds"`
	Boot        Boot       `yaml:"boot"`
	Bootloader  Bootloader `yaml:"bootloader"`
	LED         LED        `yaml:"led"`
	Lockout     Lockout    `yaml:"lockout"`
	Flash       Flash      `yaml:"flash"`
	API         API        `yaml:"api"`
	NVRSync     bool       `yaml:"nvr_sync"`
	// BootScript is the path, relative to the profile file, of the boot log
	// the virtual unit plays (fixtures/boot/*.log).
	BootScript string `yaml:"boot_script"`

	// File is where the profile was loaded from.
	File string `yaml:"-"`
}

// Window is a hold the vendor documents: press for Hold; the unit accepts
// anything in [Min, Max].
type Window struct {
	Hold time.Duration `yaml:"hold"`
	Min  time.Duration `yaml:"min"`
	Max  time.Duration `yaml:"max"`
}

// Holds are the reset-button windows.
type Holds struct {
	// Reboot restarts the unit keeping its settings (nil: no such hold).
	Reboot *Window `yaml:"reboot"`
	// Factory restores defaults (nil: the model has no reset button).
	Factory *Window `yaml:"factory"`
	// ReleaseOnLED: release the factory hold as soon as the status LED starts
	// flashing (Hikvision), instead of after the full Hold.
	ReleaseOnLED bool `yaml:"release_on_led"`
	// PowerOn is the "cut power, hold, restore power, keep holding" variant.
	PowerOn *Window `yaml:"power_on"`
	// AfterBoot: the unit must be fully booted before the press counts
	// (generic IPC: power up, wait ~3 min, then press).
	AfterBoot bool `yaml:"after_boot"`
	// Reaction is how soon after the button's release a unit that acts on
	// a hold shows it on its console (the reboot or factory marker, or the
	// bootloader's banner): the firmware judges a hold when it is released.
	// A press the model documents no effect for is watched this long
	// (scaled) for a restart, not a whole boot deadline. Default
	// DefaultReaction; see Holds.ReactionTime.
	Reaction time.Duration `yaml:"reaction"`
}

// DefaultReaction is Holds.Reaction when a profile gives none: room for
// firmware that polls its button once a second and logs through a
// buffered syslog before it restarts.
const DefaultReaction = 5 * time.Second

// ReactionTime is the profile's holds.reaction, or DefaultReaction.
func (h Holds) ReactionTime() time.Duration {
	if h.Reaction > 0 {
		return h.Reaction
	}
	return DefaultReaction
}

// Boot describes power-on to application-ready.
type Boot struct {
	// Deadline from power-on to the ready marker.
	Deadline time.Duration `yaml:"deadline"`
	// OffTime is how long power must stay off for a clean cold start.
	OffTime time.Duration `yaml:"off_time"`
	// ReadyMarker is the console line that says the application is up.
	ReadyMarker string `yaml:"ready_marker"`
	// FactoryMarker is printed when a factory reset is carried out.
	FactoryMarker string `yaml:"factory_marker"`
	// RebootMarker is printed when a reboot-hold restarts the unit.
	RebootMarker string `yaml:"reboot_marker"`
	// RecoveryMarkers appear on the boot after a power cut during a write.
	RecoveryMarkers []string `yaml:"recovery_markers"`
	// KernelMarker is the line that ends the bootloader's part of a boot
	// and starts the kernel's (default DefaultKernelMarker, which every
	// U-Boot prints).
	KernelMarker string `yaml:"kernel_marker"`
	// FailureMarkers adjusts the console lines that end a boot wait as a
	// failure (see Profile.FailureMarkers for the resolved set).
	FailureMarkers FailureMarkers `yaml:"failure_markers"`
}

// DefaultKernelMarker is what U-Boot prints as it jumps to the kernel.
const DefaultKernelMarker = "Starting kernel"

// Kernel is the profile's kernel marker, or the default.
func (b Boot) Kernel() string {
	if b.KernelMarker != "" {
		return b.KernelMarker
	}
	return DefaultKernelMarker
}

// Bootloader is how to stop autoboot and talk to the bootloader.
type Bootloader struct {
	Banner   string `yaml:"banner"`
	Autoboot string `yaml:"autoboot"`
	// InterruptKey is the byte sequence to send (YAML escapes: "\x15" is Ctrl+U).
	InterruptKey string `yaml:"interrupt_key"`
	// Presses is how many times the key must be sent.
	Presses int `yaml:"presses"`
	// Countdown is the autoboot delay.
	Countdown time.Duration `yaml:"countdown"`
	Prompt    string        `yaml:"prompt"`
	// PasswordPrompt, when set, is a prompt the bootloader shows before the
	// shell; the password comes from the rig (never from the profile).
	PasswordPrompt string `yaml:"password_prompt"`
	// Framing is how a command's end is recognised: "hush" (default: the
	// shell keeps $?, every command reports its exit status) or "simple"
	// (U-Boot built without CONFIG_HUSH_PARSER, or a vendor shell: `;` and
	// echo work but $? is printed literally, so success is judged from what
	// the command prints).
	Framing string `yaml:"framing"`
	// LineClear is the key that empties the bootloader's input line before
	// the first command after autoboot is stopped (YAML escapes: "\x03"
	// Ctrl+C, the default; "\x15" Ctrl+U). Stale bytes a cut run left in
	// the UART FIFO would otherwise prefix that command.
	LineClear string `yaml:"line_clear"`
}

// LED describes the status LED.
type LED struct {
	// FactoryArmed is the LED state while a factory-reset hold is armed:
	// "blinking", "on" or "off".
	FactoryArmed string `yaml:"factory_armed"`
	// BlinkHz is the nominal blink rate (the vendors publish none; the
	// sensor measures it).
	BlinkHz float64 `yaml:"blink_hz"`
}

// Lockout is the failed-login policy.
type Lockout struct {
	Attempts int           `yaml:"attempts"`
	Duration time.Duration `yaml:"duration"`
	// Scope is "account" or "ip".
	Scope string `yaml:"scope"`
}

// Flash is the unit's flash chip and layout. A model that is never
// reflashed has no flash section (Kind is then "").
type Flash struct {
	// Kind is spi-nor, cfi-nor, spi-nand, nand or mmc.
	Kind       string            `yaml:"kind"`
	Chip       string            `yaml:"chip"`
	Size       notation.ByteSize `yaml:"size"`
	EraseSize  notation.ByteSize `yaml:"erase_size"`
	LoadAddr   notation.ByteSize `yaml:"load_addr"`
	Partitions []Partition       `yaml:"partitions"`
	// Firmware names the partition a reflash writes.
	Firmware string `yaml:"firmware"`
	// Image is the format of the images the firmware partition takes.
	Image Image `yaml:"image"`
	// PageSize is the NAND page (spi-nand, nand).
	PageSize notation.ByteSize `yaml:"page_size"`
	// Program is how a cfi-nor reflash programs the flash: "buffer"
	// (default: cp.b, U-Boot's buffered CFI write) or "words": word by
	// word, the Intel CFI program command and the data written with mw.l
	// from a hush loop (setexpr, itest), for a flash whose buffered write
	// is broken (QEMU 7.2's pflash takes only the first 4 KiB of each
	// sector). Words assumes a 32-bit bus of two x16 Intel-command-set
	// chips, as QEMU's virt board has.
	Program string `yaml:"program"`
	// ErasePart makes a NAND reflash erase with `nand erase.part NAME`
	// (the bootloader knows the partition from mtdparts) instead of
	// `nand erase OFFSET SIZE`.
	ErasePart bool `yaml:"erase_part"`
}

// Image is what an image for the firmware partition must be.
type Image struct {
	// Format is camrig, uimage, fit or raw (see harness/fwimage).
	Format string `yaml:"format"`
	// Arch and Type, for uimage, are mkimage's -A and -T names the
	// header must carry ("" accepts any).
	Arch string `yaml:"arch"`
	Type string `yaml:"type"`
}

// IsNAND reports a NAND kind (written through U-Boot's nand commands).
func (f Flash) IsNAND() bool { return f.Kind == "spi-nand" || f.Kind == "nand" }

// Partition is one region of flash.
type Partition struct {
	Name   string            `yaml:"name"`
	Offset notation.ByteSize `yaml:"offset"`
	Size   notation.ByteSize `yaml:"size"`
}

// API describes the unit's network API.
type API struct {
	// Kind is "isapi" or "none".
	Kind string `yaml:"kind"`
	// NotActivatedStatus is the HTTP status an inactive unit answers
	// protected calls with (401 or 403 are both seen).
	NotActivatedStatus int    `yaml:"not_activated_status"`
	User               string `yaml:"user"`
	// DefaultPasswords are passwords the model (or its family) shipped with
	// or that installers commonly use; none may ever open the unit. Empty:
	// CommonDefaultPasswords.
	DefaultPasswords []string `yaml:"default_passwords"`
}

// CommonDefaultPasswords are the factory and installer passwords of IP
// cameras a security check tries when a profile names none: the empty
// password, Hikvision's pre-2016 "12345", and the usual installer choices.
var CommonDefaultPasswords = []string{"", "12345", "admin", "123456", "888888", "password", "Admin12345"}

// Defaults is the passwords a security check tries against the unit.
func (a API) Defaults() []string {
	if len(a.DefaultPasswords) > 0 {
		return a.DefaultPasswords
	}
	return CommonDefaultPasswords
}

// Partition returns the named partition.
func (f Flash) Partition(name string) (Partition, bool) {
	for _, p := range f.Partitions {
		if p.Name == name {
			return p, true
		}
	}
	return Partition{}, false
}

// Load reads and validates one profile file.
func Load(path string) (*Profile, error) {
	data, err := inputfile.Read(path, strictyaml.MaxSize)
	if err != nil {
		return nil, fmt.Errorf("profile: %w", err)
	}
	return Parse(path, data)
}

// Parse decodes and validates a profile; file names it in errors.
func Parse(file string, data []byte) (*Profile, error) {
	var p Profile
	root, err := strictyaml.Decode(file, data, &p)
	if err != nil {
		return nil, err
	}
	p.File = file
	if errs := p.validate(); len(errs) > 0 {
		var out strictyaml.Errors
		for _, e := range errs {
			out = append(out, &strictyaml.Error{File: file, Line: strictyaml.Line(root, e.path...), Msg: e.msg})
		}
		return nil, out
	}
	return &p, nil
}

// LoadModel loads <dir>/<model>.yaml.
func LoadModel(dir, model string) (*Profile, error) {
	if model == "" || strings.ContainsAny(model, `/\`) || strings.HasPrefix(model, ".") {
		return nil, fmt.Errorf("profile: invalid model name %q", model)
	}
	return Load(filepath.Join(dir, model+".yaml"))
}

// Models lists the profile names in dir.
func Models(dir string) ([]string, error) {
	m, err := filepath.Glob(filepath.Join(dir, "*.yaml"))
	if err != nil {
		return nil, err
	}
	out := make([]string, 0, len(m))
	for _, f := range m {
		out = append(out, strings.TrimSuffix(filepath.Base(f), ".yaml"))
	}
	return out, nil
}

// BootScriptPath resolves BootScript relative to the profile file.
func (p *Profile) BootScriptPath() string {
	if p.BootScript == "" || filepath.IsAbs(p.BootScript) {
		return p.BootScript
	}
	return filepath.Join(filepath.Dir(p.File), p.BootScript)
}
