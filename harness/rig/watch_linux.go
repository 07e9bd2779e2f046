//go:build linux

package rig

import (
	"errors"
	"fmt"
	"os"

	"golang.org/x/sys/unix"
)

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
