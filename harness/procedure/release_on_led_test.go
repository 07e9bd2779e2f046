package procedure_test

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/camrig/camrig/harness/clock/clocktest"
	"github.com/camrig/camrig/harness/led"
	"github.com/camrig/camrig/harness/press"
	"github.com/camrig/camrig/harness/press/presstest"
	"github.com/camrig/camrig/harness/procedure"
)

// fakeLED is a status LED a test makes flash: WaitEdge returns the first
// change the test reports after the time it is asked about.
type fakeLED struct {
	clk *clocktest.Fake

	mu     sync.Mutex
	edges  []led.Edge
	asked  []time.Time // the "after" of every WaitEdge
	change chan struct{}
	// waiting receives each time WaitEdge starts waiting.
	waiting chan struct{}
}

func newFakeLED(clk *clocktest.Fake) *fakeLED {
	return &fakeLED{clk: clk, change: make(chan struct{}, 16), waiting: make(chan struct{}, 16)}
}

// Flash records the LED starting to flash now.
func (l *fakeLED) Flash() {
	l.mu.Lock()
	l.edges = append(l.edges, led.Edge{At: l.clk.Now()})
	l.mu.Unlock()
	l.change <- struct{}{}
}

func (l *fakeLED) WaitEdge(ctx context.Context, after time.Time) (led.Edge, error) {
	l.mu.Lock()
	l.asked = append(l.asked, after)
	l.mu.Unlock()
	l.waiting <- struct{}{}
	for {
		l.mu.Lock()
		for _, e := range l.edges {
			if e.At.After(after) {
				l.mu.Unlock()
				return e, nil
			}
		}
		l.mu.Unlock()
		select {
		case <-l.change:
		case <-ctx.Done():
			return led.Edge{}, context.Cause(ctx)
		}
	}
}

func (l *fakeLED) WaitFor(ctx context.Context, want led.Kind) (led.State, error) {
	<-ctx.Done()
	return led.State{}, context.Cause(ctx)
}

func (l *fakeLED) State() led.State { return led.State{} }

// ledUnit is a booted hikvision-ds2cd (release_on_led: factory window
// 10-30 s, x 0.01 = 100-300 ms) on a fake clock, with a fake LED and a fake
// solenoid that reports each press; on release the console shows the
// factory path.
type ledUnit struct {
	*procedure.Unit
	clk     *clocktest.Fake
	led     *fakeLED
	press   *presstest.Fake
	pressed chan struct{}
}

func newLEDUnit(t *testing.T) *ledUnit {
	t.Helper()
	clk := clocktest.New(time.Unix(1000, 0))
	u, _, dev := fakeUnit(t, "hikvision-ds2cd", clk, nil)
	if !u.Profile.Holds.ReleaseOnLED {
		t.Fatal("fixture changed: hikvision-ds2cd no longer releases on the LED")
	}
	lu := &ledUnit{Unit: u, clk: clk, led: newFakeLED(clk), pressed: make(chan struct{}, 1)}
	lu.press = &presstest.Fake{Name: "fake-solenoid", Clock: clk, MaxHold: time.Minute, Pressed: func(down bool) {
		if down {
			lu.pressed <- struct{}{}
			return
		}
		go dev.Print(u.Profile.Boot.FactoryMarker + "\r\n" + u.Profile.Boot.ReadyMarker + "\r\n")
	}}
	u.Press, u.LED = lu.press, lu.led
	return lu
}

func (lu *ledUnit) factoryReset() chan error {
	done := make(chan error, 1)
	go func() {
		_, err := procedure.FactoryReset(context.Background(), lu.Unit, procedure.ResetOptions{Booted: true})
		done <- err
	}()
	<-lu.pressed
	// Time moves only once the procedure watches the LED (the solenoid
	// arms its maximum before it starts the condition).
	<-lu.led.waiting
	return done
}

// The press is released at the LED's first change after it began: not at
// the profile's hold, not at its maximum.
func TestFactoryResetReleasesWhenTheLEDFlashes(t *testing.T) {
	lu := newLEDUnit(t)
	start := lu.clk.Now()
	done := lu.factoryReset()
	// An edge from before the press (a boot blink) must not release it.
	lu.led.mu.Lock()
	lu.led.edges = append(lu.led.edges, led.Edge{At: start.Add(-time.Millisecond)})
	lu.led.mu.Unlock()
	lu.clk.Advance(130 * time.Millisecond) // inside 100-300 ms, not the 120 ms hold
	lu.led.Flash()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	recs := lu.press.Records()
	if len(recs) != 1 || !recs[0].Met || recs[0].Measured != 130*time.Millisecond || recs[0].Requested != 300*time.Millisecond {
		t.Fatalf("press records %+v: want one met by the LED after 130ms of at most 300ms", recs)
	}
	for _, after := range lu.led.asked {
		if after.Before(start) {
			t.Fatalf("asked for LED edges after %v, before the press began at %v", after, start)
		}
	}
}

// An LED that never flashes holds to the window's maximum and fails.
func TestFactoryResetFailsWhenTheLEDNeverFlashes(t *testing.T) {
	lu := newLEDUnit(t)
	done := lu.factoryReset()
	lu.clk.Advance(300 * time.Millisecond)
	err := <-done
	if !errors.Is(err, press.ErrNotMet) {
		t.Fatalf("err = %v, want the LED condition not met", err)
	}
	if recs := lu.press.Records(); len(recs) != 1 || recs[0].Met || recs[0].Measured != 300*time.Millisecond {
		t.Fatalf("press records %+v: want one unmet hold of the 300ms maximum", recs)
	}
}

// An LED that flashes before the window's minimum is a unit out of its
// vendor's procedure: the reset fails and says so.
func TestFactoryResetFailsWhenTheLEDFlashesTooEarly(t *testing.T) {
	lu := newLEDUnit(t)
	done := lu.factoryReset()
	lu.clk.Advance(50 * time.Millisecond)
	lu.led.Flash()
	err := <-done
	if err == nil || !strings.Contains(err.Error(), "before the profile's minimum hold") {
		t.Fatalf("err = %v, want the early flash reported", err)
	}
}
