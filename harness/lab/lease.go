package lab

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	clientv3 "go.etcd.io/etcd/client/v3"
)

// BusyError says a unit is held; Record is the holder's record (nil when
// it vanished between the two reads) and Expires when its lease runs out
// unless renewed.
type BusyError struct {
	Name, Key string
	Record    []byte
	// Revision is the cluster's revision when the unit was found busy:
	// Wait watches for a release after it.
	Revision int64
}

func (e *BusyError) Error() string {
	return fmt.Sprintf("unit %s is leased (etcd key %s)", e.Name, e.Key)
}

// ErrLost is matched (errors.Is) by the error of a lease that stopped
// being renewed.
var ErrLost = errors.New("lease lost")

// LostError says why a held lease ended without Release.
type LostError struct {
	Name   string
	Reason string
	// Cause is the client's error, if any.
	Cause error
}

func (e *LostError) Error() string {
	s := fmt.Sprintf("lease on unit %s lost: %s", e.Name, e.Reason)
	if e.Cause != nil {
		s += ": " + e.Cause.Error()
	}
	return s
}

// Is makes errors.Is(err, ErrLost) hold.
func (e *LostError) Is(target error) bool { return target == ErrLost }

// Unwrap gives the client's error.
func (e *LostError) Unwrap() error { return e.Cause }

// Lease is one unit held in etcd. Its keep-alive runs until Release; when
// the cluster stops confirming it, Lost is closed and Err says why.
type Lease struct {
	Name, Key string
	// Previous is the record of a holder that ended without releasing the
	// unit (nil: the unit was released properly, or never held).
	Previous []byte

	s      *Store
	id     clientv3.LeaseID
	cancel context.CancelFunc
	done   chan struct{}
	lost   chan struct{}

	// claim: a shared run's claim (run.go), not a unit lease.
	claim bool

	mu       sync.Mutex
	err      error
	released bool
}

// Acquire takes the named unit for record, or fails with a *BusyError, a
// *ReservedError (someone else reserved it and token is not theirs) or an
// error wrapping ErrUnavailable.
func (s *Store) Acquire(ctx context.Context, name string, record []byte, token string) (*Lease, error) {
	// A reservation may change between reading it and the transaction;
	// the transaction compares its revision, so a race is only retried.
	for attempt := 0; ; attempt++ {
		l, retry, err := s.tryAcquire(ctx, name, record, token)
		if !retry || attempt == 3 {
			return l, err
		}
	}
}

func (s *Store) tryAcquire(ctx context.Context, name string, record []byte, token string) (_ *Lease, retry bool, _ error) {
	rctx, cancel := s.request(ctx)
	defer cancel()
	res, err := s.reservation(rctx, name)
	if err != nil {
		return nil, false, err
	}
	resCmp := clientv3.Compare(clientv3.CreateRevision(s.reservationKey(name)), "=", 0)
	if res != nil {
		if !res.admits(token) {
			return nil, false, &ReservedError{Name: name, Reservation: *res}
		}
		resCmp = clientv3.Compare(clientv3.ModRevision(s.reservationKey(name)), "=", res.revision)
	}
	grant, err := s.cli.Grant(rctx, s.ttlSeconds())
	if err != nil {
		return nil, false, s.unavailable("lease "+name, err)
	}
	hk, lk := s.holderKey(name), s.lastKey(name)
	resp, err := s.cli.Txn(rctx).
		If(clientv3.Compare(clientv3.CreateRevision(hk), "=", 0), resCmp).
		Then(clientv3.OpGet(lk), clientv3.OpPut(hk, string(record), clientv3.WithLease(grant.ID)),
			clientv3.OpPut(lk, string(record))).
		Else(clientv3.OpGet(hk)).
		Commit()
	if err != nil {
		s.revoke(grant.ID)
		return nil, false, s.unavailable("lease "+name, err)
	}
	if !resp.Succeeded {
		s.revoke(grant.ID)
		kvs := resp.Responses[0].GetResponseRange().GetKvs()
		if len(kvs) == 0 {
			// Not held: the reservation changed under us.
			return nil, true, &BusyError{Name: name, Key: hk, Revision: resp.Header.Revision}
		}
		return nil, false, &BusyError{Name: name, Key: hk, Record: kvs[0].Value, Revision: resp.Header.Revision}
	}
	l := &Lease{Name: name, Key: hk, s: s, id: grant.ID, done: make(chan struct{}), lost: make(chan struct{})}
	if kvs := resp.Responses[0].GetResponseRange().GetKvs(); len(kvs) > 0 && len(kvs[0].Value) > 0 {
		l.Previous = kvs[0].Value
	}
	if err := l.keepAlive(); err != nil {
		l.Release(context.WithoutCancel(ctx), l.Previous)
		return nil, false, err
	}
	return l, false, nil
}

// revoke gives back a lease granted for nothing; if the cluster does not
// answer, it expires by itself.
func (s *Store) revoke(id clientv3.LeaseID) {
	ctx, cancel := s.request(context.Background())
	defer cancel()
	s.cli.Revoke(ctx, id)
}

// keepAlive starts renewing the lease. The client renews every TTL/3; the
// watchdog declares the lease lost after 2/3 of the TTL without a
// confirmation, so the holder stops driving and makes its unit safe while
// the server still counts the lease as its own (the server frees it only
// a whole TTL after the last renewal).
func (l *Lease) keepAlive() error {
	ctx, cancel := context.WithCancel(context.Background())
	ch, err := l.s.cli.KeepAlive(ctx, l.id)
	if err != nil {
		cancel()
		return l.s.unavailable("keep-alive of "+l.Name, err)
	}
	l.cancel = cancel
	grace := l.s.cfg.TTL * 2 / 3
	go func() {
		defer close(l.done)
		t := l.s.clock().NewTimer(grace)
		defer t.Stop()
		for {
			select {
			case resp, ok := <-ch:
				switch {
				case !ok:
					l.lose("the etcd client ended the keep-alive", ctx.Err())
					return
				case resp.TTL <= 0:
					l.lose("etcd says the lease expired", nil)
					return
				}
				t.Stop()
				t.Reset(grace)
			case <-t.C():
				l.lose(fmt.Sprintf("no keep-alive confirmed by etcd for %v (ttl %v)", grace, l.s.cfg.TTL), nil)
				cancel()
				// Drain until the client closes the channel.
				for range ch {
				}
				return
			}
		}
	}()
	return nil
}

func (l *Lease) lose(reason string, cause error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.released || l.err != nil {
		return
	}
	if errors.Is(cause, context.Canceled) {
		cause = nil
	}
	l.err = &LostError{Name: l.Name, Reason: reason, Cause: cause}
	close(l.lost)
	l.s.log.Error("lab: lease lost", "unit", l.Name, "reason", reason)
}

// Lost is closed when the lease stopped being confirmed (not on Release).
func (l *Lease) Lost() <-chan struct{} { return l.lost }

// Err is nil while the lease is live, a *LostError after it was lost.
func (l *Lease) Err() error {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.err
}

// Release gives the unit back. restore is what the "last holder" record
// keeps: nil for a unit left safe, the dead holder's record when this
// holder took over but could not make the unit safe, so the next one
// takes over again. Safe to call more than once.
func (l *Lease) Release(ctx context.Context, restore []byte) error {
	l.mu.Lock()
	if l.released {
		l.mu.Unlock()
		return nil
	}
	l.released = true
	lost := l.err
	l.mu.Unlock()
	if l.cancel != nil {
		l.cancel()
		<-l.done
	}
	rctx, cancel := l.s.request(context.WithoutCancel(ctx))
	defer cancel()
	ops := []clientv3.Op{clientv3.OpDelete(l.Key)}
	switch {
	case l.claim:
		// A run claim has no take-over record.
	case restore != nil:
		ops = append(ops, clientv3.OpPut(l.s.lastKey(l.Name), string(restore)))
	default:
		ops = append(ops, clientv3.OpDelete(l.s.lastKey(l.Name)))
	}
	// Only while the key is still ours: after a loss, another holder may
	// own the unit and its record.
	_, err := l.s.cli.Txn(rctx).
		If(clientv3.Compare(clientv3.LeaseValue(l.Key), "=", l.id)).
		Then(ops...).
		Commit()
	if err == nil {
		_, err = l.s.cli.Revoke(rctx, l.id)
		if err != nil && lost != nil {
			err = nil // already expired
		}
	}
	if err != nil {
		return l.s.unavailable("release "+l.Name, err)
	}
	return nil
}

// Wait returns when a unit or reservation under the prefix was deleted
// (released, expired, unreserved) after revision, or ctx ends.
func (s *Store) Wait(ctx context.Context, revision int64) error {
	wctx, cancel := context.WithCancel(clientv3.WithRequireLeader(ctx))
	defer cancel()
	ch := s.cli.Watch(wctx, s.cfg.Prefix, clientv3.WithPrefix(), clientv3.WithRev(revision+1),
		clientv3.WithFilterPut())
	for {
		select {
		case <-ctx.Done():
			return ctx.Err()
		case resp, ok := <-ch:
			if !ok {
				return ctx.Err()
			}
			if err := resp.Err(); err != nil {
				return s.unavailable("waiting for a release", err)
			}
			if len(resp.Events) > 0 {
				return nil
			}
		}
	}
}

// Entry is one unit as the cluster knows it, for `camrig who`.
type Entry struct {
	Name string
	// Holder is the holder's record (nil: free).
	Holder []byte
	// Expires is when the holder's lease runs out unless renewed.
	Expires time.Time
	// Reservation is nil when the unit is not reserved.
	Reservation *Reservation
}

// Entries reads what the cluster holds about the named units, in order.
func (s *Store) Entries(ctx context.Context, names []string) ([]Entry, error) {
	rctx, cancel := s.request(ctx)
	defer cancel()
	out := make([]Entry, len(names))
	for i, n := range names {
		out[i].Name = n
		resp, err := s.cli.Get(rctx, s.holderKey(n))
		if err != nil {
			return nil, s.unavailable("who", err)
		}
		if len(resp.Kvs) > 0 {
			out[i].Holder = resp.Kvs[0].Value
			if ttl, err := s.cli.TimeToLive(rctx, clientv3.LeaseID(resp.Kvs[0].Lease)); err == nil && ttl.TTL > 0 {
				out[i].Expires = s.clock().Now().Add(time.Duration(ttl.TTL) * time.Second)
			}
		}
		res, err := s.reservation(rctx, n)
		if err != nil {
			return nil, err
		}
		out[i].Reservation = res
	}
	return out, nil
}
