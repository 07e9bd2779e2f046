package virtual

import (
	"fmt"
	"os"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"
)

// The attached simulators need a few facts RigFile and unit.Profile leave
// out: the plugs' credentials, the sim section's per-unit and NVR settings,
// and the profile's network side (API, lockout). They are read here, with
// the same leniency as the rest of the simulator's reading: unknown keys
// are the harness's business.

// extras is what the attached simulators read from the rig file.
type extras struct {
	Sim struct {
		Units map[string]SimUnit `yaml:"units"`
		NVR   SimNVR             `yaml:"nvr"`
	} `yaml:"sim"`
	Units []struct {
		Name  string       `yaml:"name"`
		Power *plugBinding `yaml:"power"`
		Press *plugBinding `yaml:"press"`
	} `yaml:"units"`
}

// SimUnit is `sim.units.<name>`: how a unit starts out.
type SimUnit struct {
	// Bricked starts the unit with a corrupt firmware image, so it stops
	// in its bootloader (needs the flash simulation).
	Bricked bool `yaml:"bricked"`
}

// SimNVR is `sim.nvr`: the virtual NVR's pacing, in device time (scaled
// by the rig's timescale).
type SimNVR struct {
	// Poll is the interval between probes of the PoE ports (default 2s).
	Poll time.Duration `yaml:"poll"`
	// ActivateAfter is how long a unit must have been seen inactive before
	// the NVR activates it (default 5s).
	ActivateAfter time.Duration `yaml:"activate_after"`
}

// plugBinding is the part of a power or press binding a plug simulator
// needs besides RigFile's Binding.
type plugBinding struct {
	User         string `yaml:"user"`
	PasswordEnv  string `yaml:"password_env"`
	PasswordFile string `yaml:"password_file"`
}

// loadExtras reads the extras of rf's file (already checked by
// LoadRigFile) and expands ${state_dir} in the password files.
func loadExtras(rf *RigFile) (*extras, error) {
	data, err := os.ReadFile(rf.File)
	if err != nil {
		return nil, &RigFileError{File: rf.File, Msg: err.Error()}
	}
	return parseExtras(rf, data)
}

// parseExtras is loadExtras on the file's bytes.
func parseExtras(rf *RigFile, data []byte) (*extras, error) {
	var x extras
	if err := yaml.Unmarshal(data, &x); err != nil {
		return nil, &RigFileError{File: rf.File, Msg: yamlMsg(err)}
	}
	for _, u := range x.Units {
		for _, b := range []*plugBinding{u.Power, u.Press} {
			if b != nil {
				b.PasswordFile = strings.ReplaceAll(b.PasswordFile, "${state_dir}", rf.StateDir)
			}
		}
	}
	names := map[string]bool{}
	for _, u := range rf.Units {
		names[u.Name] = true
	}
	for name := range x.Sim.Units {
		if !names[name] {
			return nil, &RigFileError{File: rf.File, Msg: fmt.Sprintf("sim.units: no unit named %q", name)}
		}
	}
	if x.Sim.NVR.Poll < 0 || x.Sim.NVR.ActivateAfter < 0 {
		return nil, &RigFileError{File: rf.File, Msg: "sim.nvr: poll and activate_after must not be negative"}
	}
	return &x, nil
}

// binding returns the plug credentials of unit's role ("power", "press").
func (x *extras) binding(unit, role string) plugBinding {
	for _, u := range x.Units {
		if u.Name != unit {
			continue
		}
		b := u.Power
		if role == "press" {
			b = u.Press
		}
		if b != nil {
			return *b
		}
	}
	return plugBinding{}
}

// netProfile is the network side of a camera profile.
type netProfile struct {
	API struct {
		Kind               string `yaml:"kind"`
		NotActivatedStatus int    `yaml:"not_activated_status"`
		User               string `yaml:"user"`
	} `yaml:"api"`
	Lockout struct {
		Attempts int           `yaml:"attempts"`
		Duration time.Duration `yaml:"duration"`
		Scope    string        `yaml:"scope"`
	} `yaml:"lockout"`
	// NVRSync: the firmware lets an NVR on its PoE port discover and
	// activate it.
	NVRSync bool `yaml:"nvr_sync"`
}

func loadNetProfile(path string) (*netProfile, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("profile: %w", err)
	}
	var p netProfile
	if err := yaml.Unmarshal(data, &p); err != nil {
		return nil, fmt.Errorf("profile %s: %s", path, yamlMsg(err))
	}
	return &p, nil
}
