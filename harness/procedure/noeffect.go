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

// PressWithoutEffect presses a running unit's button with one of the
// presses the model documents no effect for (ShortPress, BelowFactory) and
// requires that the console shows none: no reboot or factory-reset
// marker, no bootloader banner, no new boot, for the profile's boot
// deadline after the release (a unit that restarts says so well within
// it). Whether the settings survived is for the caller to read back: the
// procedure knows only the console.
func PressWithoutEffect(ctx context.Context, u *Unit, which string) (press.Record, error) {
	var d time.Duration
	var ok bool
	switch which {
	case ShortPress:
		d, ok = u.Profile.Holds.ShortPress()
	case BelowFactory:
		d, ok = u.Profile.Holds.BelowFactory()
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
	u.step("press-without-effect", fmt.Sprintf("%s: hold %v (factory window from %v)", which, d, u.Profile.Holds.Factory.Min))
	rec, err := u.Press.Press(ctx, u.D(d))
	if err != nil {
		return rec, fmt.Errorf("%s: %s: %w", u.Name, which, err)
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
