package qemu

import (
	"context"
	"errors"
	"fmt"
	"slices"

	"go.yaml.in/yaml/v3"
)

// UnitSim is one entry of a rig file's `sim: {qemu: [...]}` list: which
// unit a QEMU process plays and how to start it.
//
//	sim:
//	  qemu:
//	    - unit: uboot1
//	      pflash: ${state_dir}/uboot1.pflash
//	      serial: ${state_dir}/uboot1.uart   # the unit's console: unix://<this>
//	      qmp: ${state_dir}/uboot1.qmp       # the unit's power port: unix://<this>
type UnitSim struct {
	Unit   string
	Config Config
	// Line is where the entry starts in the rig file.
	Line int
}

var simKeys = []string{"unit", "binary", "bios", "pflash", "serial", "qmp", "start_timeout"}

// DecodeSim reads the qemu list from a rig's sim node (rig.Rig.Sim, with
// ${state_dir} already expanded). A rig without one yields nil. Unknown
// keys and missing fields are errors naming file:line.
func DecodeSim(file string, sim *yaml.Node) ([]UnitSim, error) {
	if sim == nil {
		return nil, nil
	}
	if sim.Kind == yaml.DocumentNode && len(sim.Content) == 1 {
		sim = sim.Content[0]
	}
	if sim.Kind != yaml.MappingNode {
		return nil, fmt.Errorf("%s:%d: sim: want a mapping", file, sim.Line)
	}
	var list *yaml.Node
	for i := 0; i+1 < len(sim.Content); i += 2 {
		if sim.Content[i].Value == "qemu" {
			list = sim.Content[i+1]
		}
	}
	if list == nil {
		return nil, nil
	}
	if list.Kind != yaml.SequenceNode {
		return nil, fmt.Errorf("%s:%d: sim.qemu: want a list of units", file, list.Line)
	}
	var out []UnitSim
	var errs []error
	seen := map[string]bool{}
	for i, n := range list.Content {
		where := fmt.Sprintf("%s:%d: sim.qemu[%d]", file, n.Line, i)
		if n.Kind != yaml.MappingNode {
			errs = append(errs, fmt.Errorf("%s: want a mapping", where))
			continue
		}
		for k := 0; k+1 < len(n.Content); k += 2 {
			if key := n.Content[k]; !slices.Contains(simKeys, key.Value) {
				errs = append(errs, fmt.Errorf("%s:%d: sim.qemu[%d]: unknown key %q (known: %v)", file, key.Line, i, key.Value, simKeys))
			}
		}
		var u struct {
			Unit   string `yaml:"unit"`
			Config `yaml:",inline"`
		}
		if err := n.Decode(&u); err != nil {
			errs = append(errs, fmt.Errorf("%s: %v", where, err))
			continue
		}
		switch {
		case u.Unit == "":
			errs = append(errs, fmt.Errorf("%s: unit is required", where))
		case seen[u.Unit]:
			errs = append(errs, fmt.Errorf("%s: unit %q listed twice", where, u.Unit))
		case u.PFlash == "" || u.Serial == "" || u.QMP == "":
			errs = append(errs, fmt.Errorf("%s: unit %q needs pflash, serial and qmp paths", where, u.Unit))
		}
		seen[u.Unit] = true
		out = append(out, UnitSim{Unit: u.Unit, Config: u.Config, Line: n.Line})
	}
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	return out, nil
}

// StartAll starts one QEMU per entry. On failure it stops the ones already
// started. Close every returned Machine when done.
func StartAll(ctx context.Context, units []UnitSim, opts ...Option) ([]*Machine, error) {
	var ms []*Machine
	for _, u := range units {
		m, err := Start(ctx, u.Config, opts...)
		if err != nil {
			for _, started := range ms {
				started.Close()
			}
			return nil, fmt.Errorf("unit %s: %w", u.Unit, err)
		}
		ms = append(ms, m)
	}
	return ms, nil
}
