package serialboard

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"golang.org/x/sys/unix"
)

// A relay board is shared not only by the bindings of one process but by
// every process of a run: under `ginkgo -p` each process drives its own
// unit, and the units sit on channels of the same board. A tty has one
// input stream, so two processes with the port open steal each other's
// replies. Each transaction therefore holds an flock on a lock file named
// after the device (symlinks resolved, so /dev/serial/by-id/... and
// /dev/ttyACM0 are one board) and has the tty open only while it runs.

// portLockDir holds the lock files; it is shared by every user of the host
// (boards are host-wide), hence world-writable with the sticky bit.
var portLockDir = filepath.Join(os.TempDir(), "camrig-ports")

func portLockPath(path string) string {
	real, err := filepath.EvalSymlinks(path)
	if err != nil {
		real = filepath.Clean(path)
	}
	name := strings.NewReplacer("/", "_", "\\", "_").Replace(strings.TrimPrefix(real, "/"))
	return filepath.Join(portLockDir, name+".lock")
}

// lockDevice takes the cross-process lock of the device at path, waiting
// until it is free or ctx ends. The wait is the kernel's (a blocking flock
// in a goroutine), so it is woken the moment the holder lets go, even when
// the holder is killed.
func lockDevice(ctx context.Context, path string) (unlock func(), err error) {
	if err := os.MkdirAll(portLockDir, 0o1777); err != nil {
		return nil, fmt.Errorf("port lock: %w", err)
	}
	// Each attempt gets its own open file description: an attempt that
	// gives up leaves a goroutine that unlocks only its own descriptor.
	f, err := os.OpenFile(portLockPath(path), os.O_RDWR|os.O_CREATE, 0o666)
	if err != nil {
		return nil, fmt.Errorf("port lock: %w", err)
	}
	got := make(chan error, 1)
	go func() { got <- flockRetry(f, unix.LOCK_EX) }()
	release := func() {
		flockRetry(f, unix.LOCK_UN)
		f.Close()
	}
	select {
	case err := <-got:
		if err != nil {
			f.Close()
			return nil, fmt.Errorf("port lock %s: %w", f.Name(), err)
		}
		return release, nil
	case <-ctx.Done():
		go func() {
			if <-got == nil {
				release()
			} else {
				f.Close()
			}
		}()
		return nil, context.Cause(ctx)
	}
}

func flockRetry(f *os.File, how int) error {
	for {
		err := unix.Flock(int(f.Fd()), how)
		if err != unix.EINTR {
			return err
		}
	}
}
