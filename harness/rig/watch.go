package rig

import (
	"context"
	"errors"
	"fmt"
	"os"
	"time"

	"golang.org/x/sys/unix"

	"github.com/camrig/camrig/harness/clock"
)

// recheckEvery bounds how long LeaseAny can miss a release. Releases are
// seen through inotify (the holder's write descriptor closing), but when a
// holder dies the kernel may report that close a moment before it drops the
// flock, so a waiter that lost that race tries again after this long rather
// than waiting for the next event.
const recheckEvery = 250 * time.Millisecond

// releaseWatch wakes LeaseAny when a lock file's write descriptor closes:
// a Release, or a holder's death.
type releaseWatch struct {
	f    *os.File
	c    chan struct{}
	done chan struct{}
}

func watchReleases(dir string) (*releaseWatch, error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, err
	}
	fd, err := unix.InotifyInit1(unix.IN_NONBLOCK | unix.IN_CLOEXEC)
	if err != nil {
		return nil, fmt.Errorf("inotify: %w", err)
	}
	if _, err := unix.InotifyAddWatch(fd, dir, unix.IN_CLOSE_WRITE|unix.IN_DELETE); err != nil {
		unix.Close(fd)
		return nil, fmt.Errorf("inotify watch %s: %w", dir, err)
	}
	// A non-blocking descriptor joins the runtime poller, so Close
	// interrupts the pending Read.
	w := &releaseWatch{f: os.NewFile(uintptr(fd), "inotify:"+dir), c: make(chan struct{}, 1), done: make(chan struct{})}
	go w.read()
	return w, nil
}

func (w *releaseWatch) read() {
	defer close(w.done)
	buf := make([]byte, 4096)
	for {
		n, err := w.f.Read(buf)
		if err != nil && !errors.Is(err, unix.EINTR) {
			return
		}
		if n > 0 {
			select {
			case w.c <- struct{}{}:
			default: // a wake-up is already pending; one retry covers both
			}
		}
	}
}

// wait returns after a release event or the recheck interval, or with the
// cause once ctx ends.
func (w *releaseWatch) wait(ctx context.Context, clk clock.Clock) error {
	t := clk.NewTimer(recheckEvery)
	defer t.Stop()
	select {
	case <-w.c:
		return nil
	case <-t.C():
		return nil
	case <-ctx.Done():
		return context.Cause(ctx)
	}
}

// Close stops the watch and waits for its reader.
func (w *releaseWatch) Close() {
	w.f.Close()
	<-w.done
}
