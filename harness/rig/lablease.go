package rig

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"strings"
	"time"

	"github.com/camrig/camrig/harness/lab"
)

// ReservationEnv carries a reservation token (printed by `camrig reserve`)
// to the commands and suites that may use the reserved unit.
const ReservationEnv = "CAMRIG_RESERVATION"

// RunIDEnv names the run a lease is taken for (the suites' --run-id): it
// is recorded with the holder, so `camrig who` tells a nightly run's units
// from an engineer's.
const RunIDEnv = "CAMRIG_RUN_ID"

// LabStore connects to the rig's lab cluster once and returns the
// connection (an error when the rig file has no lab section).
func (r *Rig) LabStore() (*lab.Store, error) {
	if r.Lab == nil {
		return nil, fmt.Errorf("rig %s has no lab section", r.Name)
	}
	r.labMu.Lock()
	defer r.labMu.Unlock()
	if r.labStore != nil {
		return r.labStore, nil
	}
	cfg := *r.Lab
	cfg.Clock = r.Clock
	s, err := lab.Open(cfg, slog.Default().With("rig", r.Name))
	if err != nil {
		return nil, fmt.Errorf("rig %s: %w", r.Name, err)
	}
	r.labStore = s
	return s, nil
}

// Close disconnects from the lab cluster, if the rig connected. Leases
// still held are not released by it (release them first).
func (r *Rig) Close() error {
	r.labMu.Lock()
	defer r.labMu.Unlock()
	if r.labStore == nil {
		return nil
	}
	err := r.labStore.Close()
	r.labStore = nil
	return err
}

// leaseLab takes unit in the lab's etcd: the same Lease, holder record and
// take-over as a lock file, kept alive by the etcd client.
func (r *Rig) leaseLab(unit string) (*Lease, error) {
	store, err := r.LabStore()
	if err != nil {
		return nil, err
	}
	h := currentHolder(r.clock().Now())
	key := store.Key(unit)
	ll, err := store.Acquire(context.Background(), unit, h.marshal(), os.Getenv(ReservationEnv))
	var busy *lab.BusyError
	var reserved *lab.ReservedError
	switch {
	case errors.As(err, &busy):
		be := &BusyError{Rig: r.Name, Unit: unit, Key: key, revision: busy.Revision}
		if h, ok := parseHolder(busy.Record); ok {
			be.Holder = &h
		}
		return nil, be
	case errors.As(err, &reserved):
		return nil, reservedBusy(r.Name, unit, store, err)
	case err != nil:
		return nil, fmt.Errorf("lease %s of rig %s: %w", unit, r.Name, err)
	}
	l := &Lease{Rig: r.Name, Unit: unit, File: key, Holder: h, remote: ll}
	if prev, ok := parseHolder(ll.Previous); ok {
		l.Reclaimed, l.unsafe = &prev, &prev
		slog.Warn("rig: reclaimed the lease of a run that ended without releasing it",
			"rig", r.Name, "unit", unit, "previous", prev.String(), "process", processState(prev))
	}
	return l, nil
}

// labHeldKey is a lab lease's key in this process's registry of held
// leases (lock-file leases are registered by their path).
func labHeldKey(rig, unit string) string { return "etcd:" + rig + "/" + unit }

// releaseRemote gives an etcd lease back; the caller holds l.mu.
func (l *Lease) releaseRemote() error {
	heldMu.Lock()
	delete(held, labHeldKey(l.Rig, l.Unit))
	heldMu.Unlock()
	var restore []byte
	if l.unsafe != nil {
		restore = l.unsafe.marshal()
	}
	ctx, cancel := context.WithTimeout(context.Background(), safeTimeout)
	defer cancel()
	if err := l.remote.Release(ctx, restore); err != nil {
		return fmt.Errorf("release %s of rig %s: %w", l.Unit, l.Rig, err)
	}
	return nil
}

// Err is nil while the lease is live. An etcd lease whose keep-alive
// stopped being confirmed returns why (errors.Is(err, lab.ErrLost)); a
// lock-file lease lives until Release.
func (l *Lease) Err() error {
	if l.remote == nil {
		return nil
	}
	return l.remote.Err()
}

// Lost is closed when the lease is lost (never, for a lock file).
func (l *Lease) Lost() <-chan struct{} {
	if l.remote == nil {
		return nil
	}
	return l.remote.Lost()
}

// waitLab waits for any unit or reservation of the rig to be released
// after the busy errors' revision.
func (r *Rig) waitLab(ctx context.Context, busy []error) error {
	store, err := r.LabStore()
	if err != nil {
		return err
	}
	rev := int64(0)
	for _, e := range busy {
		var be *BusyError
		if errors.As(e, &be) && be.revision > 0 && (rev == 0 || be.revision < rev) {
			rev = be.revision
		}
	}
	if rev == 0 {
		// A reservation: it ends by release or expiry; the watch from
		// now on sees both.
		rev = -1
	}
	return store.Wait(ctx, rev)
}

// Reserved says until when a BusyError's unit is reserved (zero: it is
// leased, not reserved).
func (e *BusyError) Reserved() (time.Time, bool) { return e.ReservedUntil, !e.ReservedUntil.IsZero() }

// Reserve holds unit for d across commands and returns the token that
// admits leases to it (give it to them in CAMRIG_RESERVATION) and when the
// reservation ends.
func (r *Rig) Reserve(ctx context.Context, unit string, d time.Duration) (string, time.Time, error) {
	if _, ok := r.Unit(unit); !ok {
		return "", time.Time{}, fmt.Errorf("rig %s has no unit %q (units: %s)", r.Name, unit, strings.Join(r.UnitNames(), ", "))
	}
	if r.Lab == nil {
		return r.reserveLocal(unit, d)
	}
	store, err := r.LabStore()
	if err != nil {
		return "", time.Time{}, err
	}
	h := currentHolder(r.clock().Now())
	token, res, err := store.Reserve(ctx, unit, h.marshal(), d)
	if be := reservedBusy(r.Name, unit, store, err); be != nil {
		return "", time.Time{}, be
	}
	if err != nil {
		return "", time.Time{}, fmt.Errorf("rig %s: %w", r.Name, err)
	}
	return token, res.Until, nil
}

// Unreserve ends unit's reservation, given its token.
func (r *Rig) Unreserve(ctx context.Context, unit, token string) error {
	if _, ok := r.Unit(unit); !ok {
		return fmt.Errorf("rig %s has no unit %q (units: %s)", r.Name, unit, strings.Join(r.UnitNames(), ", "))
	}
	if r.Lab == nil {
		return r.unreserveLocal(unit, token)
	}
	store, err := r.LabStore()
	if err != nil {
		return err
	}
	if err := store.Unreserve(ctx, unit, token); err != nil {
		if be := reservedBusy(r.Name, unit, store, err); be != nil {
			return be
		}
		return fmt.Errorf("rig %s: %w", r.Name, err)
	}
	return nil
}

// reservedBusy turns the lab's "reserved by someone else" into the
// BusyError every caller knows, naming who reserved the unit (nil when err
// is something else).
func reservedBusy(rigName, unit string, store *lab.Store, err error) *BusyError {
	var reserved *lab.ReservedError
	if !errors.As(err, &reserved) {
		return nil
	}
	be := &BusyError{Rig: rigName, Unit: unit, Key: store.Key(unit), ReservedUntil: reserved.Reservation.Until}
	if h, ok := parseHolder(reserved.Reservation.Holder); ok {
		be.Holder = &h
	}
	return be
}
