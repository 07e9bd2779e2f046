//go:build camrigdeps

package led_test

import (
	"context"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"periph.io/x/conn/v3/gpio/gpioreg"

	"github.com/camrig/camrig/harness/clock/clocktest"
	"github.com/camrig/camrig/harness/led"
	"github.com/camrig/camrig/harness/led/ledtest"
	"github.com/camrig/camrig/harness/power"
	"github.com/camrig/camrig/harness/power/boardtest"
	"github.com/camrig/camrig/rigs/virtual/pty"
)

// A relay output (driven through power's gpio backend) wired to the LED
// input (watched with edge detection): the sensor sees what the switch does.
func TestRelayWiredToLEDInput(t *testing.T) {
	w := ledtest.NewWire("CAMRIG_TEST_LED_RELAY", "CAMRIG_TEST_LED_IN")
	for _, p := range []interface{ Name() string }{w.Out, w.In} {
		name := p.Name()
		t.Cleanup(func() { gpioreg.Unregister(name) })
	}
	if err := gpioreg.Register(w.Out); err != nil {
		t.Fatal(err)
	}
	if err := gpioreg.Register(w.In); err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	sw, err := power.Open(ctx, power.Config{Driver: "gpio", Pin: "CAMRIG_TEST_LED_RELAY"}, power.Deps{})
	if err != nil {
		t.Fatal(err)
	}
	f := clocktest.New(time.Unix(0, 0))
	s, err := led.Open(ctx, led.Config{Driver: "gpio", Pin: "CAMRIG_TEST_LED_IN", Window: time.Second}, led.Options{Clock: f})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	<-f.Waiters() // initial level read, steady timer armed

	// set drives the relay and waits until the sensor has taken the edge.
	set := func(on bool) {
		t.Helper()
		if err := sw.Set(ctx, on); err != nil {
			t.Fatal(err)
		}
		<-f.Waiters()
	}
	set(true)
	f.Advance(time.Second)
	if st, err := s.WaitFor(ctx, led.On); err != nil || st.Since != time.Unix(0, 0) {
		t.Fatalf("after a lit window: %v, %v", st, err)
	}

	// Blink at 5 Hz: a change every 100 ms.
	for i := range 8 {
		set(i%2 == 1)
		f.Advance(100 * time.Millisecond)
	}
	st, err := s.WaitFor(ctx, led.Blinking)
	if err != nil || st.Hz != 5 {
		t.Fatalf("blinking: %v, %v", st, err)
	}
	set(false)
	f.Advance(time.Second)
	if _, err := s.WaitFor(ctx, led.Off); err != nil {
		t.Fatal(err)
	}
}

// The numato-gpio LED driver polls "gpio read N" on a board played on a pty.
func TestNumatoGPIOSensor(t *testing.T) {
	var lit atomic.Bool
	board := &boardtest.Numato{GPIO: func(pin int) bool { return pin == 3 && lit.Load() }}
	p, err := pty.Open(filepath.Join(t.TempDir(), "relay"))
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	go func() { defer close(done); board.Serve(p.Master) }()
	defer func() { p.Close(); <-done }()

	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	s, err := led.Open(ctx, led.Config{Driver: "numato-gpio", Port: p.Link, Pin: "3", Poll: 2 * time.Millisecond, Window: 50 * time.Millisecond}, led.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.WaitFor(ctx, led.Off); err != nil {
		t.Fatal(err)
	}
	lit.Store(true)
	if _, err := s.WaitFor(ctx, led.On); err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	rx := string(board.Received())
	if rx == "" || strings.ReplaceAll(rx, "gpio read 3\r", "") != "" {
		t.Fatalf("board received %q, want only \"gpio read 3\\r\" commands", rx)
	}
}

func TestOpenErrors(t *testing.T) {
	cases := []struct {
		cfg  led.Config
		want string
	}{
		{led.Config{Driver: "morse"}, `unknown driver "morse"`},
		{led.Config{Driver: "numato-gpio", Port: "/dev/null", Pin: "x"}, `pin "x" is not a GPIO number`},
		{led.Config{Driver: "numato-gpio", Port: "/dev/null", Pin: "40"}, "out of range"},
		{led.Config{Driver: "gpio", Pin: "NO_SUCH_LED_PIN"}, `"NO_SUCH_LED_PIN" not found`},
		{led.Config{Driver: "gpio", Pin: "X", Poll: -1}, "must not be negative"},
	}
	for _, c := range cases {
		_, err := led.Open(context.Background(), c.cfg, led.Options{})
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%+v: err = %v, want %q", c.cfg, err, c.want)
		}
	}
}
