package rig_test

import (
	"context"
	"errors"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/camrig/camrig/harness/clock/clocktest"
	"github.com/camrig/camrig/harness/rig"
)

// On one host a reservation is a file beside the lock files: leases
// without its token are refused naming who reserved it, until it is
// released or ends.
func TestLocalReservation(t *testing.T) {
	r := testRig(t.TempDir())
	clk := clocktest.New(time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC))
	r.Clock = clk
	ctx := context.Background()
	t.Setenv(rig.ReservationEnv, "")
	token, until, err := r.Reserve(ctx, "cam1", time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	if len(token) != 32 || !until.Equal(clk.Now().Add(time.Hour)) {
		t.Fatalf("token %q until %v", token, until)
	}
	data, _ := os.ReadFile(r.ReservationFile("cam1"))
	if strings.Contains(string(data), token) {
		t.Fatal("the reservation file holds the token itself")
	}
	if _, _, err := r.Reserve(ctx, "cam1", time.Hour); !errors.Is(err, rig.ErrBusy) {
		t.Fatalf("reserving twice: %v", err)
	}
	_, err = r.Lease("cam1")
	if !errors.Is(err, rig.ErrBusy) || !strings.Contains(err.Error(), "reserved by pid "+strconv.Itoa(os.Getpid())) {
		t.Fatalf("without the token: want refused naming the holder, got %v", err)
	}
	if l, err := r.Lease("cam2"); err != nil {
		t.Fatalf("another unit is free: %v", err)
	} else {
		l.Release()
	}
	t.Setenv(rig.ReservationEnv, token)
	l, err := r.Lease("cam1")
	if err != nil {
		t.Fatalf("with the token: %v", err)
	}
	l.Release()
	if err := r.Unreserve(ctx, "cam1", "nope"); !errors.Is(err, rig.ErrBusy) {
		t.Fatalf("release with a wrong token: %v", err)
	}
	t.Setenv(rig.ReservationEnv, "")
	clk.Advance(time.Hour)
	l, err = r.Lease("cam1")
	if err != nil {
		t.Fatalf("an ended reservation holds nothing: %v", err)
	}
	l.Release()
	tok2, _, err := r.Reserve(ctx, "cam1", time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	if err := r.Unreserve(ctx, "cam1", tok2); err != nil {
		t.Fatal(err)
	}
	if l, err = r.Lease("cam1"); err != nil {
		t.Fatalf("after release: %v", err)
	}
	l.Release()
}

// A reservation file is written by other processes (or by hand): whatever
// it holds, reading it never panics, and a reservation that admits a lease
// has an end in the future.
func FuzzReservationFile(f *testing.F) {
	f.Add([]byte(`{"holder":{"pid":1,"host":"h"},"token_sha256":"ab","until":"2999-01-01T00:00:00Z"}`))
	f.Add([]byte(`{"holder":"eyJwaWQiOjF9","token_sha256":"ab","until":"2000-01-01T00:00:00Z"}`))
	f.Add([]byte(`{"token_sha256":""}`))
	f.Add([]byte("\x00\xff{"))
	f.Fuzz(func(t *testing.T, data []byte) {
		r := testRig(t.TempDir())
		if err := os.MkdirAll(r.LockDir, 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(r.ReservationFile("cam1"), data, 0o644); err != nil {
			t.Fatal(err)
		}
		st, err := r.Who(context.Background())
		if err == nil && !st[0].ReservedUntil.IsZero() && !st[0].ReservedUntil.After(time.Now()) {
			t.Fatalf("an ended reservation is reported: %+v", st[0])
		}
		if l, err := r.Lease("cam1"); err == nil {
			l.Release()
		}
	})
}
