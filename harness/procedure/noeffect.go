package procedure

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/camrig/camrig/harness/clock"
	"github.com/camrig/camrig/harness/console"
	"github.com/camrig/camrig/harness/press"
	"github.com/camrig/camrig/harness/profile"
)

// Presses the model documents no effect for, which a sound unit ignores.
const (
	// ShortPress is profile.Holds.ShortPress: a brief, accidental press.
	ShortPress = "a short press"
	// BelowFactory is profile.Holds.BelowFactory: a hold that falls just
	// short of the factory minimum.
	BelowFactory = "a hold below the factory minimum"
)

// HoldMissedError is a press the rig could not make as asked: the hold it
// measured reached a window the press had to stay out of, so whatever the
// unit did says nothing about the press named (a board too slow for the
// rig's timescale). Real time.
type HoldMissedError struct {
	Unit, Which         string
	Requested, Measured time.Duration
	Above, Below        time.Duration
}

func (e *HoldMissedError) Error() string {
	return fmt.Sprintf("%s: %s was to last %v, but the rig held %v, not between %v and %v: no verdict on the unit",
		e.Unit, e.Which, e.Requested, e.Measured, e.Above, e.Below)
}

// PressWithoutEffect presses a running unit's button with one of the
// presses the model documents no effect for (ShortPress, BelowFactory) and
// requires that the console shows none: no reboot or factory-reset
// marker, no bootloader banner, no new boot, for the profile's boot
// deadline after the release (a unit that restarts says so well within
// it). A press the rig could not make short enough (or long enough) is a
// *HoldMissedError, not a verdict. Whether the settings survived is for
// the caller to read back: the procedure knows only the console.
func PressWithoutEffect(ctx context.Context, u *Unit, which string) (press.Record, error) {
	var q profile.QuietPress
	var ok bool
	switch which {
	case ShortPress:
		q, ok = u.Profile.Holds.ShortPress()
	case BelowFactory:
		q, ok = u.Profile.Holds.BelowFactory()
	default:
		return press.Record{}, fmt.Errorf("procedure: no press %q without effect", which)
	}
	if !ok {
		return press.Record{}, fmt.Errorf("%s (%s): %w: %s", u.Name, u.Profile.Model, ErrNoButton, which)
	}
	if _, err := u.press(profile.FactoryHold, which); err != nil {
		return press.Record{}, err
	}
	u.Console.Skip()
	u.step("press-without-effect", fmt.Sprintf("%s: hold %v (no window between %v and %v)", which, q.Hold, q.Above, q.Below))
	rec, err := u.Press.Press(ctx, u.D(q.Hold))
	if err != nil {
		return rec, fmt.Errorf("%s: %s: %w", u.Name, which, err)
	}
	// Judged by the hold the unit saw (press.Record.Seen).
	if (q.Above > 0 && rec.Seen <= u.D(q.Above)+holdTolerance) || rec.Seen >= u.D(q.Below)-holdTolerance {
		return rec, &HoldMissedError{Unit: u.Name, Which: which, Requested: rec.Requested, Measured: rec.Seen,
			Above: u.D(q.Above), Below: u.D(q.Below)}
	}
	b := u.Profile.Boot
	var pats []console.Pattern
	var names []string
	for _, m := range []struct{ text, name string }{
		{b.FactoryMarker, "factory-reset"}, {b.RebootMarker, "restarted"},
		{u.Profile.Bootloader.Banner, "restarted"}, {b.ReadyMarker, "restarted"},
	} {
		if m.text != "" {
			pats, names = append(pats, console.Lit(m.text)), append(names, m.name)
		}
	}
	what := fmt.Sprintf("%s: quiet after %s (profile boot deadline %v)", u.Name, which, b.Deadline)
	wctx, cancel := clock.WithTimeout(ctx, u.Clock, u.D(b.Deadline), what)
	defer cancel()
	m, err := u.Console.Expect(wctx, pats...)
	switch {
	case err == nil:
		return rec, fmt.Errorf("%s: %s (held %v) %s the unit: it printed %q", u.Name, which, rec.Measured, names[m.Index], m.Text)
	case ctx.Err() != nil:
		return rec, fmt.Errorf("%s: interrupted while watching the console after %s: %w", u.Name, which, context.Cause(ctx))
	case errors.As(context.Cause(wctx), new(*clock.DeadlineError)):
		return rec, nil // a whole boot deadline of quiet: nothing happened
	}
	return rec, fmt.Errorf("%s: watching the console after %s: %w", u.Name, which, err)
}
