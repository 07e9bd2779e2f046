package console

import (
	"encoding/binary"
	"fmt"
	"os"
	"path/filepath"

	"golang.org/x/sys/unix"
)

// pathWatch signals when something is created, moved or changed in the
// directory of a path with that path's name: a tty node or by-id symlink
// coming back, qemu recreating its socket.
type pathWatch struct {
	f      *os.File
	events chan struct{}
}

func watchPath(path string) (*pathWatch, error) {
	dir, base := filepath.Split(filepath.Clean(path))
	fd, err := unix.InotifyInit1(unix.IN_NONBLOCK | unix.IN_CLOEXEC)
	if err != nil {
		return nil, fmt.Errorf("inotify: %w", err)
	}
	if _, err := unix.InotifyAddWatch(fd, dir, unix.IN_CREATE|unix.IN_MOVED_TO|unix.IN_ATTRIB|unix.IN_CLOSE_WRITE); err != nil {
		unix.Close(fd)
		return nil, fmt.Errorf("inotify watch %s: %w", dir, err)
	}
	// Non-blocking, so the file joins Go's poller and Close ends a blocked
	// Read.
	w := &pathWatch{f: os.NewFile(uintptr(fd), "inotify "+dir), events: make(chan struct{}, 1)}
	go w.loop(base)
	return w, nil
}

func (w *pathWatch) Events() <-chan struct{} { return w.events }

func (w *pathWatch) Close() error { return w.f.Close() }

func (w *pathWatch) loop(base string) {
	buf := make([]byte, 64*(unix.SizeofInotifyEvent+unix.NAME_MAX+1))
	for {
		n, err := w.f.Read(buf)
		if err != nil {
			return
		}
		if touches(buf[:n], base) {
			select {
			case w.events <- struct{}{}:
			default:
			}
		}
	}
}

// touches reports whether a batch of inotify events names base (or the
// queue overflowed, so anything may have happened).
func touches(b []byte, base string) bool {
	for len(b) >= unix.SizeofInotifyEvent {
		mask := binary.NativeEndian.Uint32(b[4:8])
		nameLen := int(binary.NativeEndian.Uint32(b[12:16]))
		end := unix.SizeofInotifyEvent + nameLen
		if end > len(b) {
			return true
		}
		if mask&unix.IN_Q_OVERFLOW != 0 {
			return true
		}
		name := b[unix.SizeofInotifyEvent:end]
		for len(name) > 0 && name[len(name)-1] == 0 {
			name = name[:len(name)-1]
		}
		if string(name) == base {
			return true
		}
		b = b[end:]
	}
	return false
}
