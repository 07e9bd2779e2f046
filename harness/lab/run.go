package lab

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"

	clientv3 "go.etcd.io/etcd/client/v3"
)

// One nightly run may be shared by several runner processes (on several
// hosts) given the same run id: each unit is run by exactly one of them,
// the first to claim it; the others skip it. A runner that dies mid-unit
// stops renewing its claim, which expires with its TTL; the unit is then
// claimed once more by another runner, as a retry, and never a third time.
//
//	<prefix>runs/<run>/<unit>/state  RunState (no lease: outlives runners)
//	<prefix>runs/<run>/<unit>/claim  the running runner's record, bound to
//	                                 its kept-alive lease

// RunState is what a shared run knows about one unit.
type RunState struct {
	// Runner is the record of the runner that claimed the unit last.
	Runner []byte `json:"runner"`
	// Attempts counts claims: 1, or 2 after a retry.
	Attempts int `json:"attempts"`
	// Done is set when the claimant finished the unit (whatever its specs
	// said).
	Done bool `json:"done"`
	// Previous is the runner that died holding the first attempt.
	Previous []byte `json:"previous,omitempty"`
}

// MaxAttempts is how often a unit of a shared run is started: once, and
// once more when its runner died.
const MaxAttempts = 2

// Claim is a runner's right to run a unit of a shared run.
type Claim struct {
	Run, Unit string
	// Retry is set when an earlier runner died mid-unit (Previous names it).
	Retry    bool
	Previous []byte
	lease    *Lease
	s        *Store
	stateKey string
}

// NotOursError says another runner has (or had) the unit.
type NotOursError struct {
	Run, Unit string
	State     RunState
	// Running is set while the other runner still holds its claim.
	Running bool
	// Revision is the cluster's when this was read: Wait after it sees
	// the claim expire.
	Revision int64
}

func (e *NotOursError) Error() string {
	switch {
	case e.State.Done:
		return fmt.Sprintf("unit %s of run %s was run by another runner", e.Unit, e.Run)
	case e.Running:
		return fmt.Sprintf("unit %s of run %s is being run by another runner", e.Unit, e.Run)
	default:
		return fmt.Sprintf("unit %s of run %s was given up after %d attempts", e.Unit, e.Run, e.State.Attempts)
	}
}

func (s *Store) runStateKey(run, unit string) string { return s.runKey(run, unit) + "/state" }
func (s *Store) runClaimKey(run, unit string) string { return s.runKey(run, unit) + "/claim" }

// ClaimRun claims unit for this runner in the shared run, or fails with a
// *NotOursError saying who has it.
func (s *Store) ClaimRun(ctx context.Context, run, unit string, record []byte) (*Claim, error) {
	if run == "" {
		return nil, fmt.Errorf("claim %s: no run id", unit)
	}
	rctx, cancel := s.request(ctx)
	defer cancel()
	sk, ck := s.runStateKey(run, unit), s.runClaimKey(run, unit)
	resp, err := s.cli.Txn(rctx).Then(clientv3.OpGet(sk), clientv3.OpGet(ck)).Commit()
	if err != nil {
		return nil, s.unavailable("claim "+unit, err)
	}
	var st RunState
	stateRev := int64(0)
	if kvs := resp.Responses[0].GetResponseRange().GetKvs(); len(kvs) > 0 {
		if json.Unmarshal(kvs[0].Value, &st) != nil {
			return nil, fmt.Errorf("claim %s: key %s does not hold a camrig run state", unit, sk)
		}
		stateRev = kvs[0].ModRevision
	}
	running := len(resp.Responses[1].GetResponseRange().GetKvs()) > 0
	if stateRev != 0 && (st.Done || running || st.Attempts >= MaxAttempts) {
		return nil, &NotOursError{Run: run, Unit: unit, State: st, Running: running, Revision: resp.Header.Revision}
	}
	next := RunState{Runner: record, Attempts: st.Attempts + 1}
	if stateRev != 0 {
		next.Previous = st.Runner
	}
	val, _ := json.Marshal(next) // plain fields cannot fail
	grant, err := s.cli.Grant(rctx, s.ttlSeconds())
	if err != nil {
		return nil, s.unavailable("claim "+unit, err)
	}
	stateCmp := clientv3.Compare(clientv3.CreateRevision(sk), "=", 0)
	if stateRev != 0 {
		stateCmp = clientv3.Compare(clientv3.ModRevision(sk), "=", stateRev)
	}
	tx, err := s.cli.Txn(rctx).
		If(stateCmp, clientv3.Compare(clientv3.CreateRevision(ck), "=", 0)).
		Then(clientv3.OpPut(sk, string(val)), clientv3.OpPut(ck, string(record), clientv3.WithLease(grant.ID))).
		Commit()
	if err != nil {
		s.revoke(grant.ID)
		return nil, s.unavailable("claim "+unit, err)
	}
	if !tx.Succeeded {
		// Another runner claimed it between the read and the write.
		s.revoke(grant.ID)
		return s.ClaimRun(ctx, run, unit, record)
	}
	l := &Lease{Name: unit, Key: ck, s: s, id: grant.ID, claim: true, done: make(chan struct{}), lost: make(chan struct{})}
	if err := l.keepAlive(); err != nil {
		s.revoke(grant.ID)
		return nil, err
	}
	return &Claim{Run: run, Unit: unit, Retry: next.Attempts > 1, Previous: next.Previous, lease: l, s: s, stateKey: sk}, nil
}

// Lost is closed when the claim stopped being renewed.
func (c *Claim) Lost() <-chan struct{} { return c.lease.Lost() }

// Done marks the unit finished for the run and gives the claim back.
func (c *Claim) Done(ctx context.Context) error {
	rctx, cancel := c.s.request(context.WithoutCancel(ctx))
	defer cancel()
	resp, err := c.s.cli.Get(rctx, c.stateKey)
	if err != nil {
		return c.s.unavailable("finish "+c.Unit, err)
	}
	if len(resp.Kvs) == 0 {
		return fmt.Errorf("finish %s: run state %s vanished", c.Unit, c.stateKey)
	}
	var st RunState
	if json.Unmarshal(resp.Kvs[0].Value, &st) != nil {
		return fmt.Errorf("finish %s: key %s does not hold a camrig run state", c.Unit, c.stateKey)
	}
	st.Done = true
	val, _ := json.Marshal(st)
	// Only while the claim is still ours: a claim lost mid-unit may have
	// been retried by another runner, whose state this is now.
	tx, err := c.s.cli.Txn(rctx).
		If(clientv3.Compare(clientv3.LeaseValue(c.lease.Key), "=", c.lease.id)).
		Then(clientv3.OpPut(c.stateKey, string(val))).
		Commit()
	if err != nil {
		return c.s.unavailable("finish "+c.Unit, err)
	}
	rerr := c.lease.Release(ctx, nil)
	if !tx.Succeeded {
		return fmt.Errorf("finish %s: the claim was lost before the unit finished", c.Unit)
	}
	return rerr
}

// Abandon gives the claim back without finishing: the unit may be retried.
func (c *Claim) Abandon(ctx context.Context) error {
	return c.lease.Release(ctx, nil)
}

// AwaitClaim is ClaimRun for a runner that has nothing else to do: while
// another runner is at the unit it waits, and claims the unit as the retry
// if that runner dies (its claim expires); it returns a *NotOursError once
// the unit was finished or given up.
func (s *Store) AwaitClaim(ctx context.Context, run, unit string, record []byte) (*Claim, error) {
	for {
		c, err := s.ClaimRun(ctx, run, unit, record)
		var not *NotOursError
		if err == nil || !errors.As(err, &not) || !not.Running {
			return c, err
		}
		if err := s.Wait(ctx, not.Revision); err != nil {
			return nil, err
		}
	}
}
