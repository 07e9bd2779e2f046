package led

import (
	"context"
	"errors"
	"testing"
	"time"
)

func TestWaitEdgeOnlyCountsChangesAfterTheGivenTime(t *testing.T) {
	s := newSensor(Options{Window: time.Second})
	t0 := time.Unix(1000, 0)
	s.observe(t0, true)
	s.observe(t0.Add(100*time.Millisecond), false) // before the press
	s.observe(t0.Add(200*time.Millisecond), true)

	pressed := t0.Add(300 * time.Millisecond)
	got := make(chan Edge, 1)
	errc := make(chan error, 1)
	go func() {
		e, err := s.WaitEdge(context.Background(), pressed)
		errc <- err
		got <- e
	}()
	s.observe(t0.Add(350*time.Millisecond), true) // same level: no edge
	s.observe(t0.Add(400*time.Millisecond), false)
	if err := <-errc; err != nil {
		t.Fatal(err)
	}
	if e := <-got; !e.At.Equal(t0.Add(400*time.Millisecond)) || e.Lit {
		t.Fatalf("edge = %+v, want the dark edge at +400ms", e)
	}
}

func TestWaitEdgeEndsWithCtx(t *testing.T) {
	s := newSensor(Options{Window: time.Second})
	s.observe(time.Unix(1, 0), true)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := s.WaitEdge(ctx, time.Unix(2, 0)); !errors.Is(err, context.Canceled) {
		t.Fatalf("err = %v", err)
	}
}
