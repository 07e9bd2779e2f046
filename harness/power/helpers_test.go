package power_test

import (
	"context"
	"testing"
	"time"

	"github.com/camrig/camrig/harness/power"
)

func openSwitch(t testing.TB, cfg power.Config) power.Switch {
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

// testCtx bounds a test step generously: the assertions are about bytes
// and errors, never about how fast a loaded CI host is.
func testCtx(t testing.TB) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	t.Cleanup(cancel)
	return ctx
}
