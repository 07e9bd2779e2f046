package rig

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/camrig/camrig/harness/internal/inputfile"
	"github.com/camrig/camrig/harness/lab"
)

// On one host (no lab section) a reservation is a file beside the unit's
// lock file: the same record as in etcd (holder, the token's SHA-256, an
// end), honoured by every lease of the lock directory until it ends.

// ReservationFile is unit's reservation file.
func (r *Rig) ReservationFile(unit string) string {
	return filepath.Join(r.LockDir, unit+".reservation")
}

// maxReservation bounds reading a reservation file (it is a few hundred
// bytes; anything bigger is not ours).
const maxReservation = 16 << 10

// localReservation reads unit's reservation; nil when there is none or it
// has ended.
func (r *Rig) localReservation(unit string) (*lab.Reservation, error) {
	data, err := inputfile.Read(r.ReservationFile(unit), maxReservation)
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("reservation of %s: %w", unit, err)
	}
	var res lab.Reservation
	if json.Unmarshal(data, &res) != nil || res.TokenHash == "" {
		return nil, fmt.Errorf("reservation of %s: %s is not a camrig reservation (remove it if it is stale)", unit, r.ReservationFile(unit))
	}
	if !r.clock().Now().Before(res.Until) {
		return nil, nil
	}
	return &res, nil
}

// checkLocalReservation refuses a lease on a unit reserved with another
// token than CAMRIG_RESERVATION's.
func (r *Rig) checkLocalReservation(unit string) error {
	res, err := r.localReservation(unit)
	if err != nil || res == nil || res.Admits(os.Getenv(ReservationEnv)) {
		return err
	}
	be := &BusyError{Rig: r.Name, Unit: unit, LockFile: r.ReservationFile(unit), ReservedUntil: res.Until}
	if h, ok := parseHolder(res.Holder); ok {
		be.Holder = &h
	}
	return be
}

func (r *Rig) reserveLocal(unit string, d time.Duration) (string, time.Time, error) {
	if d < time.Second {
		return "", time.Time{}, fmt.Errorf("reserve %s: duration %v: want at least 1s", unit, d)
	}
	if r.LockDir == "" {
		return "", time.Time{}, fmt.Errorf("rig %s: no lock directory", r.Name)
	}
	if err := os.MkdirAll(r.LockDir, 0o755); err != nil {
		return "", time.Time{}, fmt.Errorf("reserve %s: %w", unit, err)
	}
	// The unit's flock serialises reservations as it does leases.
	l, err := r.Lease(unit)
	if err != nil {
		return "", time.Time{}, err
	}
	defer l.Release()
	token, err := lab.NewToken()
	if err != nil {
		return "", time.Time{}, fmt.Errorf("reserve %s: %w", unit, err)
	}
	now := r.clock().Now()
	res := lab.NewReservation(currentHolder(now).marshal(), token, now.Add(d))
	data, _ := json.Marshal(res) // plain fields cannot fail
	tmp := r.ReservationFile(unit) + ".tmp"
	if err := os.WriteFile(tmp, data, 0o644); err != nil {
		return "", time.Time{}, fmt.Errorf("reserve %s: %w", unit, err)
	}
	if err := os.Rename(tmp, r.ReservationFile(unit)); err != nil {
		os.Remove(tmp)
		return "", time.Time{}, fmt.Errorf("reserve %s: %w", unit, err)
	}
	return token, res.Until, nil
}

func (r *Rig) unreserveLocal(unit, token string) error {
	res, err := r.localReservation(unit)
	if err != nil {
		return err
	}
	if res == nil {
		return fmt.Errorf("release %s: the unit is not reserved", unit)
	}
	if !res.Admits(token) {
		be := &BusyError{Rig: r.Name, Unit: unit, LockFile: r.ReservationFile(unit), ReservedUntil: res.Until}
		if h, ok := parseHolder(res.Holder); ok {
			be.Holder = &h
		}
		return be
	}
	if err := os.Remove(r.ReservationFile(unit)); err != nil {
		return fmt.Errorf("release %s: %w", unit, err)
	}
	return nil
}
