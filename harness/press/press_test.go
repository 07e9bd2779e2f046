package press_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/camrig/camrig/harness/clock/clocktest"
	"github.com/camrig/camrig/harness/power"
	"github.com/camrig/camrig/harness/power/plug"
	"github.com/camrig/camrig/harness/power/powertest"
	"github.com/camrig/camrig/harness/press"
	"github.com/camrig/camrig/harness/safety"
	"github.com/camrig/camrig/harness/timeline"
)

func newFake(t *testing.T, sw power.Switch, max time.Duration) (*press.Solenoid, *clocktest.Fake, *timeline.Timeline) {
	t.Helper()
	f := clocktest.New(time.Unix(1000, 0))
	tl := timeline.New("cam1")
	s, err := press.New(sw, press.Options{MaxHold: max, Clock: f, Timeline: tl})
	if err != nil {
		t.Fatal(err)
	}
	return s, f, tl
}

type result struct {
	rec press.Record
	err error
}

func TestPressHoldsOnTheClockAndRecords(t *testing.T) {
	sw := &powertest.Fake{Name: "relay#1"}
	s, f, tl := newFake(t, sw, time.Minute)
	done := make(chan result, 1)
	go func() { r, err := s.Press(context.Background(), 5*time.Second); done <- result{r, err} }()
	<-f.Waiters()
	if e := sw.Edges(); len(e) != 1 || !e[0] {
		t.Fatalf("edges while holding = %v", e)
	}
	f.Advance(5 * time.Second)
	r := <-done
	if r.err != nil {
		t.Fatal(r.err)
	}
	if e := sw.Edges(); len(e) != 2 || e[1] {
		t.Fatalf("edges = %v", e)
	}
	if r.rec.Requested != 5*time.Second || r.rec.Measured != 5*time.Second || r.rec.Start != time.Unix(1000, 0) || r.rec.Switch != "relay#1" {
		t.Fatalf("record = %+v", r.rec)
	}
	ev := tl.Events()
	if len(ev) != 1 || ev[0].Source != timeline.Press || ev[0].Kind != "hold" || ev[0].Dur != 5*time.Second || ev[0].Attrs["requested"] != "5s" {
		t.Fatalf("timeline = %+v", ev)
	}
}

func TestPressRefusesBeforeEnergising(t *testing.T) {
	cases := []struct {
		hold time.Duration
		want string
	}{
		{31 * time.Second, "hold exceeds max_hold"},
		{0, "not positive"},
		{-time.Second, "not positive"},
	}
	for _, c := range cases {
		sw := &powertest.Fake{Name: "relay#1"}
		s, _, tl := newFake(t, sw, 30*time.Second)
		_, err := s.Press(context.Background(), c.hold)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Fatalf("hold %v: err = %v", c.hold, err)
		}
		if c.hold > 0 && !errors.Is(err, press.ErrHoldTooLong) {
			t.Fatalf("err %v is not ErrHoldTooLong", err)
		}
		if len(sw.Edges()) != 0 || len(tl.Events()) != 0 {
			t.Fatalf("hold %v: something moved: %v", c.hold, sw.Edges())
		}
	}
	if _, err := press.New(&powertest.Fake{}, press.Options{}); err == nil {
		t.Fatal("a solenoid without max_hold was accepted")
	}
}

func TestPressReleasesOnCancel(t *testing.T) {
	sw := &powertest.Fake{Name: "relay#1"}
	s, f, tl := newFake(t, sw, time.Minute)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan result, 1)
	go func() { r, err := s.Press(ctx, 30*time.Second); done <- result{r, err} }()
	<-f.Waiters()
	f.Advance(2 * time.Second)
	cancel()
	r := <-done
	if !errors.Is(r.err, context.Canceled) || !strings.Contains(r.err.Error(), "interrupted after 2s of 30s, released") {
		t.Fatalf("err = %v", r.err)
	}
	if e := sw.Edges(); len(e) != 2 || e[1] {
		t.Fatalf("edges = %v: not released", e)
	}
	if ev := tl.Events(); len(ev) != 1 || ev[0].Kind != "hold-interrupted" {
		t.Fatalf("timeline = %+v", ev)
	}
}

func TestPressUntil(t *testing.T) {
	t.Run("met", func(t *testing.T) {
		sw := &powertest.Fake{}
		s, f, _ := newFake(t, sw, time.Minute)
		flashing := make(chan struct{})
		done := make(chan result, 1)
		go func() {
			r, err := s.PressUntil(context.Background(), 15*time.Second, press.UntilClosed(flashing))
			done <- result{r, err}
		}()
		<-f.Waiters()
		f.Advance(11 * time.Second)
		close(flashing)
		r := <-done
		if r.err != nil || !r.rec.Met || r.rec.Measured != 11*time.Second {
			t.Fatalf("%+v, %v", r.rec, r.err)
		}
		if e := sw.Edges(); len(e) != 2 || e[1] {
			t.Fatalf("edges = %v", e)
		}
	})
	t.Run("not met", func(t *testing.T) {
		sw := &powertest.Fake{}
		s, f, _ := newFake(t, sw, time.Minute)
		done := make(chan result, 1)
		go func() {
			r, err := s.PressUntil(context.Background(), 15*time.Second, press.UntilClosed(nil))
			done <- result{r, err}
		}()
		<-f.Waiters()
		f.Advance(15 * time.Second)
		r := <-done
		if !errors.Is(r.err, press.ErrNotMet) || r.rec.Met || r.rec.Measured != 15*time.Second {
			t.Fatalf("%+v, %v", r.rec, r.err)
		}
	})
	t.Run("condition fails", func(t *testing.T) {
		sw := &powertest.Fake{}
		s, _, _ := newFake(t, sw, time.Minute)
		_, err := s.PressUntil(context.Background(), 15*time.Second, func(context.Context) error { return errors.New("led sensor unplugged") })
		if err == nil || !strings.Contains(err.Error(), "led sensor unplugged") {
			t.Fatalf("err = %v", err)
		}
		if e := sw.Edges(); len(e) != 2 || e[1] {
			t.Fatalf("edges = %v", e)
		}
	})
	t.Run("condition panics", func(t *testing.T) {
		sw := &powertest.Fake{}
		s, _, _ := newFake(t, sw, time.Minute)
		_, err := s.PressUntil(context.Background(), 15*time.Second, func(context.Context) error { panic("sensor bug") })
		if err == nil || !strings.Contains(err.Error(), "condition panicked: sensor bug") {
			t.Fatalf("err = %v", err)
		}
		if e := sw.Edges(); len(e) != 2 || e[1] {
			t.Fatalf("edges = %v", e)
		}
	})
	t.Run("polled", func(t *testing.T) {
		sw := &powertest.Fake{}
		s, f, _ := newFake(t, sw, time.Minute)
		var mu sync.Mutex
		polls := 0
		cond := press.UntilPolled(f, time.Second, func(context.Context) (bool, error) {
			mu.Lock()
			defer mu.Unlock()
			polls++
			return polls == 3, nil
		})
		done := make(chan result, 1)
		go func() { r, err := s.PressUntil(context.Background(), 15*time.Second, cond); done <- result{r, err} }()
		// Two timers per poll round trip: the max-hold timer, then one per
		// wait between polls.
		<-f.Waiters()
		<-f.Waiters()
		f.Advance(time.Second)
		<-f.Waiters()
		f.Advance(time.Second)
		r := <-done
		if r.err != nil || !r.rec.Met || r.rec.Measured != 2*time.Second {
			t.Fatalf("%+v, %v", r.rec, r.err)
		}
	})
}

// failOff is a switch whose release fails until fixed.
type failOff struct {
	powertest.Fake
	mu     sync.Mutex
	broken bool
}

func (f *failOff) Set(ctx context.Context, on bool) error {
	f.mu.Lock()
	broken := f.broken
	f.mu.Unlock()
	if !on && broken {
		return errors.New("no answer")
	}
	return f.Fake.Set(ctx, on)
}

func TestPressReportsFailedRelease(t *testing.T) {
	sw := &failOff{Fake: powertest.Fake{Name: "relay#7"}, broken: true}
	s, f, tl := newFake(t, sw, time.Minute)
	done := make(chan result, 1)
	go func() { r, err := s.Press(context.Background(), time.Second); done <- result{r, err} }()
	<-f.Waiters()
	f.Advance(time.Second)
	r := <-done
	if r.err == nil || !strings.Contains(r.err.Error(), "RELEASE FAILED") || !strings.Contains(r.err.Error(), "no answer") {
		t.Fatalf("err = %v", r.err)
	}
	found := false
	for _, e := range tl.Events() {
		found = found || e.Kind == "release-failed"
	}
	if !found {
		t.Fatalf("timeline lacks the failed release: %+v", tl.Events())
	}
	// The line stays registered so the safety registry retries at exit.
	sw.mu.Lock()
	sw.broken = false
	sw.mu.Unlock()
	if err := safetyRestore(); err != nil {
		t.Fatal(err)
	}
	if on, _ := sw.Get(context.Background()); on {
		t.Fatal("the safety registry did not release the solenoid")
	}
}

// pulser records the auto-off it was armed with.
type pulser struct {
	powertest.Fake
	mu    sync.Mutex
	after time.Duration
}

func (p *pulser) Pulse(ctx context.Context, on bool, after time.Duration) error {
	p.mu.Lock()
	p.after = after
	p.mu.Unlock()
	return p.Set(ctx, on)
}

// The smart-plug backends arm their own timers for a press.
var (
	_ press.AutoOff = (*plug.Tasmota)(nil)
	_ press.AutoOff = (*plug.Shelly)(nil)
)

func TestPressArmsHardwareAutoOff(t *testing.T) {
	sw := &pulser{}
	f := clocktest.New(time.Unix(0, 0))
	s, err := press.New(sw, press.Options{MaxHold: time.Minute, Clock: f, AutoOffGrace: 2 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan result, 1)
	go func() { r, err := s.Press(context.Background(), 10*time.Second); done <- result{r, err} }()
	<-f.Waiters()
	f.Advance(10 * time.Second)
	r := <-done
	sw.mu.Lock()
	after := sw.after
	sw.mu.Unlock()
	if r.err != nil || after != 12*time.Second || r.rec.AutoOff != 12*time.Second {
		t.Fatalf("auto-off %v, record %+v, err %v", after, r.rec, r.err)
	}
	if e := sw.Edges(); len(e) != 2 || e[1] {
		t.Fatalf("edges = %v: the press must still release itself", e)
	}
}

func TestPressBusy(t *testing.T) {
	sw := &powertest.Fake{}
	s, f, _ := newFake(t, sw, time.Minute)
	done := make(chan result, 1)
	go func() { r, err := s.Press(context.Background(), time.Second); done <- result{r, err} }()
	<-f.Waiters()
	if _, err := s.Press(context.Background(), time.Second); !errors.Is(err, press.ErrBusy) {
		t.Fatalf("second press: %v", err)
	}
	f.Advance(time.Second)
	if r := <-done; r.err != nil {
		t.Fatal(r.err)
	}
}

func safetyRestore() error { return safety.RestoreAll(context.Background()) }

// onFails is a switch whose board refuses to switch on (and names itself in
// the error, as every power.Switch does) but releases fine.
type onFails struct{ powertest.Fake }

func (f *onFails) Set(ctx context.Context, on bool) error {
	if on {
		return fmt.Errorf("%s: %q: open: no such file or directory", f.String(), "relay on 3")
	}
	return f.Fake.Set(ctx, on)
}

// A failed press names its switch once: the switch's own error does, and
// the press says only what it was doing.
func TestPressErrorNamesTheSwitchOnce(t *testing.T) {
	sw := &onFails{powertest.Fake{Name: "numato:/dev/ttyACM0#3"}}
	s, err := press.New(sw, press.Options{MaxHold: time.Minute})
	if err != nil {
		t.Fatal(err)
	}
	_, err = s.Press(context.Background(), time.Second)
	if err == nil {
		t.Fatal("press succeeded")
	}
	if n := strings.Count(err.Error(), "numato:/dev/ttyACM0#3"); n != 1 {
		t.Errorf("error names the switch %d times, want once: %v", n, err)
	}
	if want := `press: on: numato:/dev/ttyACM0#3: "relay on 3": open: `; !strings.HasPrefix(err.Error(), want) {
		t.Errorf("error %q does not start %q", err, want)
	}
	if edges := sw.Edges(); len(edges) != 1 || edges[0] {
		t.Errorf("edges %v, want the release only", edges)
	}
}
