package unit

import (
	"errors"
	"fmt"
	"path/filepath"
	"time"

	"github.com/camrig/camrig/harness/notation"
	"go.yaml.in/yaml/v3"

	"github.com/camrig/camrig/rigs/virtual/inputfile"
)

// Profile is what the simulated bench reads from a camera profile
// (fixtures/profiles/<model>.yaml): the unit itself and the simulators
// attached to it (its API, the NVR, its flash chip) all take it from here,
// so each profile is read once. It is the device's own reading of the
// file, deliberately separate from the harness's (only the notation of
// sizes, harness/notation, is shared): keys it does not need are ignored.
type Profile struct {
	Model       string     `yaml:"model"`
	ResetButton bool       `yaml:"reset_button"`
	Holds       Holds      `yaml:"holds"`
	Boot        Boot       `yaml:"boot"`
	Bootloader  Bootloader `yaml:"bootloader"`
	LED         LED        `yaml:"led"`
	Flash       Flash      `yaml:"flash"`
	API         API        `yaml:"api"`
	Lockout     Lockout    `yaml:"lockout"`
	// NVRSync: the firmware lets an NVR on its PoE port discover and
	// activate it.
	NVRSync bool `yaml:"nvr_sync"`
	// BootScript is relative to the profile file.
	BootScript string `yaml:"boot_script"`

	// File is where the profile was read from.
	File string `yaml:"-"`
}

// Window is a hold the unit accepts: Min <= held <= Max (device time).
type Window struct {
	Hold time.Duration `yaml:"hold"`
	Min  time.Duration `yaml:"min"`
	Max  time.Duration `yaml:"max"`
}

// Holds are the reset-button windows.
type Holds struct {
	Reboot  *Window `yaml:"reboot"`
	Factory *Window `yaml:"factory"`
	PowerOn *Window `yaml:"power_on"`
	// AfterBoot: a press only counts once the unit is up.
	AfterBoot bool `yaml:"after_boot"`
}

// Boot holds the markers the unit prints.
type Boot struct {
	// Deadline is the harness's boot deadline: only the boots_late defect
	// reads it, to become ready that much later.
	Deadline        time.Duration `yaml:"deadline"`
	ReadyMarker     string        `yaml:"ready_marker"`
	FactoryMarker   string        `yaml:"factory_marker"`
	RebootMarker    string        `yaml:"reboot_marker"`
	RecoveryMarkers []string      `yaml:"recovery_markers"`
}

// Bootloader is the bootloader's console behaviour.
type Bootloader struct {
	Banner       string        `yaml:"banner"`
	Autoboot     string        `yaml:"autoboot"`
	InterruptKey string        `yaml:"interrupt_key"`
	Presses      int           `yaml:"presses"`
	Countdown    time.Duration `yaml:"countdown"`
	Prompt       string        `yaml:"prompt"`
}

// LED is the status LED's behaviour while a factory reset is armed.
type LED struct {
	FactoryArmed string  `yaml:"factory_armed"`
	BlinkHz      float64 `yaml:"blink_hz"`
}

// Flash is the unit's flash chip: its layout (for the emulated chip) and
// the RAM address the bootloader loads images to.
type Flash struct {
	// Kind is spi-nor, cfi-nor, spi-nand, nand or mmc; spi-nor and the
	// NAND kinds are emulated.
	Kind      string            `yaml:"kind"`
	Chip      string            `yaml:"chip"`
	Size      notation.ByteSize `yaml:"size"`
	EraseSize notation.ByteSize `yaml:"erase_size"`
	LoadAddr  notation.ByteSize `yaml:"load_addr"`
	// PageSize is the NAND page.
	PageSize notation.ByteSize `yaml:"page_size"`
	// Firmware names the partition that holds the firmware image.
	Firmware   string      `yaml:"firmware"`
	Partitions []Partition `yaml:"partitions"`
}

// Partition is one named region of the flash.
type Partition struct {
	Name   string            `yaml:"name"`
	Offset notation.ByteSize `yaml:"offset"`
	Size   notation.ByteSize `yaml:"size"`
}

// API is the network side of the firmware.
type API struct {
	// Kind is the API the firmware speaks (isapi, or another the
	// simulator does not serve).
	Kind string `yaml:"kind"`
	// NotActivatedStatus is the HTTP status an unactivated unit answers.
	NotActivatedStatus int    `yaml:"not_activated_status"`
	User               string `yaml:"user"`
}

// Lockout is how the firmware locks out guessed passwords.
type Lockout struct {
	Attempts int           `yaml:"attempts"`
	Duration time.Duration `yaml:"duration"`
	Scope    string        `yaml:"scope"`
}

// LoadProfile reads a profile file.
func LoadProfile(path string) (*Profile, error) {
	data, err := inputfile.Read(path, inputfile.MaxYAML)
	if err != nil {
		return nil, fmt.Errorf("unit profile: %w", err)
	}
	return ParseProfile(path, data)
}

// ParseProfile decodes a profile and checks what the unit relies on; file
// names it in errors.
func ParseProfile(file string, data []byte) (*Profile, error) {
	var p Profile
	if err := yaml.Unmarshal(data, &p); err != nil {
		return nil, fmt.Errorf("unit profile %s: %w", file, err)
	}
	p.File = file
	var errs []error
	bad := func(format string, a ...any) {
		errs = append(errs, fmt.Errorf("unit profile %s: "+format, append([]any{file}, a...)...))
	}
	if p.Model == "" {
		bad("model is missing")
	}
	bl := p.Bootloader
	if bl.Autoboot == "" || bl.InterruptKey == "" || bl.Prompt == "" {
		bad("bootloader needs autoboot, interrupt_key and prompt")
	}
	if bl.Presses < 0 || bl.Countdown < 0 {
		bad("bootloader presses and countdown must not be negative")
	}
	if p.Boot.ReadyMarker == "" {
		bad("boot.ready_marker is missing")
	}
	for name, w := range map[string]*Window{"reboot": p.Holds.Reboot, "factory": p.Holds.Factory, "power_on": p.Holds.PowerOn} {
		if w != nil && (w.Min < 0 || w.Max < w.Min) {
			bad("holds.%s: want 0 <= min <= max, got min %v max %v", name, w.Min, w.Max)
		}
	}
	switch p.LED.FactoryArmed {
	case "", "on", "off":
	case "blinking":
		if p.LED.BlinkHz <= 0 {
			bad("led.blink_hz must be positive when factory_armed is blinking")
		}
	default:
		bad("led.factory_armed %q: want blinking, on, off or empty", p.LED.FactoryArmed)
	}
	if len(errs) > 0 {
		return nil, errors.Join(errs...)
	}
	return &p, nil
}

// ScriptPath resolves BootScript relative to the profile file.
func (p *Profile) ScriptPath() string {
	if p.BootScript == "" || filepath.IsAbs(p.BootScript) {
		return p.BootScript
	}
	return filepath.Join(filepath.Dir(p.File), p.BootScript)
}

// presses is how many interrupt keys stop autoboot (at least one).
func (p *Profile) presses() int { return max(1, p.Bootloader.Presses) }
