package lab_test

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"
	"time"

	clientv3 "go.etcd.io/etcd/client/v3"
	"go.uber.org/zap"

	"github.com/camrig/camrig/harness/lab"
	"github.com/camrig/camrig/harness/lab/labtest"
	"github.com/camrig/camrig/harness/secret"
)

// ttl is short so expiry tests stay fast; etcd's minimum is 2 s.
const ttl = 2 * time.Second

func open(t *testing.T, c *labtest.Cluster, prefix string) *lab.Store {
	t.Helper()
	s, err := lab.Open(lab.Config{Endpoints: c.Endpoints(), TTL: ttl, Prefix: prefix, DialTimeout: 2 * time.Second}, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

func bg(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	t.Cleanup(cancel)
	return ctx
}

func TestLeaseIsExclusiveAcrossHostsAndNamesTheHolder(t *testing.T) {
	c := labtest.Start(t, 3)
	ctx := bg(t)
	a, b := open(t, c, "/t1/"), open(t, c, "/t1/")

	la, err := a.Acquire(ctx, "cam1", []byte(`{"host":"a"}`), "")
	if err != nil {
		t.Fatal(err)
	}
	if la.Previous != nil {
		t.Fatalf("a fresh unit has no previous holder, got %s", la.Previous)
	}
	_, err = b.Acquire(ctx, "cam1", []byte(`{"host":"b"}`), "")
	var busy *lab.BusyError
	if !errors.As(err, &busy) || string(busy.Record) != `{"host":"a"}` {
		t.Fatalf("second holder: want a BusyError naming a, got %v", err)
	}
	// Another unit is independent.
	lo, err := b.Acquire(ctx, "cam2", []byte(`{"host":"b"}`), "")
	if err != nil {
		t.Fatal(err)
	}
	defer lo.Release(ctx, nil)

	if err := la.Release(ctx, nil); err != nil {
		t.Fatal(err)
	}
	if err := la.Release(ctx, nil); err != nil {
		t.Fatalf("a second Release: %v", err)
	}
	lb, err := b.Acquire(ctx, "cam1", []byte(`{"host":"b"}`), "")
	if err != nil {
		t.Fatalf("after release: %v", err)
	}
	if lb.Previous != nil {
		t.Fatalf("a released unit is not a take-over, got previous %s", lb.Previous)
	}
	if lb.Err() != nil {
		t.Fatalf("a live lease has no error: %v", lb.Err())
	}
	lb.Release(ctx, nil)
}

func TestDeadHolderLosesTheUnitWithinTheTTLAndIsNamedAsPrevious(t *testing.T) {
	c := labtest.Start(t, 3)
	ctx := bg(t)
	b := open(t, c, "/t2/")
	a, err := lab.Open(lab.Config{Endpoints: c.Endpoints(), TTL: ttl, Prefix: "/t2/"}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := a.Acquire(ctx, "cam1", []byte(`{"host":"dead"}`), ""); err != nil {
		t.Fatal(err)
	}
	// The holder dies: its client stops renewing without releasing.
	a.Close()

	_, err = b.Acquire(ctx, "cam1", []byte(`{"host":"b"}`), "")
	var busy *lab.BusyError
	if !errors.As(err, &busy) {
		t.Fatalf("right after the death the lease still runs: want busy, got %v", err)
	}
	if err := b.Wait(ctx, busy.Revision); err != nil {
		t.Fatalf("waiting for the expiry: %v", err)
	}
	lb, err := b.Acquire(ctx, "cam1", []byte(`{"host":"b"}`), "")
	if err != nil {
		t.Fatal(err)
	}
	if string(lb.Previous) != `{"host":"dead"}` {
		t.Fatalf("take-over must name the dead holder, got %q", lb.Previous)
	}
	// Not made safe: the dead holder's record is put back for the next.
	if err := lb.Release(ctx, lb.Previous); err != nil {
		t.Fatal(err)
	}
	lc, err := b.Acquire(ctx, "cam1", []byte(`{"host":"c"}`), "")
	if err != nil {
		t.Fatal(err)
	}
	if string(lc.Previous) != `{"host":"dead"}` {
		t.Fatalf("a unit released unsafe is taken over again, got previous %q", lc.Previous)
	}
	lc.Release(ctx, nil)
}

func TestOneMemberDownRunsGoOnAllDownIsAClearError(t *testing.T) {
	c := labtest.Start(t, 3)
	ctx := bg(t)
	s := open(t, c, "/t3/")
	held, err := s.Acquire(ctx, "cam1", []byte(`{"host":"a"}`), "")
	if err != nil {
		t.Fatal(err)
	}
	c.Stop(0)
	// Another lease and a release with one member of three gone.
	l2, err := s.Acquire(ctx, "cam2", []byte(`{"host":"a"}`), "")
	if err != nil {
		t.Fatalf("with one member stopped: %v", err)
	}
	if err := l2.Release(ctx, nil); err != nil {
		t.Fatalf("release with one member stopped: %v", err)
	}
	if err := held.Err(); err != nil {
		t.Fatalf("a lease survives one member stopping: %v", err)
	}

	c.StopAll()
	select {
	case <-held.Lost():
	case <-ctx.Done():
		t.Fatal("the lease was never declared lost after every member stopped")
	}
	if !errors.Is(held.Err(), lab.ErrLost) || !strings.Contains(held.Err().Error(), "cam1") {
		t.Fatalf("lost lease error: %v", held.Err())
	}
	_, err = s.Acquire(ctx, "cam3", []byte(`{"host":"a"}`), "")
	if !errors.Is(err, lab.ErrUnavailable) {
		t.Fatalf("with every member stopped: want ErrUnavailable, got %v", err)
	}
	for _, m := range c.Members {
		if !strings.Contains(err.Error(), m.ClientURL) {
			t.Errorf("the error should name endpoint %s: %v", m.ClientURL, err)
		}
	}
}

func TestReservationAdmitsOnlyItsToken(t *testing.T) {
	c := labtest.Start(t, 3)
	ctx := bg(t)
	s := open(t, c, "/t4/")
	token, res, err := s.Reserve(ctx, "cam1", []byte(`{"host":"laptop"}`), time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	if len(token) != 32 || !res.Admits(token) || res.Admits("") || res.Admits(strings.Repeat("0", 32)) {
		t.Fatalf("token %q: admits itself only", token)
	}
	if _, _, err := s.Reserve(ctx, "cam1", []byte(`{"host":"other"}`), time.Hour); err == nil {
		t.Fatal("a reserved unit cannot be reserved again")
	}
	for _, tok := range []string{"", "not-the-token", strings.Repeat("ab", 16)} {
		_, err := s.Acquire(ctx, "cam1", []byte(`{"host":"ci"}`), tok)
		var re *lab.ReservedError
		if !errors.As(err, &re) || string(re.Reservation.Holder) != `{"host":"laptop"}` {
			t.Fatalf("token %q: want a ReservedError naming the laptop, got %v", tok, err)
		}
	}
	l, err := s.Acquire(ctx, "cam1", []byte(`{"host":"laptop"}`), token)
	if err != nil {
		t.Fatalf("with the token: %v", err)
	}
	l.Release(ctx, nil)

	entries, err := s.Entries(ctx, []string{"cam1", "cam2"})
	if err != nil {
		t.Fatal(err)
	}
	if entries[0].Reservation == nil || entries[1].Reservation != nil {
		t.Fatalf("who: cam1 reserved, cam2 not: %+v", entries)
	}
	if err := s.Unreserve(ctx, "cam1", "wrong"); err == nil {
		t.Fatal("a wrong token must not release a reservation")
	}
	if err := s.Unreserve(ctx, "cam1", token); err != nil {
		t.Fatal(err)
	}
	l, err = s.Acquire(ctx, "cam1", []byte(`{"host":"ci"}`), "")
	if err != nil {
		t.Fatalf("after release: %v", err)
	}
	entries, _ = s.Entries(ctx, []string{"cam1"})
	if string(entries[0].Holder) != `{"host":"ci"}` || entries[0].Expires.IsZero() {
		t.Fatalf("who: cam1 held by ci with an expiry: %+v", entries[0])
	}
	l.Release(ctx, nil)
}

func TestOpenRefusesTTLBelowEtcdMinimum(t *testing.T) {
	_, err := lab.Open(lab.Config{Endpoints: []string{"http://127.0.0.1:1"}, TTL: time.Second}, nil)
	if err == nil || !strings.Contains(err.Error(), fmt.Sprint(lab.MinTTL)) {
		t.Fatalf("want the minimum named, got %v", err)
	}
}

// A lab with authentication: the right password leases; a wrong one fails
// with an error that holds neither password, whole or in pieces.
func TestAuthPasswordFromEnvNeverLeaks(t *testing.T) {
	c := labtest.Start(t, 3)
	ctx := bg(t)
	good := fmt.Sprintf("etcd-Pw-%08x", rand.Uint32())
	bad := fmt.Sprintf("wrong-Pw-%08x", rand.Uint32())
	admin, err := clientv3.New(clientv3.Config{Endpoints: c.Endpoints(), DialTimeout: 5 * time.Second, Logger: zap.NewNop()})
	if err != nil {
		t.Fatal(err)
	}
	defer admin.Close()
	for _, step := range []func() error{
		func() error { _, err := admin.UserAdd(ctx, "root", good); return err },
		func() error { _, err := admin.UserGrantRole(ctx, "root", "root"); return err },
		func() error { _, err := admin.AuthEnable(ctx); return err },
	} {
		if err := step(); err != nil {
			t.Fatal(err)
		}
	}
	t.Setenv("CAMRIG_TEST_ETCD_PW", good)
	s, err := lab.Open(lab.Config{Endpoints: c.Endpoints(), TTL: ttl, Prefix: "/auth/", User: "root",
		Password: secret.FromEnv("CAMRIG_TEST_ETCD_PW"), DialTimeout: 2 * time.Second}, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	l, err := s.Acquire(ctx, "cam1", []byte(`{"host":"a"}`), "")
	if err != nil {
		t.Fatalf("with the password: %v", err)
	}
	l.Release(ctx, nil)

	t.Setenv("CAMRIG_TEST_ETCD_PW", bad)
	w, err := lab.Open(lab.Config{Endpoints: c.Endpoints(), TTL: ttl, Prefix: "/auth/", User: "root",
		Password: secret.FromEnv("CAMRIG_TEST_ETCD_PW"), DialTimeout: 2 * time.Second}, nil)
	if err == nil {
		defer w.Close()
		_, err = w.Acquire(ctx, "cam1", []byte(`{"host":"b"}`), "")
	}
	if err == nil {
		t.Fatal("a wrong password leased the unit")
	}
	// The random part of each password: no 4 characters of it in a row.
	for _, pw := range []string{good, bad} {
		random := pw[len(pw)-8:]
		for i := 0; i+4 <= len(random); i++ {
			if strings.Contains(err.Error(), random[i:i+4]) {
				t.Fatalf("the error holds a piece %q of a password: %v", random[i:i+4], err)
			}
		}
	}
}
