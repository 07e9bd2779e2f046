package virtualtest

import (
	"io"
	"path/filepath"
	"sync"
	"testing"

	"github.com/camrig/camrig/rigs/virtual/pty"
)

// Plug runs serve (a board playing the device side, such as a boardtest
// board's Serve) on the master end of a fresh pseudo-terminal and returns
// the stable link path a serial backend opens. Cleanup closes the pty and
// waits for serve to return.
func Plug(t testing.TB, serve func(io.ReadWriter) error) string {
	t.Helper()
	path, _ := PlugAt(t, filepath.Join(t.TempDir(), "tty"), serve)
	return path
}

// PlugAt is Plug behind the given link path; unplug closes the pty (as
// pulling the USB cable would) and waits for serve to stop. Cleanup unplugs
// too.
func PlugAt(t testing.TB, link string, serve func(io.ReadWriter) error) (path string, unplug func()) {
	t.Helper()
	p, err := pty.Open(link)
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	go func() { defer close(done); serve(p.Master) }()
	var once sync.Once
	unplug = func() { once.Do(func() { p.Close(); <-done }) }
	t.Cleanup(unplug)
	return p.Link, unplug
}
