package main

import (
	"context"
	"errors"
	"fmt"
	"github.com/camrig/camrig/harness/notation"
	"github.com/camrig/camrig/harness/qemu"
	"io"
	"os"

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
	r, code := f.loadRig()
	if code != exitOK {
		return code
	}
	// A rig whose sim section lists QEMU machines runs real bootloaders
	// instead of the simulated units.
	machines, err := qemu.DecodeSim(r.File, r.Sim)
	if err != nil {
		fmt.Fprintf(stderr, "camrig sim: %v\n", err)
		return exitRigFile
	}
	if len(machines) > 0 {
		return runQEMU(ctx, r.Name, machines, stdout, stderr)
	}
	opts := []virtual.Option{virtual.WithLogger(f.logger()), virtual.WithStateDir(stateDir)}
	if timescale != 0 {
		opts = append(opts, virtual.WithTimescale(timescale))
	}
	err = virtual.Run(ctx, f.rigPath, stdout, opts...)
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

// runQEMU starts the rig's QEMU machines (powered off, as a unit on a bench
// whose relay is open), prints where each one is, and stops them when ctx
// ends or one of them exits.
func runQEMU(ctx context.Context, rigName string, units []qemu.UnitSim, stdout, stderr io.Writer) int {
	ms, err := qemu.StartAll(ctx, units)
	if err != nil {
		fmt.Fprintf(stderr, "camrig sim: %v\n", err)
		return exitFailed
	}
	fmt.Fprintf(stdout, "qemu rig %q:\n", rigName)
	exited := make(chan string, len(ms))
	for i, m := range ms {
		fmt.Fprintf(stdout, "  unit   %-8s console %s, power %s, flash %s\n", units[i].Unit, m.SerialPort(), m.QMPPort(), m.PFlash())
		go func(name string, m *qemu.Machine) {
			<-m.Exited()
			exited <- name
		}(units[i].Unit, m)
	}
	fmt.Fprintln(stdout, "running; SIGINT (Ctrl+C) or SIGTERM stops the rig")
	code := exitOK
	select {
	case <-ctx.Done():
	case name := <-exited:
		fmt.Fprintf(stderr, "camrig sim: QEMU of unit %s exited\n", name)
		code = exitFailed
	}
	for _, m := range ms {
		m.Close()
	}
	fmt.Fprintln(stdout, "stopped")
	return code
}
