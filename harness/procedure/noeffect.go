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
// marker, no bootloader banner, no new boot, for the profile's reaction
// time (holds.reaction, scaled) plus ReactionSlack after the release. The
// firmware judges a hold when it is released, so a unit that restarts on
// it says so within that time; a whole boot deadline of quiet would only
// make the run longer. The caller then reads the unit back (settings,
// activation) and calls StillQuiet, which extends the watch over that
// read-back. A press the rig could not make short enough (or long
// enough) is a *HoldMissedError, not a verdict. Whether the settings
// survived is for the caller to read back: the procedure knows only the
// console.
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
	reaction := u.Profile.Holds.ReactionTime()
	what := fmt.Sprintf("%s: quiet after %s (profile reaction time %v)", u.Name, which, reaction)
	wctx, cancel := clock.WithTimeout(ctx, u.Clock, u.D(reaction)+ReactionSlack, what)
	defer cancel()
	err = u.expectNoReaction(wctx, which, rec)
	switch {
	case err != nil:
		return rec, err
	case ctx.Err() != nil:
		return rec, fmt.Errorf("%s: interrupted while watching the console after %s: %w", u.Name, which, context.Cause(ctx))
	}
	return rec, nil
}

// ReactionSlack is added to the scaled reaction time of a quiet watch: the
// way from the unit's reaction to the harness (the UART at its real baud
// rate, ser2net, the host's scheduling), which the rig's timescale does
// not shrink.
const ReactionSlack = 100 * time.Millisecond

// StillQuiet requires that the console has shown no reaction to the press
// (see PressWithoutEffect) up to now, without waiting: called after the
// caller has read the unit back, it extends the quiet watch over that
// read-back, so a unit that restarts a little later than its profile's
// reaction time is caught too.
func StillQuiet(ctx context.Context, u *Unit, which string, rec press.Record) error {
	if ctx.Err() != nil {
		return fmt.Errorf("%s: interrupted before the console was read after %s: %w", u.Name, which, context.Cause(ctx))
	}
	now, stop := context.WithCancelCause(ctx)
	stop(errQuietSoFar)
	return u.expectNoReaction(now, which, rec)
}

var errQuietSoFar = errors.New("nothing since the quiet watch")

// expectNoReaction watches the console until wctx ends for a sign that
// the unit restarted or factory-reset after the press: an error naming it,
// or nil once wctx ended quietly (its deadline or errQuietSoFar).
func (u *Unit) expectNoReaction(wctx context.Context, which string, rec press.Record) error {
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
	m, err := u.Console.Expect(wctx, pats...)
	switch {
	case err == nil:
		return fmt.Errorf("%s: %s (held %v) %s the unit: it printed %q", u.Name, which, rec.Measured, names[m.Index], m.Text)
	case wctx.Err() != nil && errors.Is(err, context.Cause(wctx)):
		// Quiet until wctx ended: the watch's deadline, errQuietSoFar,
		// or the caller's end (which the caller reports).
		return nil
	}
	// The console itself failed (closed, unplugged): no verdict on quiet.
	return fmt.Errorf("%s: watching the console after %s: %w", u.Name, which, err)
}
