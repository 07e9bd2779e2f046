// Package procedure holds the reset procedures, composed from the drivers:
// power-on boot, factory reset by hold, reboot hold, power outage, reflash.
// Every procedure reads its numbers from the unit's profile, scales them by
// the rig's timescale, waits on events (console markers, LED states, API
// answers) with those durations as deadlines, and leaves a timeline.
package procedure

import (
	"context"
	"fmt"
	"log/slog"
	"strings"
	"time"

	"github.com/camrig/camrig/harness/clock"
	"github.com/camrig/camrig/harness/led"
	"github.com/camrig/camrig/harness/power"
	"github.com/camrig/camrig/harness/press"
	"github.com/camrig/camrig/harness/profile"
	"github.com/camrig/camrig/harness/secret"
	"github.com/camrig/camrig/harness/timeline"
	"github.com/camrig/camrig/harness/uboot"
)

// Console is what procedures need of a UART console: markers to wait for,
// and for a reflash the bootloader conversation (commands, YMODEM, baud
// changes). A *console.Console is one; so are the fakes tests build on it.
type Console interface {
	uboot.Conn
}

// Unit is the one thing every procedure takes: a unit's profile, its time,
// and its drivers behind the small interfaces procedures use. The caller
// that opened the drivers builds it (the specs and the CLI from a rig.Unit;
// tests from the fakes beside each interface package), so this package
// knows nothing of rig files and the rig package nothing of procedures.
type Unit struct {
	Name     string
	Profile  *profile.Profile
	Clock    clock.Clock
	Scale    clock.Scale
	Timeline *timeline.Timeline
	Log      *slog.Logger
	// Power is the unit's power switch (nil: none wired).
	Power power.Switch
	// Console is the unit's UART (nil: none wired).
	Console Console
	// Press is the reset-button solenoid (nil: none wired).
	Press press.Presser
	// LED is the status-LED sensor (nil: none wired).
	LED LED
	// BootloaderPassword answers the profile's bootloader password prompt
	// (reflash only).
	BootloaderPassword secret.Secret
}

// LED is what procedures need of an LED sensor.
type LED interface {
	WaitFor(ctx context.Context, want led.Kind) (led.State, error)
	WaitEdge(ctx context.Context, after time.Time) (led.Edge, error)
	State() led.State
}

// needDrivers says which of the power switch and the console a procedure
// needs but the unit lacks, naming the rig-file binding to add.
func (u *Unit) needDrivers(what string) error {
	var missing []string
	if u.Power == nil {
		missing = append(missing, "power")
	}
	if u.Console == nil {
		missing = append(missing, "console")
	}
	if len(missing) == 0 {
		return nil
	}
	return fmt.Errorf("%s: %s needs a %s binding (rig file)", u.Name, what, strings.Join(missing, " and a "))
}

// D scales a profile duration by the rig's timescale.
func (u *Unit) D(d time.Duration) time.Duration { return u.Scale.Of(d) }

func (u *Unit) log() *slog.Logger {
	if u.Log == nil {
		return slog.Default().With("unit", u.Name)
	}
	return u.Log
}

// step records a procedure step on the timeline and in the log.
func (u *Unit) step(kind, detail string) {
	u.Timeline.Mark(u.Clock.Now(), timeline.Step, kind, detail)
	u.log().Info(kind, "detail", detail)
}

// within runs fn with a deadline of the scaled profile duration d on the
// unit's clock.
func (u *Unit) within(ctx context.Context, d time.Duration, what string, fn func(ctx context.Context) error) error {
	ctx, cancel := clock.WithTimeout(ctx, u.Clock, u.D(d), what)
	defer cancel()
	return fn(ctx)
}
