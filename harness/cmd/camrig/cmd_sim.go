//go:build linux

package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"

	"github.com/camrig/camrig/harness/notation"
	"github.com/camrig/camrig/rigs/virtual"
)

func init() {
	register(command{name: "sim", summary: "run the virtual rig (units, relay boards, plugs, APIs, NVR) until interrupted", run: runSim})
}

const simAbout = `Starts the virtual rig a rig file describes: simulated camera units whose
consoles are pseudo-terminals; relay boards (Numato, LCUS) and smart plugs
(Tasmota, Shelly Gen2 on loopback HTTP) wired to their power inputs and
reset-button solenoids, Numato inputs to their LEDs; each unit's ISAPI
network API on its own loopback address (served while the unit is up); the
NVR with the units on its PoE ports; each unit's SPI NOR flash (persisted
under ${state_dir}/flash, U-Boot's loady/crc32/sf in its bootloader; a unit
marked bricked under sim.units starts with a corrupt image); and the
passwords the rig's password_file entries name (under ${state_dir}/secrets;
units on NVR ports share the NVR's camera password, secrets/nvr-camera).
It prints where each
device is, runs until SIGINT or SIGTERM, then removes the ptys, links and
state lock it made (config stores and secrets stay for the next run).

A loopback address already in use (another simulator) is waited for a few
seconds, then left unserved with a note; the rest of the rig runs.

A rig file whose sim section lists qemu machines (rigs/qemu-uboot.yaml)
runs those instead: Debian's real U-Boot under qemu-system-arm, started
powered off, its console and QMP power port on the unix sockets the list
names and its NOR flash a pflash file kept between runs.

The rig file is first checked as the harness reads it, so a misspelt key
fails here naming file:line.`

func runSim(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	f := newFlags("sim --rig R [--state-dir D] [--timescale T]", simAbout, stderr).withRig()
	var stateDir string
	var timescale float64
	f.StringVar(&stateDir, "state-dir", "", "state directory (default: $"+notation.StateDirEnv+", else the rig file's state_dir)")
	f.Float64Var(&timescale, "timescale", 0, "run at this timescale instead of the rig file's (0 < t <= 1)")
	pos, code, ok := f.parse(args)
	if !ok {
		return code
	}
	if len(pos) > 0 {
		return f.usageErr("unexpected argument %q", pos[0])
	}
	if timescale < 0 || timescale > 1 {
		return f.usageErr("--timescale %v out of range: want 0 < t <= 1", timescale)
	}
	if stateDir != "" {
		// The harness's reading of the file must agree with the simulator's.
		if err := os.Setenv(notation.StateDirEnv, stateDir); err != nil {
			fmt.Fprintf(stderr, "camrig sim: %v\n", err)
			return exitFailed
		}
	}
	if _, code := f.loadRig(); code != exitOK {
		return code
	}
	opts := []virtual.Option{virtual.WithLogger(f.logger()), virtual.WithStateDir(stateDir)}
	if timescale != 0 {
		opts = append(opts, virtual.WithTimescale(timescale))
	}
	err := virtual.Run(ctx, f.rigPath, stdout, opts...)
	var rfe *virtual.RigFileError
	switch {
	case err == nil:
		return exitOK
	case errors.As(err, &rfe):
		fmt.Fprintf(stderr, "camrig sim: rig file %s does not load:\n%v\n", f.rigPath, err)
		return exitRigFile
	case errors.Is(err, virtual.ErrBusy):
		fmt.Fprintf(stderr, "camrig sim: %v\n", err)
		return exitBusy
	}
	fmt.Fprintf(stderr, "camrig sim: %v\n", err)
	return exitFailed
}
