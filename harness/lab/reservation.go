package lab

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"time"

	clientv3 "go.etcd.io/etcd/client/v3"
)

// A reservation holds a unit for a person across commands: only leases
// given its token may take the unit until it expires or is released. It
// is an etcd key bound to a lease of the reservation's duration that
// nobody keeps alive, so a forgotten reservation ends by itself.

// Reservation is one unit's reservation as stored.
type Reservation struct {
	// Holder is the reserving holder's record.
	Holder []byte `json:"holder"`
	// TokenHash is the SHA-256 of the token: the token itself never
	// reaches the cluster, so reading the key does not grant the unit.
	TokenHash string    `json:"token_sha256"`
	Until     time.Time `json:"until"`

	revision int64
	lease    clientv3.LeaseID
}

func (r Reservation) admits(token string) bool {
	if token == "" {
		return false
	}
	return subtle.ConstantTimeCompare([]byte(hashToken(token)), []byte(r.TokenHash)) == 1
}

// Admits says whether token is this reservation's.
func (r Reservation) Admits(token string) bool { return r.admits(token) }

func hashToken(token string) string {
	h := sha256.Sum256([]byte(token))
	return hex.EncodeToString(h[:])
}

// NewToken makes a reservation token: 128 random bits, hex.
func NewToken() (string, error) {
	b := make([]byte, 16)
	if _, err := rand.Read(b); err != nil {
		return "", err
	}
	return hex.EncodeToString(b), nil
}

// ReservedError says a unit is reserved by someone else.
type ReservedError struct {
	Name        string
	Reservation Reservation
}

func (e *ReservedError) Error() string {
	return fmt.Sprintf("unit %s is reserved until %s", e.Name, e.Reservation.Until.Format(time.RFC3339))
}

func (s *Store) reservation(ctx context.Context, name string) (*Reservation, error) {
	resp, err := s.cli.Get(ctx, s.reservationKey(name))
	if err != nil {
		return nil, s.unavailable("reservation of "+name, err)
	}
	if len(resp.Kvs) == 0 {
		return nil, nil
	}
	var r Reservation
	if err := json.Unmarshal(resp.Kvs[0].Value, &r); err != nil || r.TokenHash == "" {
		// Not ours to interpret: treat it as a reservation nobody can
		// use rather than as none, and say where it is.
		return nil, fmt.Errorf("reservation of %s: key %s does not hold a camrig reservation", name, s.reservationKey(name))
	}
	r.revision, r.lease = resp.Kvs[0].ModRevision, clientv3.LeaseID(resp.Kvs[0].Lease)
	return &r, nil
}

// Reserve reserves the named unit for d and returns the token that admits
// leases to it. A unit already reserved fails with a *ReservedError; a
// unit leased right now is reserved all the same (its run goes on; the
// next lease needs the token).
func (s *Store) Reserve(ctx context.Context, name string, holder []byte, d time.Duration) (string, *Reservation, error) {
	if d < time.Second {
		return "", nil, fmt.Errorf("reserve %s: duration %v: want at least 1s", name, d)
	}
	token, err := NewToken()
	if err != nil {
		return "", nil, fmt.Errorf("reserve %s: %w", name, err)
	}
	rctx, cancel := s.request(ctx)
	defer cancel()
	res := Reservation{Holder: holder, TokenHash: hashToken(token), Until: s.clock().Now().Add(d)}
	val, _ := json.Marshal(res) // plain fields cannot fail
	grant, err := s.cli.Grant(rctx, int64((d+time.Second-1)/time.Second))
	if err != nil {
		return "", nil, s.unavailable("reserve "+name, err)
	}
	key := s.reservationKey(name)
	resp, err := s.cli.Txn(rctx).
		If(clientv3.Compare(clientv3.CreateRevision(key), "=", 0)).
		Then(clientv3.OpPut(key, string(val), clientv3.WithLease(grant.ID))).
		Commit()
	if err != nil {
		s.revoke(grant.ID)
		return "", nil, s.unavailable("reserve "+name, err)
	}
	if !resp.Succeeded {
		s.revoke(grant.ID)
		cur, err := s.reservation(rctx, name)
		if err != nil {
			return "", nil, err
		}
		if cur == nil {
			return "", nil, fmt.Errorf("reserve %s: the previous reservation ended just now; try again", name)
		}
		return "", nil, &ReservedError{Name: name, Reservation: *cur}
	}
	res.lease = grant.ID
	return token, &res, nil
}

// Unreserve ends the named unit's reservation if token is its own.
func (s *Store) Unreserve(ctx context.Context, name, token string) error {
	rctx, cancel := s.request(ctx)
	defer cancel()
	cur, err := s.reservation(rctx, name)
	if err != nil {
		return err
	}
	if cur == nil {
		return fmt.Errorf("release %s: the unit is not reserved", name)
	}
	if !cur.admits(token) {
		return &ReservedError{Name: name, Reservation: *cur}
	}
	key := s.reservationKey(name)
	resp, err := s.cli.Txn(rctx).
		If(clientv3.Compare(clientv3.ModRevision(key), "=", cur.revision)).
		Then(clientv3.OpDelete(key)).
		Commit()
	if err != nil {
		return s.unavailable("release "+name, err)
	}
	if !resp.Succeeded {
		return fmt.Errorf("release %s: the reservation changed meanwhile; check `camrig who`", name)
	}
	s.cli.Revoke(rctx, cur.lease)
	return nil
}

// NewReservation is the record of a reservation made for holder with
// token, for a store other than etcd (a host's lock directory).
func NewReservation(holder []byte, token string, until time.Time) Reservation {
	return Reservation{Holder: holder, TokenHash: hashToken(token), Until: until}
}
