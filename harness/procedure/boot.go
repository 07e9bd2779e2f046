package procedure

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"strings"
	"time"

	"github.com/camrig/camrig/harness/clock"
	"github.com/camrig/camrig/harness/console"
	"github.com/camrig/camrig/harness/power"
	"github.com/camrig/camrig/harness/profile"
)

// Boot is the evidence of one boot.
type Boot struct {
	// PoweredAt is when the boot started: when power on was requested
	// (not when the board acknowledged it: a fast board may acknowledge
	// after the unit has started talking), or, for a boot a button hold
	// set off on a powered unit, when the button was released.
	PoweredAt time.Time
	// ReadyAt is when the ready marker arrived.
	ReadyAt time.Time
	// Took is ReadyAt - PoweredAt (real time); ProfileTime the same in the
	// profile's time (divided by the timescale).
	Took, ProfileTime time.Duration
	// Marks lists the other profile markers seen during the boot (factory,
	// recovery), in order.
	Marks []string
}

// PowerOff turns the unit's power off.
func PowerOff(ctx context.Context, u *Unit) error {
	if u.Power == nil {
		return fmt.Errorf("%s: powering off needs a power binding (rig file)", u.Name)
	}
	u.step("power-off", u.Power.String())
	return power.SetRecorded(ctx, u.Power, false, u.Clock, u.Timeline)
}

// ColdBoot cuts power for the profile's off time, powers the unit on and
// waits for the boot-ready marker within the profile's boot deadline.
func ColdBoot(ctx context.Context, u *Unit) (Boot, error) {
	if err := u.needDrivers("a cold boot"); err != nil {
		return Boot{}, err
	}
	if err := PowerOff(ctx, u); err != nil {
		return Boot{}, err
	}
	if err := clock.Wait(ctx, u.Clock, u.D(u.Profile.Boot.OffTime)); err != nil {
		return Boot{}, fmt.Errorf("%s: interrupted while powered off: %w", u.Name, err)
	}
	return PowerOnBoot(ctx, u)
}

// PowerOnBoot powers the unit on (from off) and waits for the ready marker.
func PowerOnBoot(ctx context.Context, u *Unit) (Boot, error) {
	if err := u.needDrivers("a boot"); err != nil {
		return Boot{}, err
	}
	requested, err := powerOn(ctx, u)
	if err != nil {
		return Boot{}, err
	}
	return AwaitBoot(ctx, u, requested)
}

// AwaitBoot waits for the ready marker of a boot that started at since
// (the request for power on, or the release of a reset hold; see
// Boot.PoweredAt), noting the factory-reset and recovery markers on the way.
func AwaitBoot(ctx context.Context, u *Unit, since time.Time) (Boot, error) {
	p := u.Profile
	b := Boot{PoweredAt: since}
	pats := []console.Pattern{console.Lit(p.Boot.ReadyMarker)}
	names := []string{"ready"}
	if p.Boot.FactoryMarker != "" {
		pats = append(pats, console.Lit(p.Boot.FactoryMarker))
		names = append(names, "factory")
	}
	for _, r := range p.Boot.RecoveryMarkers {
		pats = append(pats, console.Lit(r))
		names = append(names, "recovery")
	}
	firstFailure := len(pats)
	failPats, failures := FailurePatterns(p)
	pats = append(pats, failPats...)
	what := fmt.Sprintf("%s boot-ready marker %q (profile deadline %v)", u.Name, p.Boot.ReadyMarker, p.Boot.Deadline)
	// A console that drops during the boot (a USB adapter pulled) is
	// waited for within the deadline; the boot is then unjudgeable, but
	// whether it came up is worth saying.
	var gapErr *ConsoleGapError
	err := u.within(ctx, p.Boot.Deadline, what, func(ctx context.Context) error {
		for {
			m, err := u.Console.Expect(ctx, pats...)
			if err != nil {
				gap, port, back, err := u.waitOutGap(ctx, err)
				if port != "" {
					if gapErr == nil {
						gapErr = &ConsoleGapError{Unit: u.Name, Port: port}
					}
					gapErr.Gaps = append(gapErr.Gaps, gap)
				}
				if back {
					continue
				}
				return err
			}
			switch {
			case m.Index == 0:
				b.ReadyAt = m.At
				if gapErr != nil {
					gapErr.Ready, gapErr.ReadyAfter = true, m.At.Sub(since)
					return gapErr
				}
				return nil
			case m.Index >= firstFailure:
				ex, _ := u.Console.(Excerpter)
				fe := NewBootFailure(u.Name, ex, failures[m.Index-firstFailure], m, since)
				u.step("boot-failed", fmt.Sprintf("%s: %q", fe.Marker.Name, fe.Line))
				return fe
			}
			b.Marks = append(b.Marks, names[m.Index])
		}
	})
	var fe *BootFailureError
	switch {
	case gapErr != nil && !errors.As(err, &fe):
		// The unit may have booted: what is known is that its console
		// was away for part of it.
		if !gapErr.Ready {
			gapErr.Err = err
		}
		u.step("boot-unjudged", gapErr.Error())
		return b, gapErr
	case err != nil:
		return b, fmt.Errorf("%s did not boot: %w", u.Name, err)
	}
	b.Took = b.ReadyAt.Sub(b.PoweredAt)
	b.ProfileTime = u.Scale.Unscale(b.Took)
	u.step("booted", fmt.Sprintf("ready after %v (%v profile time)", b.Took.Round(time.Millisecond), b.ProfileTime.Round(10*time.Millisecond)))
	return b, nil
}

// Has reports whether the boot saw a marker of the given kind.
func (b Boot) Has(kind string) bool {
	for _, m := range b.Marks {
		if m == kind {
			return true
		}
	}
	return false
}

// ErrBootFailure matches (errors.Is) every *BootFailureError.
var ErrBootFailure = errors.New("the unit announced a boot failure")

// BootFailureError says a unit announced, while a boot was awaited, that
// it is failing: a console line matched one of its profile's failure
// markers (see profile.FailureMarkers). The wait ended at that line
// instead of at the boot deadline.
type BootFailureError struct {
	Unit string
	// Marker is the profile's failure marker that matched.
	Marker profile.FailureMarker
	// Line is the console line that carried the marker, and Context the
	// lines before it, oldest first, as a reader sees them (escaped,
	// secrets redacted). Both are empty when the console cannot excerpt.
	Line    string
	Context []string
	// After is how long after the boot started the line arrived.
	After time.Duration
}

// failureContextLines is how many lines before the marker's an error shows.
const failureContextLines = 10

func (e *BootFailureError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s is failing: console shows %s %v after the boot began", e.Unit, e.Marker, e.After.Round(time.Millisecond))
	if e.Line != "" {
		fmt.Fprintf(&b, ": %q", e.Line)
	}
	if len(e.Context) > 0 {
		b.WriteString("; console before it:")
		for _, l := range e.Context {
			b.WriteString("\n  | " + l)
		}
	}
	return b.String()
}

// Is makes errors.Is(err, ErrBootFailure) hold.
func (e *BootFailureError) Is(target error) bool { return target == ErrBootFailure }

// Excerpter is a console that can show its lines for an error message,
// redacted (a *console.Console is one).
type Excerpter interface {
	Excerpt(from, to int64, maxLines int) []string
}

// FailurePatterns are the console patterns of p's failure markers, in the
// order of p.FailureMarkers() (returned alongside): each matches the whole
// line its marker is in, once the line is complete (or has gone quiet: a
// bootloader prompt has no newline).
func FailurePatterns(p *profile.Profile) ([]console.Pattern, []profile.FailureMarker) {
	markers := p.FailureMarkers()
	pats := make([]console.Pattern, len(markers))
	for i, m := range markers {
		expr := regexp.QuoteMeta(m.Text)
		if m.Regex != "" {
			expr = "(?:" + m.Regex + ")"
		}
		pats[i] = console.Re(`[^\n]*` + expr + `[^\r\n]*`)
	}
	return pats, markers
}

// NewBootFailure makes the error for failure marker fm matched as m during
// a boot that began at since, with the line and the lines before it from
// ex (nil: without them).
func NewBootFailure(unit string, ex Excerpter, fm profile.FailureMarker, m console.Match, since time.Time) *BootFailureError {
	e := &BootFailureError{Unit: unit, Marker: fm}
	if !since.IsZero() && !m.At.IsZero() {
		e.After = m.At.Sub(since)
	}
	if ex != nil {
		lines := ex.Excerpt(m.Offset-maxContextBytes, m.Offset+int64(len(m.Text)), failureContextLines+1)
		if n := len(lines); n > 0 {
			e.Line, e.Context = lines[n-1], lines[:n-1]
		}
	}
	return e
}

// maxContextBytes bounds how far back NewBootFailure looks for context.
const maxContextBytes = 4096
