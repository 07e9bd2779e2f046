package procedure_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/camrig/camrig/harness/procedure"
)

// A press the model documents no effect for: the sound unit stays quiet
// for a whole boot deadline and the procedure passes; a unit that reacts
// fails it, naming the press and what the unit did.
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
		{"below the factory minimum, sound", "hikvision-ds2cd", procedure.BelowFactory, 0, 75 * time.Millisecond, ""},
		{"below the factory minimum, resets", "hikvision-ds2cd", procedure.BelowFactory, 5 * time.Second, 75 * time.Millisecond,
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
		})
	}
	nb := newButtonUnit(t, "no-button")
	if _, err := procedure.PressWithoutEffect(ctx, nb.Unit, procedure.ShortPress); !errors.Is(err, procedure.ErrNoButton) {
		t.Fatalf("no-button: %v", err)
	}
}
