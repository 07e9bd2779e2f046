package power_test

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/camrig/camrig/harness/internal/bindcheck"
	"github.com/camrig/camrig/harness/power"
	"github.com/camrig/camrig/harness/power/powertest"
)

func TestRegistryDispatchesCheckAndOpen(t *testing.T) {
	const name = "registry-test"
	if !power.Known(name) {
		power.Register(power.Driver{
			Name: name,
			Open: func(_ context.Context, cfg power.Config, deps power.Deps) (power.Switch, error) {
				if deps.Clock == nil || deps.Log == nil {
					return nil, errors.New("Open left a default unset")
				}
				return &powertest.Fake{Name: cfg.Port}, nil
			},
			Check: func(cfg power.Config, s bindcheck.Scope) bindcheck.Problems {
				var ps bindcheck.Problems
				ps.Err("port", bindcheck.DevicePath(cfg.Port))
				return ps
			},
		})
	}
	if ps := power.Check(power.Config{Driver: name, Port: "tty"}, bindcheck.Scope{}); len(ps) != 1 || ps[0].Key != "port" {
		t.Errorf("Check = %v, want the driver's own port problem", ps)
	}
	if ps := power.Check(power.Config{Driver: name, Port: "/dev/tty"}, bindcheck.Scope{}); len(ps) != 0 {
		t.Errorf("Check of a good binding = %v", ps)
	}
	for _, cfg := range []power.Config{{}, {Driver: "no-such-driver"}} {
		ps := power.Check(cfg, bindcheck.Scope{})
		if len(ps) != 1 || ps[0].Key != "driver" || !strings.Contains(ps[0].Msg, name) {
			t.Errorf("Check(%q) = %v, want one driver problem listing the known drivers", cfg.Driver, ps)
		}
	}
	sw, err := power.Open(context.Background(), power.Config{Driver: name, Port: "/dev/tty"}, power.Deps{})
	if err != nil || sw.String() != "/dev/tty" {
		t.Fatalf("Open = %v, %v", sw, err)
	}
	if _, err := power.Open(context.Background(), power.Config{Driver: "no-such-driver"}, power.Deps{}); err == nil {
		t.Fatal("Open of an unknown driver succeeded")
	}
}

func TestRegisterRefusesIncompleteAndDuplicateDrivers(t *testing.T) {
	open := func(context.Context, power.Config, power.Deps) (power.Switch, error) { return nil, nil }
	check := func(power.Config, bindcheck.Scope) bindcheck.Problems { return nil }
	for _, d := range []power.Driver{
		{Name: "", Open: open, Check: check},
		{Name: "no-check", Open: open},
		{Name: "no-open", Check: check},
	} {
		if !panics(func() { power.Register(d) }) {
			t.Errorf("Register(%q) accepted an incomplete driver", d.Name)
		}
	}
	if !power.Known("registry-dup") {
		power.Register(power.Driver{Name: "registry-dup", Open: open, Check: check})
	}
	if !panics(func() { power.Register(power.Driver{Name: "registry-dup", Open: open, Check: check}) }) {
		t.Error("a second registration of one name was accepted")
	}
}

func panics(f func()) (did bool) {
	defer func() { did = recover() != nil }()
	f()
	return false
}
