package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"text/tabwriter"

	"github.com/camrig/camrig/harness/camera"
	"github.com/camrig/camrig/harness/rig"
)

func init() {
	register(command{name: "camera", summary: "ask a unit's network API: status, activate, info", run: runCamera})
}

const cameraAbout = `Talks to the unit's ISAPI network API (the rig file's api binding).

status    prints the activation state (GET /SDK/activateStatus, no login).
activate  sets the first password of an inactive unit: the api binding's
          password (password_env / password_file). An active unit is left
          alone.
info      logs in and prints deviceInfo (deviceName tells kept settings
          from wiped ones).

activate and info lease the unit (a login counts towards the unit's lockout,
so it must not run beside a suite); status does not.`

func runCamera(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	f := newFlags("camera status|activate|info --rig R --unit U", cameraAbout, stderr).withRig().withUnit()
	pos, code, ok := f.parse(args)
	if !ok {
		return code
	}
	if len(pos) != 1 {
		return f.usageErr("want exactly one action (status, activate or info), got %d words", len(pos))
	}
	action := pos[0]
	switch action {
	case "status", "activate", "info":
	default:
		return f.usageErr("unknown action %q: want status, activate or info", action)
	}
	r, name, code := f.rigAndUnit()
	if code != exitOK {
		return code
	}
	cfg, _ := r.Unit(name)
	if cfg.API == nil {
		return f.needUnitField(r, name, "api")
	}
	if action == "status" {
		// Reading the activation state needs no login, so no lease: it may
		// run beside a suite.
		cam, err := r.OpenCamera(name, nil, f.logger().With("unit", name))
		if err != nil {
			return f.failure(err)
		}
		defer cam.Close()
		return cameraStatus(ctx, f, cam, name, stdout)
	}
	// The API client alone: these actions must leave the power as it is.
	u, code := f.openUnit(ctx, r, name, rig.Only(rig.PartAPI))
	if code != exitOK {
		return code
	}
	if action == "activate" {
		return f.closeUnit(u, cameraActivate(ctx, f, u, stdout))
	}
	return f.closeUnit(u, cameraInfo(ctx, f, u.Camera, name, stdout))
}

func cameraStatus(ctx context.Context, f *flags, cam *camera.Client, name string, stdout io.Writer) int {
	st, err := cam.ActivationState(ctx)
	if err != nil {
		return f.failure(err)
	}
	fmt.Fprintf(stdout, "%s: %s (Activated=%v)\n", name, st, st == camera.Activated)
	return exitOK
}

func cameraActivate(ctx context.Context, f *flags, u *rig.Unit, stdout io.Writer) int {
	cam, cfg := u.Camera, u.Config
	st, err := cam.ActivationState(ctx)
	if err != nil {
		return f.failure(err)
	}
	if st == camera.Activated {
		fmt.Fprintf(stdout, "%s: already activated; nothing sent\n", cfg.Name)
		return exitOK
	}
	if err := cam.Activate(ctx, cfg.API.Password); err != nil {
		return f.failure(err)
	}
	if st, err = cam.ActivationState(ctx); err != nil {
		return f.failure(fmt.Errorf("activation sent, but reading the state back failed: %w", err))
	}
	if st != camera.Activated {
		return f.failure(fmt.Errorf("%s: the unit accepted the activation but still reports %s", cam, st))
	}
	fmt.Fprintf(stdout, "%s: activated (user %s, password from %s)\n", cfg.Name, cfg.API.User, cfg.API.Password.Where())
	return exitOK
}

func cameraInfo(ctx context.Context, f *flags, cam *camera.Client, name string, stdout io.Writer) int {
	info, err := cam.DeviceInfo(ctx)
	if errors.Is(err, camera.ErrNotActivated) {
		return f.failure(fmt.Errorf("%w (activate it first: camrig camera activate)", err))
	}
	if err != nil {
		return f.failure(err)
	}
	tw := tabwriter.NewWriter(stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintf(tw, "unit\t%s\n", name)
	for _, kv := range [][2]string{
		{"deviceName", info.DeviceName}, {"model", info.Model}, {"manufacturer", info.Manufacturer},
		{"serialNumber", info.SerialNumber}, {"deviceID", info.DeviceID}, {"macAddress", info.MACAddress},
		{"firmwareVersion", info.FirmwareVersion}, {"firmwareReleasedDate", info.FirmwareReleasedDate},
		{"bootVersion", info.BootVersion}, {"hardwareVersion", info.HardwareVersion}, {"deviceType", info.DeviceType},
	} {
		if kv[1] != "" {
			fmt.Fprintf(tw, "%s\t%s\n", kv[0], kv[1])
		}
	}
	if err := tw.Flush(); err != nil {
		return f.failure(err)
	}
	return exitOK
}
