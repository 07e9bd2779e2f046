package power_test

import (
	"context"
	"io"
	"path/filepath"
	"sync"
	"testing"

	"github.com/camrig/camrig/rigs/virtual/pty"
)

// server is a board from boardtest.
type server interface {
	Serve(io.ReadWriter) error
	Received() []byte
	WaitFor(ctx context.Context, cond func([]byte) bool) error
}

// plug plays board on a fresh pty and returns the stable link path the
// backend opens. Cleanup closes the pty and waits for the board to stop.
func plug(t testing.TB, board server) string {
	t.Helper()
	path, _ := plugAt(t, filepath.Join(t.TempDir(), "tty"), board)
	return path
}

// plugAt plays board behind link; unplug closes the pty (as pulling the USB
// cable would) and waits for the board to stop. Cleanup unplugs too.
func plugAt(t testing.TB, link string, board server) (path string, unplug func()) {
	t.Helper()
	p, err := pty.Open(link)
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	go func() { defer close(done); board.Serve(p.Master) }()
	var once sync.Once
	unplug = func() { once.Do(func() { p.Close(); <-done }) }
	t.Cleanup(unplug)
	return p.Link, unplug
}
