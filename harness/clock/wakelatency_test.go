package clock_test

import (
	"encoding/binary"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"testing"

	"github.com/camrig/camrig/harness/clock"
)

// The request is made by the first holder, as a binary s32 zero, and
// dropped with the last; a release called twice drops nothing more.
func TestWakeLatencyIsCounted(t *testing.T) {
	dev := filepath.Join(t.TempDir(), "cpu_dma_latency")
	if err := os.WriteFile(dev, []byte("unchanged"), 0o600); err != nil {
		t.Fatal(err)
	}
	w := clock.NewWakeLatency(dev)
	if w.Held() {
		t.Fatal("held before any Hold")
	}
	releaseA, err := w.Hold()
	if err != nil {
		t.Fatal(err)
	}
	releaseB, err := w.Hold()
	if err != nil {
		t.Fatal(err)
	}
	if got, _ := os.ReadFile(dev); string(got[:4]) != "\x00\x00\x00\x00" {
		t.Fatalf("device got %q, want a binary s32 zero first", got)
	}
	releaseA()
	releaseA()
	if !w.Held() {
		t.Fatal("the first release, called twice, dropped the second holder's request")
	}
	releaseB()
	if w.Held() {
		t.Fatal("still held after every holder released")
	}
}

func TestWakeLatencyUnavailable(t *testing.T) {
	for _, tc := range []struct {
		name string
		w    *clock.WakeLatency
		want error
	}{
		{"no such device", clock.NewWakeLatency(filepath.Join(t.TempDir(), "missing")), fs.ErrNotExist},
		{"turned off", clock.NoWakeLatency, clock.ErrWakeLatencyOff},
	} {
		t.Run(tc.name, func(t *testing.T) {
			release, err := tc.w.Hold()
			if !errors.Is(err, tc.want) {
				t.Fatalf("Hold: %v, want %v", err, tc.want)
			}
			release() // never nil, harmless
			if tc.w.Held() {
				t.Fatal("held after a failed Hold")
			}
		})
	}
}

// Against the kernel's own device where this host lets us open it: while
// held, the CPU latency limit the kernel reports is 0 µs. (Other
// processes, other packages' tests among them, may hold requests of their
// own, so the value outside a hold is not asserted.)
func TestHostWakeLatencyReachesTheKernel(t *testing.T) {
	probe, err := os.OpenFile(clock.HostWakeLatencyPath, os.O_WRONLY, 0)
	if err != nil {
		t.Skipf("this host does not let the test make the request: %v", err)
	}
	probe.Close()
	release, err := clock.HostWakeLatency.Hold()
	if err != nil {
		t.Fatal(err)
	}
	defer release()
	if got := kernelLatencyLimit(t); got != 0 {
		t.Fatalf("kernel's CPU latency limit while held: %d µs, want 0", got)
	}
}

func kernelLatencyLimit(t *testing.T) int32 {
	t.Helper()
	f, err := os.Open(clock.HostWakeLatencyPath)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var b [4]byte
	if _, err := f.Read(b[:]); err != nil {
		t.Fatal(err)
	}
	return int32(binary.NativeEndian.Uint32(b[:]))
}
