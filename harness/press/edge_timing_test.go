package press_test

import (
	"context"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/camrig/camrig/harness/clock"
	"github.com/camrig/camrig/harness/clock/clocktest"
	"github.com/camrig/camrig/harness/power"
	"github.com/camrig/camrig/harness/power/boardtest"
	"github.com/camrig/camrig/harness/press"
)

// queuedBoard is a switch on a shared board that reports its wire edges
// (power.EdgeTiming), on a fake clock: each Set first queues behind
// another unit's transaction for as long as the test says, then waits for
// NotBefore on the board, then sends.
type queuedBoard struct {
	clk *clocktest.Fake
	// queue receives, for each Set, how long the board is busy before it.
	queue chan time.Duration
	// queued is told when a Set arrived at the board.
	queued chan bool

	mu    sync.Mutex
	sent  []time.Time
	edges []bool
}

func (b *queuedBoard) Set(ctx context.Context, on bool) error {
	b.queued <- on
	busy := <-b.queue
	if err := clock.Wait(ctx, b.clk, busy); err != nil {
		return err
	}
	et := power.EdgeTimingFrom(ctx)
	if et != nil {
		if err := clock.WaitUntilPrecise(ctx, b.clk, et.NotBefore); err != nil {
			return err
		}
		et.Sent = b.clk.Now()
	}
	b.mu.Lock()
	b.sent = append(b.sent, b.clk.Now())
	b.edges = append(b.edges, on)
	b.mu.Unlock()
	return nil
}

func (b *queuedBoard) Get(context.Context) (bool, error) { return false, nil }
func (b *queuedBoard) String() string                    { return "queued-board#1" }

// whenArmed returns once a timer of f is armed to fire at at.
func whenArmed(f *clocktest.Fake, at time.Time) {
	for !slices.ContainsFunc(f.Deadlines(), at.Equal) {
		<-f.Waiters()
	}
}

// advanceTo moves f to at once the code under test waits for at.
func advanceTo(f *clocktest.Fake, at time.Time) {
	whenArmed(f, at)
	f.Advance(at.Sub(f.Now()))
}

// A 50 ms hold on a board busy for 13 ms before the "on" and 5 ms before
// the "off" is still 50 ms at the board: the hold runs from the "on"
// command's wire edge, and the "off" waits on the board for its moment.
// (Timed from the "on" request, as before, the unit saw 37 ms.)
func TestHoldIsTimedFromTheWireEdgesOfABusyBoard(t *testing.T) {
	f := clocktest.New(time.Unix(1000, 0))
	b := &queuedBoard{clk: f, queue: make(chan time.Duration), queued: make(chan bool)}
	s, err := press.New(b, press.Options{MaxHold: time.Second, Clock: f, ReleaseLead: 10 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	t0 := f.Now()
	done := make(chan result, 1)
	go func() { r, err := s.Press(context.Background(), 50*time.Millisecond); done <- result{r, err} }()

	ms := func(n int) time.Time { return t0.Add(time.Duration(n) * time.Millisecond) }
	<-b.queued // "on" waits behind another unit's transaction
	b.queue <- 13 * time.Millisecond
	advanceTo(f, ms(13))
	// The hold: the solenoid asks for the release ReleaseLead early.
	advanceTo(f, ms(53))
	<-b.queued // "off" waits behind another transaction, then for its moment
	b.queue <- 5 * time.Millisecond
	advanceTo(f, ms(58))
	advanceTo(f, ms(63))
	r := <-done
	if r.err != nil {
		t.Fatal(r.err)
	}
	want := []time.Time{t0.Add(13 * time.Millisecond), t0.Add(63 * time.Millisecond)}
	if fmt.Sprint(b.sent) != fmt.Sprint(want) || fmt.Sprint(b.edges) != "[true false]" {
		t.Fatalf("board edges %v at %v, want on then off at %v", b.edges, b.sent, want)
	}
	if r.rec.Seen != 50*time.Millisecond || r.rec.Requested != 50*time.Millisecond {
		t.Fatalf("record %+v: want seen 50ms as requested", r.rec)
	}
	if r.rec.OnLatency != 13*time.Millisecond {
		t.Fatalf("on latency %v, want the 13ms the board was busy", r.rec.OnLatency)
	}
}

// A condition that is met releases at once: no waiting for the hold's end.
func TestConditionReleasesAtOnceOnABoardThatTimesEdges(t *testing.T) {
	f := clocktest.New(time.Unix(1000, 0))
	b := &queuedBoard{clk: f, queue: make(chan time.Duration), queued: make(chan bool)}
	s, err := press.New(b, press.Options{MaxHold: time.Second, Clock: f})
	if err != nil {
		t.Fatal(err)
	}
	met := make(chan struct{})
	done := make(chan result, 1)
	go func() {
		r, err := s.PressUntil(context.Background(), 500*time.Millisecond, press.UntilClosed(met))
		done <- result{r, err}
	}()
	<-b.queued
	b.queue <- 0
	whenArmed(f, f.Now().Add(490*time.Millisecond)) // the maximum, ReleaseLead early
	f.Advance(120 * time.Millisecond)
	close(met)
	<-b.queued
	b.queue <- 0
	r := <-done
	if r.err != nil || !r.rec.Met {
		t.Fatalf("record %+v, err %v", r.rec, r.err)
	}
	if r.rec.Seen != 120*time.Millisecond {
		t.Fatalf("seen %v, want the 120ms until the condition", r.rec.Seen)
	}
}

// Over a real Numato exchange shared with another binding that keeps the
// board busy, the numato backend reports its wire edges and honours the
// release's NotBefore: the hold between them is never shorter than asked,
// however the other binding's transactions fall. (How close it comes is a
// figure for BenchmarkHoldAccuracyBusyBoard, not a test.)
func TestPressOverABusyNumatoIsNeverShort(t *testing.T) {
	board := &boardtest.Numato{}
	port := playNumato(t, board)
	s := numatoSolenoid(t, port, time.Minute)
	other, err := power.Open(context.Background(), power.Config{Driver: "numato", Port: port, Channel: 2}, power.Deps{})
	if err != nil {
		t.Fatal(err)
	}
	defer other.(power.Closer).Close()
	ctx, stop := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		for ctx.Err() == nil {
			other.Get(ctx)
		}
	}()
	const hold = 30 * time.Millisecond
	var recs []press.Record
	for range 5 {
		rec, err := s.Press(context.Background(), hold)
		if err != nil {
			t.Fatal(err)
		}
		recs = append(recs, rec)
	}
	stop()
	wg.Wait()
	var ch1 []boardtest.Edge
	for _, e := range board.Edges() {
		if e.Ch == 1 {
			ch1 = append(ch1, e)
		}
	}
	if len(ch1) != 2*len(recs) {
		t.Fatalf("board edges on channel 1: %+v", ch1)
	}
	for i, rec := range recs {
		on, off := ch1[2*i], ch1[2*i+1]
		if !on.On || off.On {
			t.Fatalf("press %d: edges %+v %+v", i, on, off)
		}
		if rec.Seen == rec.Measured {
			t.Errorf("press %d: seen %v is the acknowledged hold: the backend reported no wire edges", i, rec.Seen)
		}
		if rec.Seen < hold {
			t.Errorf("press %d: seen %v of %v", i, rec.Seen, hold)
		}
	}
}
