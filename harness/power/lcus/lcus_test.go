package lcus_test

import (
	"bytes"
	"context"
	"io"
	"strings"
	"testing"
	"time"

	"github.com/camrig/camrig/harness/power"
	"github.com/camrig/camrig/harness/power/boardtest"
	"github.com/camrig/camrig/harness/power/powertest"
	"github.com/camrig/camrig/rigs/virtual/virtualtest"
)

// plug plays board on a fresh pty and returns the path the backend opens.
func plug(t testing.TB, board interface{ Serve(io.ReadWriter) error }) string {
	t.Helper()
	return virtualtest.Plug(t, board.Serve)
}

func TestLCUSWireBytes(t *testing.T) {
	cases := []struct {
		ch      int
		on, off []byte
	}{
		{1, []byte{0xA0, 0x01, 0x01, 0xA2}, []byte{0xA0, 0x01, 0x00, 0xA1}},
		{2, []byte{0xA0, 0x02, 0x01, 0xA3}, []byte{0xA0, 0x02, 0x00, 0xA2}},
		{8, []byte{0xA0, 0x08, 0x01, 0xA9}, []byte{0xA0, 0x08, 0x00, 0xA8}},
	}
	for _, c := range cases {
		board := &boardtest.LCUS{}
		sw := powertest.Open(t, power.Config{Driver: "lcus", Port: plug(t, board), Channel: c.ch})
		ctx := powertest.Ctx(t)
		if err := sw.Set(ctx, true); err != nil {
			t.Fatal(err)
		}
		if err := sw.Set(ctx, false); err != nil {
			t.Fatal(err)
		}
		want := append(append([]byte(nil), c.on...), c.off...)
		if err := board.WaitFor(ctx, func(rx []byte) bool { return len(rx) >= len(want) }); err != nil {
			t.Fatal(err)
		}
		if got := board.Received(); !bytes.Equal(got, want) {
			t.Fatalf("ch %d: received % x, want % x", c.ch, got, want)
		}
		if board.BadFrames() != 0 {
			t.Fatalf("board rejected %d frames", board.BadFrames())
		}
	}
}

func TestLCUSChannelRange(t *testing.T) {
	port := plug(t, &boardtest.LCUS{})
	for _, ch := range []int{0, 9} {
		if _, err := power.Open(context.Background(), power.Config{Driver: "lcus", Port: port, Channel: ch}, power.Deps{}); err == nil ||
			!strings.Contains(err.Error(), "out of range 1-8") {
			t.Errorf("channel %d: %v", ch, err)
		}
	}
}

func TestLCUSStatusQuery(t *testing.T) {
	board := &boardtest.LCUS{Status: true, Channels: 4}
	sw := powertest.Open(t, power.Config{Driver: "lcus", Port: plug(t, board), Channel: 3})
	ctx := powertest.Ctx(t)
	board.SetRelay(3, true) // someone else switched it: Get must ask the board
	if on, err := sw.Get(ctx); err != nil || !on {
		t.Fatalf("Get = %v, %v", on, err)
	}
	if err := sw.Set(ctx, false); err != nil {
		t.Fatal(err)
	}
	if on, err := sw.Get(ctx); err != nil || on {
		t.Fatalf("Get = %v, %v", on, err)
	}
	want := []byte{0xFF, 0xA0, 0x03, 0x00, 0xA3, 0xFF}
	if got := board.Received(); !bytes.Equal(got, want) {
		t.Fatalf("received % x, want % x", got, want)
	}
}

// A board without the status query: the first Get costs one timeout, then
// Get reports the commanded state without asking again.
func TestLCUSSilentStatusFallsBackToCommanded(t *testing.T) {
	board := &boardtest.LCUS{}
	port := plug(t, board)
	sw := powertest.Open(t, power.Config{Driver: "lcus", Port: port, Channel: 1, Timeout: 100 * time.Millisecond})
	ctx := powertest.Ctx(t)
	if _, err := sw.Get(ctx); err == nil || !strings.Contains(err.Error(), "lcus:"+port+"#1") || !strings.Contains(err.Error(), "state unknown") {
		t.Fatalf("Get before any Set: %v", err)
	}
	if err := sw.Set(ctx, true); err != nil {
		t.Fatal(err)
	}
	if on, err := sw.Get(ctx); err != nil || !on {
		t.Fatalf("Get = %v, %v", on, err)
	}
	if err := board.WaitFor(ctx, func(rx []byte) bool { return len(rx) == 5 }); err != nil {
		t.Fatal(err)
	}
	if got, want := board.Received(), []byte{0xFF, 0xA0, 0x01, 0x01, 0xA2}; !bytes.Equal(got, want) {
		t.Fatalf("received % x, want % x (the query is sent once)", got, want)
	}
}

// A board that answers the status query with something else is an error
// quoting what it sent.
func TestLCUSWrongAnswerIsQuoted(t *testing.T) {
	port := plug(t, &boardtest.LCUS{StatusReply: "READY\r\n"})
	sw := powertest.Open(t, power.Config{Driver: "lcus", Port: port, Channel: 1})
	_, err := sw.Get(powertest.Ctx(t))
	if err == nil || !strings.Contains(err.Error(), "lcus:"+port+"#1: status") || !strings.Contains(err.Error(), `board sent "READY\r\n"`) {
		t.Fatalf("err = %v", err)
	}
}
