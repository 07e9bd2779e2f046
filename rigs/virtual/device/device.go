// Package device holds the contracts between a simulated unit and the
// services that run on it (its bootloader commands, its network API). The
// virtual rig is a separate device from the harness: nothing here imports
// harness/.
package device

import (
	"context"
	"io"
)

// Host is what a service on a unit may ask of the unit.
type Host interface {
	// Name is the unit's name in the rig file (cam1).
	Name() string
	// Model is the profile model (hikvision-ds2cd).
	Model() string
	// Reboot restarts the unit, keeping its configuration.
	Reboot(reason string)
	// FactoryReset wipes the configuration (full: back to the inactive
	// factory state; basic: keeps network and users) and restarts.
	FactoryReset(full bool)
	// Config is the unit's persistent configuration.
	Config() *Store
}

// BootIO is the bootloader's view of the unit's UART.
type BootIO interface {
	// Writer writes to the UART, paced at the current baud rate.
	io.Writer
	// ReadByteContext returns the next byte the harness sent, or ctx's error.
	// ctx ends when the unit loses power.
	ReadByteContext(ctx context.Context) (byte, error)
	// Baud is the current line rate.
	Baud() int
	// SetBaud changes the line rate, as U-Boot's `loady addr baud` does.
	SetBaud(baud int)
}

// Env is the bootloader environment (loadaddr, filesize, bootargs...).
type Env interface {
	Get(key string) (string, bool)
	Set(key, value string)
}

// Command is one bootloader command. It writes its output to io and returns
// an error to mark failure (U-Boot prints the error and returns to the
// prompt). args[0] is the command name.
type Command func(ctx context.Context, io BootIO, env Env, args []string) error

// Service runs on a unit while its application is up (e.g. the ISAPI HTTP
// server). The unit starts it when the boot reaches the ready marker and
// cancels ctx on power loss, reboot or factory reset; Service must return
// promptly once ctx ends and must not outlive it.
type Service func(ctx context.Context, h Host) error

// FirmwareCheck is asked at boot whether the firmware in flash is intact. A
// non-nil error makes the unit stop in its bootloader (a bricked unit);
// version is printed in the boot log.
type FirmwareCheck func() (version string, err error)
