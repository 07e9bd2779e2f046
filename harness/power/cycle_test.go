package power_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/camrig/camrig/harness/clock"
	"github.com/camrig/camrig/harness/clock/clocktest"
	"github.com/camrig/camrig/harness/power"
	"github.com/camrig/camrig/harness/power/powertest"
	"github.com/camrig/camrig/harness/timeline"
)

func TestCycleOffWaitOn(t *testing.T) {
	f := clocktest.New(time.Unix(0, 0))
	sw := &powertest.Fake{Name: "relay#0"}
	tl := timeline.New("cam1")
	done := make(chan error, 1)
	go func() { done <- power.Cycle(context.Background(), sw, 2*time.Second, f, tl) }()
	<-f.Waiters()
	if e := sw.Edges(); len(e) != 1 || e[0] {
		t.Fatalf("before wait edges = %v", e)
	}
	f.Advance(2 * time.Second)
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if e := sw.Edges(); len(e) != 2 || !e[1] {
		t.Fatalf("edges = %v", e)
	}
	ev := tl.Events()
	if len(ev) != 2 || ev[0].Kind != "off" || ev[1].Kind != "on" || ev[1].At.Sub(ev[0].At) != 2*time.Second {
		t.Fatalf("timeline = %+v", ev)
	}
}

func TestCycleInterruptedLeavesOff(t *testing.T) {
	sw := &powertest.Fake{}
	ctx, cancel := context.WithCancel(context.Background())
	f := clocktest.New(time.Unix(0, 0))
	done := make(chan error, 1)
	go func() { done <- power.Cycle(ctx, sw, time.Hour, f, nil) }()
	<-f.Waiters()
	cancel()
	if err := <-done; !errors.Is(err, context.Canceled) {
		t.Fatalf("err = %v", err)
	}
	if on, _ := sw.Get(context.Background()); on {
		t.Fatal("line left on after an interrupted cycle")
	}
}

func TestCycleReportsBoardError(t *testing.T) {
	sw := &powertest.Fake{Name: "lcus:/dev/x#1", Err: errors.New("no answer")}
	err := power.Cycle(context.Background(), sw, 0, clock.Real{}, nil)
	if err == nil || err.Error() != "cycle: off: lcus:/dev/x#1: no answer" {
		t.Fatalf("err = %v", err)
	}
}
