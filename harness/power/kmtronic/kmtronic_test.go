package kmtronic_test

import (
	"bytes"
	"io"
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

func TestKMTronicWireBytesAndStatus(t *testing.T) {
	board := &boardtest.KMTronic{Status: true}
	sw := powertest.Open(t, power.Config{Driver: "kmtronic", Port: plug(t, board), Channel: 2})
	ctx := powertest.Ctx(t)
	if err := sw.Set(ctx, true); err != nil {
		t.Fatal(err)
	}
	if on, err := sw.Get(ctx); err != nil || !on {
		t.Fatalf("Get = %v, %v", on, err)
	}
	if err := sw.Set(ctx, false); err != nil {
		t.Fatal(err)
	}
	if on, err := sw.Get(ctx); err != nil || on {
		t.Fatalf("Get = %v, %v", on, err)
	}
	want := []byte{0xFF, 0x02, 0x01, 0xFF, 0x02, 0x03, 0xFF, 0x02, 0x00, 0xFF, 0x02, 0x03}
	if got := board.Received(); !bytes.Equal(got, want) {
		t.Fatalf("received % x, want % x", got, want)
	}
}

func TestKMTronicSilentStatusFallsBack(t *testing.T) {
	board := &boardtest.KMTronic{}
	sw := powertest.Open(t, power.Config{Driver: "kmtronic", Port: plug(t, board), Channel: 1, Timeout: 100 * time.Millisecond})
	ctx := powertest.Ctx(t)
	if err := sw.Set(ctx, true); err != nil {
		t.Fatal(err)
	}
	for range 2 {
		if on, err := sw.Get(ctx); err != nil || !on {
			t.Fatalf("Get = %v, %v", on, err)
		}
	}
	if got, want := board.Received(), []byte{0xFF, 0x01, 0x01, 0xFF, 0x01, 0x03}; !bytes.Equal(got, want) {
		t.Fatalf("received % x, want % x", got, want)
	}
}
