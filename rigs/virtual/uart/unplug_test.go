package uart

import (
	"context"
	"errors"
	"os"
	"testing"
	"time"

	"github.com/camrig/camrig/rigs/virtual/pty"
	"golang.org/x/sys/unix"
)

// openSlave opens a pair's slave end as the harness would.
func openSlave(t *testing.T, p *pty.Pair) *os.File {
	t.Helper()
	s, err := os.OpenFile(p.SlavePath, os.O_RDWR|unix.O_NOCTTY|unix.O_NONBLOCK, 0)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

// TestUnplugLosesTheGapAndPlugResumes pulls the adapter from under a
// harness reading it: the harness gets an error, not a silence; the unit
// keeps talking at line rate into nothing; a new adapter gets what the unit
// says from then on and carries input again, and nothing of the gap.
func TestUnplugLosesTheGapAndPlugResumes(t *testing.T) {
	first, err := pty.Open("")
	if err != nil {
		t.Fatal(err)
	}
	defer first.Close()
	u, err := New(first.Master, Config{Baud: 9600})
	if err != nil {
		t.Fatal(err)
	}
	defer u.Close()
	s1 := openSlave(t, first)
	u.PowerOn()
	if _, err := u.Write([]byte("before\r\n")); err != nil {
		t.Fatal(err)
	}
	if got := readAtLeast(t, s1, len("before\r\n"), 5*time.Second); string(got) != "before\r\n" {
		t.Fatalf("before the unplug the harness read %q", got)
	}

	u.Unplug()
	if u.Plugged() {
		t.Fatal("Plugged after Unplug")
	}
	first.Unplug()
	s1.SetReadDeadline(time.Now().Add(5 * time.Second))
	if _, err := s1.Read(make([]byte, 16)); err == nil || errors.Is(err, os.ErrDeadlineExceeded) {
		t.Fatalf("the harness's read of a pulled adapter: %v, want an I/O error at once", err)
	}
	during := []byte("lost while unplugged\r\n")
	start := time.Now()
	if _, err := u.Write(during); err != nil {
		t.Fatalf("the unit's write while unplugged: %v (the unit cannot tell)", err)
	}
	if el, line := time.Since(start), time.Duration(len(during))*time.Second/960; el < line {
		t.Errorf("a write while unplugged took %v, less than its line time %v", el, line)
	}
	if got := u.Lost(); got != uint64(len(during)) {
		t.Fatalf("Lost() = %d, want %d", got, len(during))
	}

	second, err := pty.Open("")
	if err != nil {
		t.Fatal(err)
	}
	defer second.Close()
	if err := u.Plug(second.Master); err != nil {
		t.Fatal(err)
	}
	if err := u.Plug(second.Master); !errors.Is(err, ErrPlugged) {
		t.Fatalf("a second Plug: %v, want ErrPlugged", err)
	}
	s2 := openSlave(t, second)
	if _, err := u.Write([]byte("after\r\n")); err != nil {
		t.Fatal(err)
	}
	if got := readAtLeast(t, s2, len("after\r\n"), 5*time.Second); string(got) != "after\r\n" {
		t.Fatalf("after the replug the harness read %q, want only what came after it", got)
	}
	if _, err := s2.Write([]byte("k")); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if b, err := u.ReadByteContext(ctx); err != nil || b != 'k' {
		t.Fatalf("input through the new adapter: %q, %v", b, err)
	}

	u.Close()
	if err := u.Plug(first.Master); !errors.Is(err, ErrClosed) {
		t.Fatalf("Plug after Close: %v, want ErrClosed", err)
	}
}
