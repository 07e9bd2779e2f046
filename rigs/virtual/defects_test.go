package virtual

import (
	"context"
	"errors"
	"strings"
	"testing"
)

// Every defect in the catalogue switches something on, where it says.
func TestDefectCatalogue(t *testing.T) {
	seen := map[Defect]bool{}
	for _, d := range Defects() {
		if seen[d.Name] {
			t.Errorf("%s twice", d.Name)
		}
		seen[d.Name] = true
		if d.Symptom == "" {
			t.Errorf("%s: no symptom", d.Name)
		}
		ud, nd := UnitDefects{d}, NVRDefects{d}
		var effect bool
		switch d.On {
		case OnUnit:
			effect = ud.unit() != (UnitDefects{}).unit() || ud.api() != (UnitDefects{}).api() || ud.flash()
		case OnNVR:
			effect = nd.nvr() != (NVRDefects{}).nvr()
		default:
			t.Errorf("%s: on %q", d.Name, d.On)
		}
		if !effect {
			t.Errorf("%s switches nothing on", d.Name)
		}
	}
}

// A defect name the simulator does not know, or one on the wrong device,
// is a rig-file error at its line; so is a defect the unit cannot have.
func TestDefectErrors(t *testing.T) {
	dir := stateDir(t)
	units := "  - name: a\n    profile: blink\n    console: {port: \"${state_dir}/a.uart\"}\n"
	for _, tc := range []struct{ top, want string }{
		{"sim:\n  units:\n    a: {defects: [boots_later]}\n", `rig.yaml:7: unknown unit defect "boots_later" (known: `},
		{"sim:\n  units:\n    a:\n      defects:\n        - never_boots\n        - never_activates\n", "rig.yaml:10: defect never_activates belongs under sim.nvr.defects"},
		{"sim:\n  nvr: {defects: [no_lockout]}\n", "rig.yaml:6: defect no_lockout belongs under sim.units.<name>.defects"},
		{"sim:\n  nvr: {defects: never_activates}\n", "rig.yaml:6: defects: want a list of names"},
		{"sim:\n  nvr: {defects: [never_activates]}\n", "sim.nvr.defects: the rig has no nvr"},
		{"sim:\n  units:\n    a: {defects: [no_lockout]}\n", "an API defect needs an api binding"},
	} {
		_, err := Start(context.Background(), miniRig(t, dir, tc.top, units))
		var rfe *RigFileError
		if !errors.As(err, &rfe) || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: %v, want a RigFileError containing %q", strings.TrimSpace(tc.top), err, tc.want)
		}
	}
}

// The defects reach the devices, and the rig says so in its notes.
func TestDefectsSwitchedOn(t *testing.T) {
	dir := stateDir(t)
	units := "  - name: a\n    profile: blink\n    console: {port: \"${state_dir}/a.uart\"}\n"
	r, err := Start(context.Background(), miniRig(t, dir, "sim:\n  units:\n    a: {defects: [led_never_flashes, flash_drops_last_page]}\n", units))
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	notes := strings.Join(r.Notes(), "\n")
	if !strings.Contains(notes, "a is DEFECTIVE on purpose (sim.units.a.defects): led_never_flashes, flash_drops_last_page") {
		t.Fatalf("notes:\n%s", notes)
	}
	// The chip drops the last page of a write from now on.
	chip := r.Flash("a")
	if chip == nil {
		t.Fatal("no flash")
	}
	page := []byte{0x00}
	if err := chip.Program(context.Background(), 0, page); err != nil {
		t.Fatal(err)
	}
	got := make([]byte, 1)
	chip.ReadAt(got, 0)
	if got[0] != 0xFF {
		t.Fatalf("a one-page write stuck (%#x): the defect is off", got[0])
	}
}
