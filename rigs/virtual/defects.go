package virtual

import (
	"fmt"
	"sort"
	"strings"

	"go.yaml.in/yaml/v3"

	"github.com/camrig/camrig/rigs/virtual/isapisim"
	"github.com/camrig/camrig/rigs/virtual/nvrsim"
	"github.com/camrig/camrig/rigs/virtual/unit"
)

// A verdict is only as good as its ability to fail: every behaviour a spec
// asserts has a defect here that breaks it, switched on in the rig file's
// sim section (never by the harness, which cannot tell a defective unit
// from a sound one but by what it does):
//
//	sim:
//	  units: {cam1: {defects: [ignores_factory_hold]}}
//	  nvr:   {defects: [channel_stays_online]}

// Defect names one switchable fault.
type Defect string

// Where a defect lives: on a unit (its boot, button, LED, API or flash) or
// on the NVR.
const (
	OnUnit = "unit"
	OnNVR  = "nvr"
)

// DefectInfo describes one defect.
type DefectInfo struct {
	Name Defect
	// On is OnUnit or OnNVR.
	On string
	// Symptom is what a tester would see.
	Symptom string
	// unit, api, nvr and flash switch the defect on in the simulators.
	unit  func(*unit.Defects)
	api   func(*isapisim.Defects)
	nvr   func(*nvrsim.Defects)
	flash bool
}

// defects is the catalogue, in the order the behaviours come up in a run.
var defects = []DefectInfo{
	{Name: "never_boots", On: OnUnit, Symptom: "the boot hangs before the ready marker",
		unit: func(d *unit.Defects) { d.NeverBoots = true }},
	{Name: "boots_late", On: OnUnit, Symptom: "the ready marker comes a whole boot deadline late",
		unit: func(d *unit.Defects) { d.BootsLate = true }},
	{Name: "ready_without_api", On: OnUnit, Symptom: "the ready marker is printed but the API never answers",
		api: func(d *isapisim.Defects) { d.NeverServes = true }},
	{Name: "factory_reset_on_power_loss", On: OnUnit, Symptom: "every power-on factory-resets the unit (with the factory marker)",
		unit: func(d *unit.Defects) { d.FactoryResetOnPowerLoss = true }},
	{Name: "wipes_config_on_power_loss", On: OnUnit, Symptom: "every power-on wipes the config silently: the unit comes back inactive, no marker",
		unit: func(d *unit.Defects) { d.WipesConfigOnPowerLoss = true }},
	{Name: "loses_settings_on_power_loss", On: OnUnit, Symptom: "every power-on loses the settings silently; the unit stays activated",
		unit: func(d *unit.Defects) { d.LosesSettingsOnPowerLoss = true }},
	{Name: "ignores_reboot_hold", On: OnUnit, Symptom: "a hold inside the reboot window does nothing",
		unit: func(d *unit.Defects) { d.IgnoresRebootHold = true }},
	{Name: "ignores_factory_hold", On: OnUnit, Symptom: "a hold inside the factory window does nothing",
		unit: func(d *unit.Defects) { d.IgnoresFactoryHold = true }},
	{Name: "short_press_factory_resets", On: OnUnit, Symptom: "a press shorter than every window factory-resets the unit",
		unit: func(d *unit.Defects) { d.ShortPressFactoryResets = true }},
	{Name: "any_hold_factory_resets", On: OnUnit, Symptom: "a hold of any length factory-resets the unit",
		unit: func(d *unit.Defects) { d.AnyHoldFactoryResets = true }},
	{Name: "reset_keeps_activation", On: OnUnit, Symptom: "a factory reset wipes the settings but the unit stays activated",
		unit: func(d *unit.Defects) { d.ResetKeepsActivation = true }},
	{Name: "led_never_flashes", On: OnUnit, Symptom: "the status LED stays lit while a factory reset is armed",
		unit: func(d *unit.Defects) { d.LEDNeverFlashes = true }},
	{Name: "no_lockout", On: OnUnit, Symptom: "failed logins never lock the API",
		api: func(d *isapisim.Defects) { d.NoLockout = true }},
	{Name: "lockout_never_expires", On: OnUnit, Symptom: "a lockout stays until the unit restarts",
		api: func(d *isapisim.Defects) { d.LockoutNeverExpires = true }},
	{Name: "locked_accepts_right_password", On: OnUnit, Symptom: "the right password gets in while locked (userCheck still says locked)",
		api: func(d *isapisim.Defects) { d.AcceptsPasswordWhileLocked = true }},
	{Name: "open_while_inactive", On: OnUnit, Symptom: "an inactive unit serves its device info to anyone, without a login",
		api: func(d *isapisim.Defects) { d.OpenWhileInactive = true }},
	{Name: "accepts_weak_password", On: OnUnit, Symptom: "activation takes a password that breaks the rules",
		api: func(d *isapisim.Defects) { d.AcceptsWeakPassword = true }},
	{Name: "flash_drops_last_page", On: OnUnit, Symptom: "a flash write reports success but leaves its last page erased",
		flash: true},
	{Name: "never_activates", On: OnNVR, Symptom: "the NVR never activates an inactive unit on its port",
		nvr: func(d *nvrsim.Defects) { d.NeverActivates = true }},
	{Name: "channel_stays_online", On: OnNVR, Symptom: "an NVR channel stays online while its unit is powered off",
		nvr: func(d *nvrsim.Defects) { d.ChannelStaysOnline = true }},
	{Name: "channel_never_returns", On: OnNVR, Symptom: "an NVR channel that went offline stays offline when its unit is back",
		nvr: func(d *nvrsim.Defects) { d.ChannelNeverReturns = true }},
}

// Defects lists every switchable defect.
func Defects() []DefectInfo { return append([]DefectInfo(nil), defects...) }

func lookupDefect(name string) (DefectInfo, bool) {
	for _, d := range defects {
		if string(d.Name) == name {
			return d, true
		}
	}
	return DefectInfo{}, false
}

// defectNames lists the defects that live on (OnUnit or OnNVR), sorted.
func defectNames(on string) string {
	var names []string
	for _, d := range defects {
		if d.On == on {
			names = append(names, string(d.Name))
		}
	}
	sort.Strings(names)
	return strings.Join(names, ", ")
}

// UnitDefects is `sim.units.<name>.defects`.
type UnitDefects []DefectInfo

// NVRDefects is `sim.nvr.defects`.
type NVRDefects []DefectInfo

// UnmarshalYAML reads a list of unit defect names, naming the line of an
// unknown one.
func (d *UnitDefects) UnmarshalYAML(n *yaml.Node) error {
	list, err := decodeDefects(n, OnUnit)
	*d = list
	return err
}

// UnmarshalYAML reads a list of NVR defect names.
func (d *NVRDefects) UnmarshalYAML(n *yaml.Node) error {
	list, err := decodeDefects(n, OnNVR)
	*d = list
	return err
}

// sections is where each kind of defect is set.
var sections = map[string]string{OnUnit: "sim.units.<name>.defects", OnNVR: "sim.nvr.defects"}

func decodeDefects(n *yaml.Node, on string) ([]DefectInfo, error) {
	bad := func(line int, format string, a ...any) error {
		// The file is filled in by ParseRigFile.
		return &RigFileError{Line: line, Msg: fmt.Sprintf(format, a...)}
	}
	if n.Kind != yaml.SequenceNode {
		return nil, bad(n.Line, "defects: want a list of names (%s)", defectNames(on))
	}
	var out []DefectInfo
	for _, item := range n.Content {
		d, ok := lookupDefect(item.Value)
		switch {
		case item.Kind != yaml.ScalarNode || !ok:
			return nil, bad(item.Line, "unknown %s defect %q (known: %s)", on, item.Value, defectNames(on))
		case d.On != on:
			return nil, bad(item.Line, "defect %s belongs under %s", d.Name, sections[d.On])
		}
		out = append(out, d)
	}
	return out, nil
}

// unit is what a unit's defects switch on in the unit itself.
func (ds UnitDefects) unit() unit.Defects {
	var u unit.Defects
	for _, d := range ds {
		if d.unit != nil {
			d.unit(&u)
		}
	}
	return u
}

// api is what a unit's defects switch on in its ISAPI server.
func (ds UnitDefects) api() isapisim.Defects {
	var a isapisim.Defects
	for _, d := range ds {
		if d.api != nil {
			d.api(&a)
		}
	}
	return a
}

// flash reports whether the unit's flash drops the last page of a write.
func (ds UnitDefects) flash() bool {
	for _, d := range ds {
		if d.flash {
			return true
		}
	}
	return false
}

// nvr is what the NVR's defects switch on.
func (ds NVRDefects) nvr() nvrsim.Defects {
	var n nvrsim.Defects
	for _, d := range ds {
		if d.nvr != nil {
			d.nvr(&n)
		}
	}
	return n
}

// names lists the defects for a note.
func names(ds []DefectInfo) string {
	var out []string
	for _, d := range ds {
		out = append(out, string(d.Name))
	}
	return strings.Join(out, ", ")
}
