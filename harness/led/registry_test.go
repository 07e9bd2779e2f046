package led_test

import (
	"context"
	"strings"
	"testing"

	"github.com/camrig/camrig/harness/internal/bindcheck"
	"github.com/camrig/camrig/harness/led"
)

func TestRegistryCheck(t *testing.T) {
	const name = "led-registry-test"
	if !strings.Contains(strings.Join(led.Drivers(), " "), name) {
		led.Register(led.Driver{
			Name: name,
			Open: func(context.Context, led.Config, led.Options) (*led.Sensor, error) { return nil, nil },
			Check: func(cfg led.Config) bindcheck.Problems {
				var ps bindcheck.Problems
				if cfg.Pin == "" {
					ps.Add("pin", "needs pin")
				}
				return ps
			},
		})
	}
	cases := []struct {
		cfg  led.Config
		keys []string
	}{
		{led.Config{Driver: name, Pin: "1"}, nil},
		{led.Config{Driver: name}, []string{"pin"}},
		{led.Config{Driver: name, Pin: "1", Poll: -1, Window: -1}, []string{"poll", "window"}},
		{led.Config{}, []string{"driver"}},
		{led.Config{Driver: "no-such-led"}, []string{"driver"}},
	}
	for _, c := range cases {
		ps := led.Check(c.cfg)
		var keys []string
		for _, p := range ps {
			keys = append(keys, p.Key)
		}
		if strings.Join(keys, ",") != strings.Join(c.keys, ",") {
			t.Errorf("Check(%+v) = %v, want problems at %v", c.cfg, ps, c.keys)
		}
	}
	func() {
		defer func() {
			if recover() == nil {
				t.Error("a driver without Check was registered")
			}
		}()
		led.Register(led.Driver{Name: "led-no-check", Open: func(context.Context, led.Config, led.Options) (*led.Sensor, error) { return nil, nil }})
	}()
}
