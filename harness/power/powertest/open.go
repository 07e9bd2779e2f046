package powertest

import (
	"context"
	"testing"
	"time"

	"github.com/camrig/camrig/harness/power"
)

// Open opens cfg through the driver registry (the backend under test must
// be linked into the test binary) and closes the switch when the test ends.
func Open(t testing.TB, cfg power.Config) power.Switch {
	t.Helper()
	sw, err := power.Open(context.Background(), cfg, power.Deps{})
	if err != nil {
		t.Fatal(err)
	}
	if c, ok := sw.(power.Closer); ok {
		t.Cleanup(func() { c.Close() })
	}
	return sw
}

// Ctx bounds a test step generously: the assertions of backend tests are
// about bytes and errors, never about how fast a loaded CI host is.
func Ctx(t testing.TB) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	t.Cleanup(cancel)
	return ctx
}
