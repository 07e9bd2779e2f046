package simclock

import (
	"context"
	"testing"
	"time"
)

func TestFakeRunsDueFunctionsInOrder(t *testing.T) {
	c := NewFake(time.Unix(0, 0))
	var got []int
	c.AfterFunc(30*time.Millisecond, func() { got = append(got, 3) })
	c.AfterFunc(10*time.Millisecond, func() { got = append(got, 1) })
	stopped := c.AfterFunc(20*time.Millisecond, func() { got = append(got, 2) })
	if !stopped.Stop() {
		t.Fatal("Stop of a pending timer reported false")
	}
	c.Advance(15 * time.Millisecond)
	if len(got) != 1 || got[0] != 1 {
		t.Fatalf("after 15ms got %v, want [1]", got)
	}
	c.Advance(time.Hour)
	if len(got) != 2 || got[1] != 3 {
		t.Fatalf("after 1h got %v, want [1 3]", got)
	}
	if c.Pending() != 0 {
		t.Fatalf("pending %d, want 0", c.Pending())
	}
}

func TestFakeTimerScheduledInsideAdvanceFiresWhenDue(t *testing.T) {
	c := NewFake(time.Unix(0, 0))
	var at []time.Duration
	start := c.Now()
	c.AfterFunc(10*time.Millisecond, func() {
		at = append(at, c.Now().Sub(start))
		c.AfterFunc(10*time.Millisecond, func() { at = append(at, c.Now().Sub(start)) })
	})
	c.Advance(25 * time.Millisecond)
	if len(at) != 2 || at[0] != 10*time.Millisecond || at[1] != 20*time.Millisecond {
		t.Fatalf("fired at %v, want [10ms 20ms]", at)
	}
}

func TestSleepOnFake(t *testing.T) {
	c := NewFake(time.Unix(0, 0))
	done := make(chan error, 1)
	go func() { done <- Sleep(context.Background(), c, time.Second) }()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := c.WaitPending(ctx, 1); err != nil {
		t.Fatal(err)
	}
	c.Advance(time.Second)
	if err := <-done; err != nil {
		t.Fatalf("Sleep: %v", err)
	}
}

func TestSleepEndsWithContext(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := Sleep(ctx, Real{}, time.Hour); err == nil {
		t.Fatal("Sleep with a cancelled context returned nil")
	}
}
