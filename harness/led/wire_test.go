package led_test

import (
	"context"
	"testing"
	"time"

	"periph.io/x/conn/v3/gpio/gpioreg"

	"github.com/camrig/camrig/harness/clock/clocktest"
	_ "github.com/camrig/camrig/harness/drivers" // the led and power backends under test
	"github.com/camrig/camrig/harness/led"
	"github.com/camrig/camrig/harness/led/ledtest"
	"github.com/camrig/camrig/harness/power"
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
