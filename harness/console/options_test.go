package console

import (
	"testing"
	"time"

	"github.com/camrig/camrig/harness/clock"
	"github.com/camrig/camrig/harness/clock/clocktest"
)

// No clock and WithClock(nil) both mean the wall clock (clock.OrReal);
// a nil clock used to reach the first Expect and panic there.
func TestClockOption(t *testing.T) {
	for name, opts := range map[string][]Option{"none": nil, "nil": {WithClock(nil)}} {
		if _, ok := buildOptions(opts).clk.(clock.Real); !ok {
			t.Errorf("%s: clock = %T, want the wall clock", name, buildOptions(opts).clk)
		}
	}
	f := clocktest.New(time.Unix(0, 0))
	if got := buildOptions([]Option{WithClock(f)}).clk; got != clock.Clock(f) {
		t.Errorf("WithClock(fake) = %T", got)
	}
}
