package procedure_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/camrig/camrig/harness/console"
	"github.com/camrig/camrig/harness/procedure"
)

// A press the model documents no effect for: the sound unit stays quiet
// for the profile's reaction time and the procedure passes, and StillQuiet
// after it too; a unit that reacts fails it, naming the press and what the
// unit did.
func TestPressWithoutEffect(t *testing.T) {
	ctx := context.Background()
	cases := []struct {
		name, model, which string
		// factoryMin, when set, makes the fake unit factory-reset from
		// this hold on (profile time): the defect.
		factoryMin time.Duration
		held       time.Duration // what the procedure asks, x 0.01
		want       string        // "" or the error's words
	}{
		{"short press, sound", "hikvision-ds2cd", procedure.ShortPress, 0, 25 * time.Millisecond, ""},
		{"below the factory minimum, sound", "hikvision-ds2cd", procedure.BelowFactory, 0, 50 * time.Millisecond, ""},
		{"below the factory minimum, resets", "hikvision-ds2cd", procedure.BelowFactory, 4 * time.Second, 50 * time.Millisecond,
			"a hold below the factory minimum (held "},
		{"short press, resets", "hikvision-ds2cd", procedure.ShortPress, time.Second, 25 * time.Millisecond,
			"factory-reset the unit: it printed \"restore default\""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			b := newButtonUnit(t, c.model)
			if _, err := procedure.ColdBoot(ctx, b.Unit); err != nil {
				t.Fatal(err)
			}
			b.mu.Lock()
			b.factoryFrom = c.factoryMin
			b.mu.Unlock()
			rec, err := procedure.PressWithoutEffect(ctx, b.Unit, c.which)
			if rec.Requested != c.held {
				t.Fatalf("requested %v, want %v", rec.Requested, c.held)
			}
			if c.want == "" && err != nil || c.want != "" && (err == nil || !strings.Contains(err.Error(), c.want)) {
				t.Fatalf("err = %v, want %q", err, c.want)
			}
			if err == nil {
				if err := procedure.StillQuiet(ctx, b.Unit, c.which, rec); err != nil {
					t.Fatalf("StillQuiet on a quiet unit: %v", err)
				}
			}
		})
	}
	nb := newButtonUnit(t, "no-button")
	if _, err := procedure.PressWithoutEffect(ctx, nb.Unit, procedure.ShortPress); !errors.Is(err, procedure.ErrNoButton) {
		t.Fatalf("no-button: %v", err)
	}
}

// A press the rig could not make (it lasted into a window) gives no
// verdict on the unit: a HoldMissedError, whatever the unit did.
func TestPressWithoutEffectNamesAMissedHold(t *testing.T) {
	ctx := context.Background()
	b := newButtonUnit(t, "hikvision-ds2cd")
	if _, err := procedure.ColdBoot(ctx, b.Unit); err != nil {
		t.Fatal(err)
	}
	b.press.Extra = 60 * time.Millisecond // a slow board: 5 s asked, 11 s held
	_, err := procedure.PressWithoutEffect(ctx, b.Unit, procedure.BelowFactory)
	var miss *procedure.HoldMissedError
	if !errors.As(err, &miss) || miss.Below != 100*time.Millisecond || !strings.Contains(err.Error(), "no verdict on the unit") {
		t.Fatalf("err = %v, want a HoldMissedError below 100ms", err)
	}
}

// A unit that reacts after the quiet watch (later than its profile's
// reaction time, while the caller reads its settings back) is caught by
// StillQuiet, naming the press and what the unit printed; so is one whose
// console shows only a new boot.
func TestStillQuietCatchesALateReaction(t *testing.T) {
	for _, late := range []string{"rebooting\r\n", "U-Boot 1.3.4 (Jan 1 2016)\r\n"} {
		b := newButtonUnit(t, "hikvision-ds2cd")
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		if _, err := procedure.ColdBoot(ctx, b.Unit); err != nil {
			t.Fatal(err)
		}
		rec, err := procedure.PressWithoutEffect(ctx, b.Unit, procedure.ShortPress)
		if err != nil {
			t.Fatal(err)
		}
		printAndWait(ctx, t, b, late)
		err = procedure.StillQuiet(ctx, b.Unit, procedure.ShortPress, rec)
		if err == nil || !strings.Contains(err.Error(), "a short press (held ") || !strings.Contains(err.Error(), "restarted the unit") {
			t.Fatalf("%q after the watch: StillQuiet = %v, want a short press that restarted the unit", late, err)
		}
	}
}

// printAndWait has the fake unit print s and returns once the console has
// received it.
func printAndWait(ctx context.Context, t *testing.T, b *buttonUnit, s string) {
	t.Helper()
	tr := b.Console.(*console.Console).Transcript()
	want := tr.Len() + int64(len(s))
	b.dev.Print(s)
	for {
		changed := tr.Changed()
		if tr.Len() >= want {
			return
		}
		select {
		case <-changed:
		case <-ctx.Done():
			t.Fatalf("the console never received %q", s)
		}
	}
}

// A console that failed under the watch gives no verdict on quiet: an
// error, not a pass.
func TestStillQuietNeedsAWorkingConsole(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	b := newButtonUnit(t, "hikvision-ds2cd")
	if _, err := procedure.ColdBoot(ctx, b.Unit); err != nil {
		t.Fatal(err)
	}
	rec, err := procedure.PressWithoutEffect(ctx, b.Unit, procedure.ShortPress)
	if err != nil {
		t.Fatal(err)
	}
	if err := b.Console.(*console.Console).Close(); err != nil {
		t.Fatal(err)
	}
	err = procedure.StillQuiet(ctx, b.Unit, procedure.ShortPress, rec)
	if err == nil || !strings.Contains(err.Error(), "watching the console after a short press") {
		t.Fatalf("StillQuiet on a closed console = %v, want an error", err)
	}
}
