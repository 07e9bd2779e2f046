package lab_test

import (
	"context"
	"errors"
	"sync"
	"testing"

	"github.com/camrig/camrig/harness/lab"
	"github.com/camrig/camrig/harness/lab/labtest"
)

// Runners sharing a run id run each unit exactly once; a runner that dies
// mid-unit loses its claim with the TTL and the unit is retried once by
// another runner, never a third time.
func TestSharedRunClaimsEachUnitOnceAndRetriesADeadRunnersUnitOnce(t *testing.T) {
	c := labtest.Start(t, 3)
	ctx := bg(t)
	runners := []*lab.Store{open(t, c, "/run/"), open(t, c, "/run/"), open(t, c, "/run/")}
	units := []string{"cam1", "cam2", "cam3", "cam4", "cam5", "cam6"}

	// Every runner tries every unit at once.
	var mu sync.Mutex
	won := map[string][]int{}
	var wg sync.WaitGroup
	for i, r := range runners {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for _, u := range units {
				cl, err := r.ClaimRun(ctx, "nightly-1", u, []byte{byte('a' + i)})
				var not *lab.NotOursError
				switch {
				case err == nil:
					mu.Lock()
					won[u] = append(won[u], i)
					mu.Unlock()
					if err := cl.Done(ctx); err != nil {
						t.Error(err)
					}
				case !errors.As(err, &not):
					t.Error(err)
				}
			}
		}()
	}
	wg.Wait()
	for _, u := range units {
		if len(won[u]) != 1 {
			t.Errorf("unit %s claimed by runners %v, want exactly one", u, won[u])
		}
	}
	// Finished: nobody runs it again, and the error says so.
	_, err := runners[0].ClaimRun(ctx, "nightly-1", "cam1", []byte("z"))
	var not *lab.NotOursError
	if !errors.As(err, &not) || !not.State.Done {
		t.Fatalf("a finished unit: want NotOurs(done), got %v", err)
	}
	// Another run id is another run.
	if cl, err := runners[0].ClaimRun(ctx, "nightly-2", "cam1", []byte("a")); err != nil {
		t.Fatal(err)
	} else {
		cl.Done(ctx)
	}

	// A runner dies mid-unit (its client stops renewing).
	dead, err := lab.Open(lab.Config{Endpoints: c.Endpoints(), TTL: ttl, Prefix: "/run/"}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := dead.ClaimRun(ctx, "nightly-3", "cam1", []byte("dead")); err != nil {
		t.Fatal(err)
	}
	_, err = runners[1].ClaimRun(ctx, "nightly-3", "cam1", []byte("b"))
	if !errors.As(err, &not) || !not.Running || string(not.State.Runner) != "dead" {
		t.Fatalf("while the first runner runs it: want NotOurs(running) naming it, got %v", err)
	}
	dead.Close()
	retry := awaitClaim(t, ctx, runners[1], "nightly-3", "cam1", "b")
	if !retry.Retry || string(retry.Previous) != "dead" {
		t.Fatalf("the second attempt must be a retry naming the dead runner: %+v", retry)
	}
	// The retrying runner dies too: no third attempt.
	retry.Abandon(ctx)
	_, err = runners[2].ClaimRun(ctx, "nightly-3", "cam1", []byte("c"))
	if !errors.As(err, &not) || not.Running || not.State.Done || not.State.Attempts != lab.MaxAttempts {
		t.Fatalf("after two attempts: want given up, got %v", err)
	}
}

// awaitClaim claims after the dead runner's claim expired, waiting on the
// cluster's own expiry event.
func awaitClaim(t *testing.T, ctx context.Context, s *lab.Store, run, unit, rec string) *lab.Claim {
	t.Helper()
	for {
		cl, err := s.ClaimRun(ctx, run, unit, []byte(rec))
		if err == nil {
			return cl
		}
		var not *lab.NotOursError
		if !errors.As(err, &not) || !not.Running {
			t.Fatalf("waiting for the retry: %v", err)
		}
		if err := s.Wait(ctx, not.Revision); err != nil {
			t.Fatal(err)
		}
	}
}
