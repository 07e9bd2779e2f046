package virtual

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/camrig/camrig/harness/notation"
	"golang.org/x/sys/unix"
)

// ErrBusy is returned by Start when another simulator holds the state dir.
var ErrBusy = errors.New("state dir in use by another simulator")

const lockName = ".camrig-sim.lock"

// stateLock is an exclusive flock on the state dir. The kernel drops it
// when the process dies, so a crashed simulator never leaves a stale lock.
type stateLock struct {
	f    *os.File
	path string
}

func lockStateDir(dir string) (*stateLock, error) {
	path := filepath.Join(dir, lockName)
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE|unix.O_CLOEXEC, 0o644)
	if err != nil {
		return nil, fmt.Errorf("virtual rig: lock %s: %w", path, err)
	}
	if err := unix.Flock(int(f.Fd()), unix.LOCK_EX|unix.LOCK_NB); err != nil {
		holder, _ := os.ReadFile(path)
		f.Close()
		if errors.Is(err, unix.EWOULDBLOCK) {
			who := strings.TrimSpace(string(holder))
			if who == "" {
				who = "unknown"
			}
			return nil, fmt.Errorf("virtual rig: %s is used by another simulator (pid %s); stop it or set %s: %w",
				dir, who, notation.StateDirEnv, ErrBusy)
		}
		return nil, fmt.Errorf("virtual rig: lock %s: %w", path, err)
	}
	if err := f.Truncate(0); err == nil {
		f.WriteAt([]byte(strconv.Itoa(os.Getpid())+"\n"), 0)
	}
	return &stateLock{f: f, path: path}, nil
}

// release removes the lock file and drops the lock (in that order, so a
// simulator starting meanwhile either fails on our lock or makes a new
// file).
func (l *stateLock) release() error {
	if l == nil || l.f == nil {
		return nil
	}
	err := os.Remove(l.path)
	if errors.Is(err, os.ErrNotExist) {
		err = nil
	}
	err = errors.Join(err, l.f.Close())
	l.f = nil
	return err
}

// Running reports whether a simulator holds the state dir now, and its pid
// as it recorded it. It takes the lock for an instant when none holds it,
// so it never starts anything.
func Running(dir string) (pid string, running bool, err error) {
	path := filepath.Join(dir, lockName)
	f, err := os.OpenFile(path, os.O_RDONLY|unix.O_CLOEXEC, 0)
	if errors.Is(err, os.ErrNotExist) {
		return "", false, nil
	}
	if err != nil {
		return "", false, fmt.Errorf("virtual rig: lock %s: %w", path, err)
	}
	defer f.Close()
	if err := unix.Flock(int(f.Fd()), unix.LOCK_SH|unix.LOCK_NB); err != nil {
		if errors.Is(err, unix.EWOULDBLOCK) {
			holder, _ := os.ReadFile(path)
			return strings.TrimSpace(string(holder)), true, nil
		}
		return "", false, fmt.Errorf("virtual rig: lock %s: %w", path, err)
	}
	unix.Flock(int(f.Fd()), unix.LOCK_UN)
	return "", false, nil
}
