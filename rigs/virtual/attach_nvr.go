package virtual

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"strings"
	"time"

	"github.com/camrig/camrig/rigs/virtual/isapisim/wire"
	"github.com/camrig/camrig/rigs/virtual/nvrsim"
)

// CameraSecret names the NVR's camera-activation password under
// ${state_dir}/secrets. A unit on an NVR port ends up with this password
// (the NVR activates it), so the simulator keeps that unit's own secret
// equal to it: the harness logs in with the unit's password_file.
const CameraSecret = "nvr-camera"

// cameraUser is the account the NVR activates units with.
const cameraUser = "admin"

// NVR pacing defaults, device time (sim.nvr overrides them). Real NVRs
// scan for new devices every few seconds.
const (
	defaultNVRPoll          = 2 * time.Second
	defaultNVRActivateAfter = 5 * time.Second
)

// Floors in real time: the pacing is the NVR software's, not physics, and
// a harness must be able to see a reset unit inactive (through its own
// unscaled network round trips) before the NVR takes it over.
const (
	minNVRPoll          = 100 * time.Millisecond
	minNVRActivateAfter = 500 * time.Millisecond
)

// nvrUnits are the units the NVR takes over: on one of its ports, with
// an API to reach them by, and firmware that syncs with an NVR (the
// profile's nvr_sync; a unit without it is left off its port, as an NVR
// would not see it).
func (r *Rig) nvrUnits() []*UnitFile {
	if r.file.NVR == nil || r.file.NVR.API == "" {
		return nil
	}
	var out []*UnitFile
	for i := range r.file.Units {
		uf := &r.file.Units[i]
		if uf.NVRPort > 0 && uf.API != nil && uf.API.URL != "" && r.byName[uf.Name].Profile().NVRSync {
			out = append(out, uf)
		}
	}
	return out
}

// syncCameraPasswords makes secrets/nvr-camera (first run: the first NVR
// unit's password, so a unit activated with it stays reachable) and
// writes it as the secret of every unit on an NVR port.
func (r *Rig) syncCameraPasswords() error {
	units := r.nvrUnits()
	if len(units) == 0 {
		return nil
	}
	path := r.SecretPath(CameraSecret)
	pw, err := r.Password(CameraSecret)
	if errors.Is(err, os.ErrNotExist) {
		if pw, err = r.Password(units[0].Name); err == nil {
			err = writeSecret(path, pw)
		}
	}
	if err != nil {
		return err
	}
	if p := wire.PasswordProblem(cameraUser, pw); p != "" {
		return fmt.Errorf("virtual rig: %s: the NVR's camera password breaks the activation rules (%s); delete the file to get a new one", path, p)
	}
	for _, uf := range units {
		if have, err := r.Password(uf.Name); err == nil && have == pw {
			continue
		}
		if err := writeSecret(r.SecretPath(uf.Name), pw); err != nil {
			return err
		}
	}
	for _, uf := range units {
		if uf.API.PasswordFile != "" && uf.API.PasswordFile != r.SecretPath(uf.Name) {
			r.note("%s is on NVR port %d, which activates it with the password in %s; its password_file %s should hold the same",
				uf.Name, uf.NVRPort, path, uf.API.PasswordFile)
		}
	}
	return nil
}

// writeSecret replaces a password file (0600) whole.
func writeSecret(path, pw string) error {
	tmp := path + ".new"
	if err := os.WriteFile(tmp, []byte(pw+"\n"), 0o600); err != nil {
		return fmt.Errorf("virtual rig: secret %s: %w", path, err)
	}
	if err := os.Rename(tmp, path); err != nil {
		os.Remove(tmp)
		return fmt.Errorf("virtual rig: secret %s: %w", path, err)
	}
	return nil
}

// attachNVR starts the rig's NVR with its PoE ports wired to the units'
// APIs and power.
func (r *Rig) attachNVR(ctx context.Context) error {
	nf := r.file.NVR
	pace := r.file.Sim.NVR
	if nf == nil || nf.API == "" {
		if len(pace.Defects) > 0 {
			return &RigFileError{File: r.file.File, Msg: "sim.nvr.defects: the rig has no nvr"}
		}
		return nil
	}
	fail := func(format string, a ...any) error {
		return &RigFileError{File: r.file.File, Msg: "nvr: " + fmt.Sprintf(format, a...)}
	}
	addr, err := loopbackAddr(nf.API)
	if err != nil {
		return fail("%v", err)
	}
	units := r.nvrUnits()
	ports := 1
	for _, uf := range r.file.Units {
		ports = max(ports, uf.NVRPort)
		if uf.NVRPort > 0 && !r.byName[uf.Name].Profile().NVRSync {
			r.note("%s is on NVR port %d, but profile %s does not sync with an NVR: the port stays empty", uf.Name, uf.NVRPort, uf.Profile)
		}
	}
	password, err := r.Password("nvr")
	if err != nil {
		return err
	}
	// Without units on its ports the NVR still needs a valid camera
	// password; it never uses it.
	camera, err := r.Password(CameraSecret)
	if errors.Is(err, os.ErrNotExist) && len(units) == 0 {
		camera, err = newPassword(cameraUser)
	}
	if err != nil {
		return err
	}
	poll := cmp0(pace.Poll, defaultNVRPoll)
	after := cmp0(pace.ActivateAfter, defaultNVRActivateAfter)
	scaled := func(d, floor time.Duration) time.Duration {
		return max(time.Duration(float64(d)*r.file.Timescale), floor)
	}
	up := make(chan net.Addr, 1)
	n, err := nvrsim.New(nvrsim.Config{
		Addr: addr, User: nf.User, Password: password,
		CameraUser: cameraUser, CameraPassword: camera,
		Ports:         ports,
		Poll:          scaled(poll, minNVRPoll),
		ActivateAfter: scaled(after, minNVRActivateAfter),
		Log:           r.log.With("device", "nvr"),
		Defects:       pace.Defects.nvr(),
		Down:          pace.Down,
		OnListen: func(a net.Addr) {
			select {
			case up <- a:
			default:
			}
		},
	})
	if err != nil {
		return fail("%v", err)
	}
	var wires []string
	for _, uf := range units {
		u := r.byName[uf.Name]
		wires = append(wires, fmt.Sprintf("port %d = %s", uf.NVRPort, uf.Name))
		if err := n.Wire(uf.NVRPort, uf.API.URL, u.Powered); err != nil {
			return &RigFileError{File: r.file.File, Line: uf.Line, Msg: fmt.Sprintf("unit %q: nvr_port: %v", uf.Name, err)}
		}
	}
	runCtx, stop := context.WithCancel(r.sims.ctx)
	var done chan error
	err = r.sims.bind(ctx, func() error {
		done = make(chan error, 1)
		go func() { done <- n.Run(runCtx) }()
		select {
		case <-up:
			return nil
		case err := <-done:
			if err == nil {
				err = errors.New("stopped before it listened")
			}
			return err
		}
	})
	if err != nil {
		stop()
		r.notServed("nvr %s not served: %v", nf.API, err)
		return nil
	}
	if len(pace.Defects) > 0 {
		r.note("the NVR is DEFECTIVE on purpose (sim.nvr.defects): %s", names(pace.Defects))
	}
	r.sims.mu.Lock()
	r.sims.nvr = n
	r.sims.mu.Unlock()
	r.AddCloser(func() error {
		stop()
		return <-done
	})
	r.AddDevice(Device{Kind: "nvr", Name: "nvr", Where: nf.API,
		Detail: fmt.Sprintf("-> %s; %d PoE ports, activates units after %v inactive, polls every %v",
			strings.Join(wires, ", "), ports, scaled(after, minNVRActivateAfter), scaled(poll, minNVRPoll))})
	return nil
}

// cmp0 is d, or def when d is zero.
func cmp0(d, def time.Duration) time.Duration {
	if d == 0 {
		return def
	}
	return d
}
