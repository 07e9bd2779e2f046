package qemusim

import (
	"context"
	"errors"
	"fmt"

	"go.yaml.in/yaml/v3"
)

// UnitSim is one entry of a rig file's `sim.qemu` list: which unit a QEMU
// process plays and how to start it. The virtual rig's rig-file reader
// decodes it (with ${state_dir} expanded) and checks it with Check.
//
//	sim:
//	  qemu:
//	    - unit: uboot1
//	      pflash: ${state_dir}/uboot1.pflash
//	      serial: ${state_dir}/uboot1.uart   # the unit's console: unix://<this>
//	      qmp: ${state_dir}/uboot1.qmp       # the unit's power port: unix://<this>
type UnitSim struct {
	Unit   string `yaml:"unit"`
	Config `yaml:",inline"`
	// Line is where the entry starts in the rig file.
	Line int `yaml:"-"`
}

// UnmarshalYAML decodes the entry and remembers its line.
func (u *UnitSim) UnmarshalYAML(n *yaml.Node) error {
	type plain UnitSim // without this method
	var p plain
	if err := n.Decode(&p); err != nil {
		return err
	}
	*u = UnitSim(p)
	u.Line = n.Line
	return nil
}

// Check reports what makes the entry unusable. A rig file names all three
// paths: the harness reaches the unit only through the serial and QMP
// sockets, and the pflash file is the unit's flash.
func (u UnitSim) Check() error {
	switch {
	case u.Unit == "":
		return errors.New("unit is required")
	case u.PFlash == "" || u.Serial == "" || u.QMP == "":
		return fmt.Errorf("unit %q needs pflash, serial and qmp paths", u.Unit)
	}
	return nil
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
