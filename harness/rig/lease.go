package rig

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"golang.org/x/sys/unix"

	"github.com/camrig/camrig/harness/lab"
)

// ErrBusy is matched (errors.Is) by every "unit is leased" error.
var ErrBusy = errors.New("unit is leased")

// BusyError says who holds a unit.
type BusyError struct {
	Rig, Unit string
	// LockFile is the unit's lock file.
	LockFile string
	// Key is the unit's etcd key when the rig is leased in a lab (then
	// LockFile is empty).
	Key string
	// Holder is nil when the lock file could not be read (the holder is
	// writing it at this very moment, or it is not ours).
	Holder *Holder
	// ReservedUntil is set when the unit is reserved (Holder reserved it)
	// rather than leased.
	ReservedUntil time.Time

	revision int64 // the lab's revision when found busy (waitLab)
}

func (e *BusyError) Error() string {
	who := "another process"
	if e.Holder != nil {
		who = e.Holder.String()
	}
	if !e.ReservedUntil.IsZero() {
		return fmt.Sprintf("unit %s of rig %s is reserved by %s until %s (a command given its token in %s may use it)",
			e.Unit, e.Rig, who, e.ReservedUntil.Format(time.RFC3339), ReservationEnv)
	}
	if e.Key != "" {
		return fmt.Sprintf("unit %s of rig %s is leased by %s (etcd key %s)", e.Unit, e.Rig, who, e.Key)
	}
	return fmt.Sprintf("unit %s of rig %s is leased by %s (lock file %s)", e.Unit, e.Rig, who, e.LockFile)
}

// Is makes errors.Is(err, ErrBusy) hold.
func (e *BusyError) Is(target error) bool { return target == ErrBusy }

// Lease is the exclusive right to drive one unit. The kernel drops the
// underlying flock when the process dies, however it dies, so a lease can
// never outlive its run; Release gives it back early.
type Lease struct {
	Rig, Unit string
	// File is the lock file.
	File string
	// Holder is what this lease recorded in the lock file.
	Holder Holder
	// Reclaimed is the previous holder when it ended without releasing (the
	// lock file still named it): a crashed or killed run.
	Reclaimed *Holder

	mu sync.Mutex
	// unsafe is the dead holder until the unit has been made safe after
	// taking it over (see takeOver). Releasing the lease before that
	// writes the dead holder back, so the next run takes over again
	// instead of trusting a unit nobody made safe.
	unsafe *Holder
	// lock carries the flock. It is opened read-only, so contenders (which
	// also open read-only) closing their descriptors never look like a
	// release to LeaseAny's waiters.
	lock *os.File
	// info is the write descriptor for the holder record. It is closed last
	// on Release: that close is the event LeaseAny's waiters wake on.
	info *os.File
	// remote is the etcd lease when the rig is leased in a lab (then lock
	// and info are nil and File is the etcd key).
	remote *lab.Lease
}

// held is every lease this process holds, by lock file. flock alone would
// refuse a second lease from the same process too (each open is its own
// lock), but the registry answers without touching the file and names us.
var (
	heldMu sync.Mutex
	held   = map[string]*Lease{}
)

// LockFile is the lock file of unit.
func (r *Rig) LockFile(unit string) string {
	return filepath.Join(r.LockDir, unit+".lock")
}

// Lease takes the named unit, or fails at once with a *BusyError naming
// the holder.
func (r *Rig) Lease(unit string) (*Lease, error) {
	if _, ok := r.Unit(unit); !ok {
		return nil, fmt.Errorf("rig %s has no unit %q (units: %s)", r.Name, unit, strings.Join(r.UnitNames(), ", "))
	}
	if r.Lab == nil && r.LockDir == "" {
		return nil, fmt.Errorf("rig %s: no lock directory", r.Name)
	}
	path := r.LockFile(unit)
	if r.Lab != nil {
		path = labHeldKey(r.Name, unit)
	}
	heldMu.Lock()
	defer heldMu.Unlock()
	if l, ok := held[path]; ok {
		h := l.Holder
		if r.Lab != nil {
			return nil, &BusyError{Rig: r.Name, Unit: unit, Key: l.File, Holder: &h}
		}
		return nil, &BusyError{Rig: r.Name, Unit: unit, LockFile: path, Holder: &h}
	}
	acquire := func(unit, path string) (*Lease, error) {
		// Reserved with another token: refused before taking the lock,
		// naming who reserved it (reserveLocal itself holds the lock and
		// replaces the file atomically).
		if err := r.checkLocalReservation(unit); err != nil {
			return nil, err
		}
		return r.acquire(unit, path)
	}
	if r.Lab != nil {
		acquire = func(unit, _ string) (*Lease, error) { return r.leaseLab(unit) }
	}
	l, err := acquire(unit, path)
	if err != nil {
		return nil, err
	}
	held[path] = l
	return l, nil
}

func (r *Rig) acquire(unit, path string) (*Lease, error) {
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return nil, fmt.Errorf("lease %s of rig %s: lock directory: %w", unit, r.Name, err)
	}
	lock, err := os.OpenFile(path, os.O_RDONLY|os.O_CREATE, 0o644)
	if err != nil {
		return nil, fmt.Errorf("lease %s of rig %s: %w", unit, r.Name, err)
	}
	if err := flock(lock, unix.LOCK_EX|unix.LOCK_NB); err != nil {
		defer lock.Close()
		if errors.Is(err, unix.EWOULDBLOCK) {
			busy := &BusyError{Rig: r.Name, Unit: unit, LockFile: path}
			if h, ok := parseHolder(readAll(lock)); ok {
				busy.Holder = &h
			}
			return nil, busy
		}
		return nil, fmt.Errorf("lease %s of rig %s: flock %s: %w", unit, r.Name, path, err)
	}
	l := &Lease{Rig: r.Name, Unit: unit, File: path, Holder: currentHolder(r.clock().Now()), lock: lock}
	if prev, ok := parseHolder(readAll(lock)); ok {
		l.Reclaimed, l.unsafe = &prev, &prev
		slog.Warn("rig: reclaimed the lease of a run that ended without releasing it",
			"rig", r.Name, "unit", unit, "previous", prev.String(), "process", processState(prev))
	}
	info, err := os.OpenFile(path, os.O_WRONLY, 0)
	if err == nil {
		err = writeHolder(info, l.Holder)
		if err != nil {
			info.Close()
		}
	}
	if err != nil {
		lock.Close()
		return nil, fmt.Errorf("lease %s of rig %s: recording holder in %s: %w", unit, r.Name, path, err)
	}
	l.info = info
	return l, nil
}

func writeHolder(f *os.File, h Holder) error {
	if err := f.Truncate(0); err != nil {
		return err
	}
	_, err := f.WriteAt(h.marshal(), 0)
	return err
}

// readAll reads a lock file from the start; a short or failed read is just
// an unknown holder.
func readAll(f *os.File) []byte {
	b, _ := io.ReadAll(io.NewSectionReader(f, 0, 64<<10))
	return b
}

func flock(f *os.File, how int) error {
	for {
		err := unix.Flock(int(f.Fd()), how)
		if !errors.Is(err, unix.EINTR) {
			return err
		}
	}
}

// processState says whether a reclaimed holder is gone, for the log.
func processState(h Holder) string {
	if host, _ := os.Hostname(); h.Host != host {
		return "on another host"
	}
	if err := unix.Kill(h.PID, 0); errors.Is(err, unix.ESRCH) {
		return "exited"
	}
	return "running, but no longer holds the lock"
}

// pendingTakeOver is the dead holder whose unit has not been made safe yet
// (nil: nothing to take over, or done).
func (l *Lease) pendingTakeOver() *Holder {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.unsafe
}

// madeSafe records that the unit taken over is in its safe state.
func (l *Lease) madeSafe() {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.unsafe = nil
}

// Release gives the unit back. It is safe to call more than once.
func (l *Lease) Release() error {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.remote != nil {
		return l.releaseRemote()
	}
	if l.lock == nil {
		return nil
	}
	heldMu.Lock()
	delete(held, l.File)
	heldMu.Unlock()
	// Empty the record first: a non-empty file with a free lock means "the
	// holder died", which is not what happened -- unless the unit was taken
	// over from a dead holder and could not be made safe: then the dead
	// holder's record stays for the next run.
	var errs []error
	if l.unsafe != nil {
		errs = append(errs, writeHolder(l.info, *l.unsafe))
	} else {
		errs = append(errs, l.info.Truncate(0))
	}
	errs = append(errs, flock(l.lock, unix.LOCK_UN), l.lock.Close(), l.info.Close())
	l.lock, l.info = nil, nil
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("release %s of rig %s: %w", l.Unit, l.Rig, err)
	}
	return nil
}

// LeaseAny takes the first free unit among candidates (all units when none
// are given), in order. When every candidate is busy it waits for one to be
// released, until ctx ends; then the error lists every holder.
func (r *Rig) LeaseAny(ctx context.Context, candidates ...string) (*Lease, error) {
	if len(candidates) == 0 {
		candidates = r.UnitNames()
	}
	if len(candidates) == 0 {
		return nil, fmt.Errorf("rig %s has no units to lease", r.Name)
	}
	for _, c := range candidates {
		if _, ok := r.Unit(c); !ok {
			return nil, fmt.Errorf("rig %s has no unit %q (units: %s)", r.Name, c, strings.Join(r.UnitNames(), ", "))
		}
	}
	var w *releaseWatch
	defer func() {
		if w != nil {
			w.Close()
		}
	}()
	for {
		var busy []error
		for _, c := range candidates {
			l, err := r.Lease(c)
			if err == nil {
				return l, nil
			}
			if !errors.Is(err, ErrBusy) {
				return nil, err
			}
			busy = append(busy, err)
		}
		if r.Lab != nil {
			if err := r.waitLab(ctx, busy); err != nil {
				return nil, fmt.Errorf("no free unit among %s of rig %s: %w\n%w",
					strings.Join(candidates, ", "), r.Name, err, errors.Join(busy...))
			}
			continue
		}
		if w == nil {
			// Watch only once everything was busy, then try again before
			// waiting, so a release between the two is not missed.
			var err error
			if w, err = watchReleases(r.LockDir); err != nil {
				return nil, fmt.Errorf("rig %s: waiting for a free unit: %w", r.Name, err)
			}
			continue
		}
		if err := w.wait(ctx, r.clock()); err != nil {
			return nil, fmt.Errorf("no free unit among %s of rig %s: %w\n%w",
				strings.Join(candidates, ", "), r.Name, err, errors.Join(busy...))
		}
	}
}
