// Package procedure holds the reset procedures, composed from the drivers:
// power-on boot, factory reset by hold, reboot hold, power outage, reflash.
// Every procedure reads its numbers from the unit's profile, scales them by
// the rig's timescale, waits on events (console markers, LED states, API
// answers) with those durations as deadlines, and leaves a timeline.
package procedure

import (
	"context"
	"log/slog"
	"time"

	"github.com/camrig/camrig/harness/clock"
	"github.com/camrig/camrig/harness/console"
	"github.com/camrig/camrig/harness/led"
	"github.com/camrig/camrig/harness/power"
	"github.com/camrig/camrig/harness/press"
	"github.com/camrig/camrig/harness/profile"
	"github.com/camrig/camrig/harness/timeline"
)

// Console is what procedures need of a UART console.
type Console interface {
	Expect(ctx context.Context, patterns ...console.Pattern) (console.Match, error)
	// Skip drops everything received so far, so the next Expect only sees
	// what the unit says after this point.
	Skip()
}

// Unit is one unit's drivers behind the small interfaces procedures use.
// rig.Open builds the concrete drivers; tests use the fakes beside each
// interface package.
type Unit struct {
	Name     string
	Profile  *profile.Profile
	Clock    clock.Clock
	Scale    clock.Scale
	Timeline *timeline.Timeline
	Log      *slog.Logger
	Power    power.Switch
	Console  Console
	// Press is the reset-button solenoid (nil: none wired).
	Press press.Presser
	// LED is the status-LED sensor (nil: none wired).
	LED LED
}

// LED is what procedures need of an LED sensor.
type LED interface {
	WaitFor(ctx context.Context, want led.Kind) (led.State, error)
	WaitEdge(ctx context.Context, after time.Time) (led.Edge, error)
	State() led.State
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
