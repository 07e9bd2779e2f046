package led_test

import (
	"context"
	"errors"
	"math"
	"strings"
	"testing"
	"time"

	"github.com/camrig/camrig/harness/clock/clocktest"
	"github.com/camrig/camrig/harness/led"
	"github.com/camrig/camrig/harness/led/ledtest"
	"github.com/camrig/camrig/harness/power/powertest"
	"github.com/camrig/camrig/harness/press"
	"github.com/camrig/camrig/harness/timeline"
)

const poll = 10 * time.Millisecond

// polled starts a polled sensor on a fake clock and waits until it has
// taken its first sample.
func polled(t *testing.T, opts led.Options) (*led.Sensor, *ledtest.Signal, *clocktest.Fake) {
	t.Helper()
	f := clocktest.New(time.Unix(0, 0))
	sig := ledtest.NewSignal(f)
	opts.Clock, opts.Poll = f, poll
	if opts.Window == 0 {
		opts.Window = time.Second
	}
	s := led.NewPolled(sig, opts)
	t.Cleanup(func() { s.Close() })
	<-f.Waiters() // first sample taken, waiting for the next poll
	return s, sig, f
}

// step advances the fake clock one poll at a time, n times, each time
// waiting until the sensor has taken the sample and is waiting again.
func step(f *clocktest.Fake, n int) {
	for range n {
		f.Advance(poll)
		<-f.Waiters()
	}
}

func TestPolledSteadyAndBlinking(t *testing.T) {
	tl := timeline.New("cam1")
	s, sig, f := polled(t, led.Options{Name: "cam1-led", Timeline: tl})
	if st := s.State(); st.Kind != led.Unknown {
		t.Fatalf("before a window: %v", st)
	}
	step(f, 100)
	if st := s.State(); st.Kind != led.Off {
		t.Fatalf("after a window low: %v", st)
	}

	sig.Blink(4, 0.5)
	step(f, 60) // 600 ms: 4-5 edges
	st := s.State()
	if st.Kind != led.Blinking || math.Abs(st.Hz-4) > 0.2 {
		t.Fatalf("blinking at 4 Hz measured as %v", st)
	}

	// 600 ms into a 4 Hz blink the LED is lit: going dark is a change, and
	// steady is decided a whole window after it.
	sig.Steady(false)
	step(f, 99)
	if s.State().Kind != led.Blinking {
		t.Fatalf("decided steady before a whole window: %v", s.State())
	}
	step(f, 2)
	if st := s.State(); st.Kind != led.Off {
		t.Fatalf("after a window low: %v", st)
	}

	// The timeline holds every edge (a report draws the LED lane edge by
	// edge) and each change of the classified state.
	var kinds, states []string
	var blink timeline.Event
	for _, e := range tl.Events() {
		if e.Source != timeline.LED || e.Detail == "" {
			t.Fatalf("bad event %+v", e)
		}
		kinds = append(kinds, e.Kind)
		if !strings.HasPrefix(e.Kind, "edge-") {
			states = append(states, e.Kind)
		}
		if e.Kind == "blinking" {
			blink = e
		}
	}
	if strings.Join(states, ",") != "off,blinking,off" {
		t.Fatalf("timeline states %v (all kinds %v)", states, kinds)
	}
	if edges := len(kinds) - len(states); edges < 4 {
		t.Fatalf("timeline has %d LED edges, want every edge of the blink (kinds %v)", edges, kinds)
	}
	if hz := blink.Attrs["hz"]; !strings.HasPrefix(hz, "4.") && !strings.HasPrefix(hz, "3.9") {
		t.Fatalf("blink event hz = %q", hz)
	}
}

func TestPolledBlinkFrequencies(t *testing.T) {
	for _, hz := range []float64{1, 2.5, 4, 8} {
		s, sig, f := polled(t, led.Options{Window: 2 * time.Second})
		sig.Blink(hz, 0.3)
		step(f, 200)
		st := s.State()
		// Polling quantises each edge to 10 ms; over whole periods within
		// a 2 s window that is a few percent at most.
		if st.Kind != led.Blinking || math.Abs(st.Hz-hz)/hz > 0.05 {
			t.Errorf("%v Hz measured as %v", hz, st)
		}
	}
}

func TestActiveLow(t *testing.T) {
	s, _, f := polled(t, led.Options{ActiveLow: true})
	step(f, 101)
	if st := s.State(); st.Kind != led.On {
		t.Fatalf("low input on an active-low LED: %v", st)
	}
}

func TestWaitFor(t *testing.T) {
	s, sig, f := polled(t, led.Options{})
	got := make(chan error, 1)
	go func() {
		st, err := s.WaitFor(context.Background(), led.Blinking)
		if err == nil && st.Kind != led.Blinking {
			err = errors.New("returned " + st.String())
		}
		got <- err
	}()
	sig.Blink(5, 0.5)
	step(f, 50)
	if err := <-got; err != nil {
		t.Fatal(err)
	}
	// Already in the state: returns at once.
	if _, err := s.WaitFor(context.Background(), led.Blinking); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, err := s.WaitFor(ctx, led.Off)
	if !errors.Is(err, context.Canceled) || !strings.Contains(err.Error(), "waiting for off (last state blinking") {
		t.Fatalf("err = %v", err)
	}
}

func TestWaitForGivesUpOnAFailingSensor(t *testing.T) {
	s, sig, f := polled(t, led.Options{Name: "numato gpio 0"})
	sig.Fail(errors.New("board unplugged"))
	got := make(chan error, 1)
	go func() { _, err := s.WaitFor(context.Background(), led.On); got <- err }()
	step(f, 3)
	err := <-got
	if err == nil || !strings.Contains(err.Error(), "numato gpio 0") || !strings.Contains(err.Error(), "board unplugged") {
		t.Fatalf("err = %v", err)
	}
}

func TestCloseEndsWaitFor(t *testing.T) {
	s, _, _ := polled(t, led.Options{})
	got := make(chan error, 1)
	go func() { _, err := s.WaitFor(context.Background(), led.On); got <- err }()
	s.Close()
	if err := <-got; !errors.Is(err, led.ErrClosed) {
		t.Fatalf("err = %v", err)
	}
}

// Hold the button until the LED starts flashing: the sensor's condition
// ends a PressUntil on the same fake clock.
func TestUntilEndsAPress(t *testing.T) {
	s, sig, f := polled(t, led.Options{})
	sw := &powertest.Fake{Name: "relay#1"}
	sol, err := press.New(sw, press.Options{MaxHold: time.Minute, Clock: f})
	if err != nil {
		t.Fatal(err)
	}
	type result struct {
		rec press.Record
		err error
	}
	done := make(chan result, 1)
	go func() {
		rec, err := sol.PressUntil(context.Background(), 30*time.Second, s.Until(led.Blinking))
		done <- result{rec, err}
	}()
	<-f.Waiters() // the press's maximum-hold timer
	sig.Blink(4, 0.5)
	// Move time only until the sensor sees the blink: from then on the
	// press releases at the current (fake) instant.
	for s.State().Kind != led.Blinking {
		step(f, 1)
	}
	r := <-done
	if r.err != nil || !r.rec.Met || r.rec.Measured > time.Second || r.rec.Measured != f.Now().Sub(time.Unix(0, 0)) {
		t.Fatalf("%+v, %v (now %v)", r.rec, r.err, f.Now())
	}
	if e := sw.Edges(); len(e) != 2 || e[1] {
		t.Fatalf("edges %v", e)
	}
}
