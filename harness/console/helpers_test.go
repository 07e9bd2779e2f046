package console

import (
	"context"
	"path/filepath"
	"testing"
	"time"

	"github.com/camrig/camrig/harness/clock"
	"github.com/camrig/camrig/rigs/virtual/pty"
)

// testDeadline bounds every wait in these tests. It is generous: a test
// that needs it has already failed, so it never decides a pass.
const testDeadline = 10 * time.Second

func ctxFor(t testing.TB, what string) context.Context {
	t.Helper()
	ctx, cancel := clock.WithTimeout(context.Background(), clock.Real{}, testDeadline, what)
	t.Cleanup(cancel)
	return ctx
}

// ptyConsole opens a pty pair (the device side stays with the test) and a
// console on its symlink.
func ptyConsole(t testing.TB, opts ...Option) (*Console, *pty.Pair) {
	t.Helper()
	link := filepath.Join(t.TempDir(), "uart0")
	pair, err := pty.Open(link)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { pair.Close() })
	opts = append([]Option{WithTranscriptDir(t.TempDir())}, opts...)
	c, err := Open(context.Background(), Config{Port: link}, opts...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c, pair
}

// readMaster reads exactly n bytes the harness wrote to the device side.
func readMaster(t testing.TB, pair *pty.Pair, n int) []byte {
	t.Helper()
	pair.Master.SetReadDeadline(time.Now().Add(testDeadline))
	buf := make([]byte, n)
	got := 0
	for got < n {
		k, err := pair.Master.Read(buf[got:])
		got += k
		if err != nil {
			t.Fatalf("device read after %q: %v", buf[:got], err)
		}
	}
	return buf
}
