package rig_test

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/camrig/camrig/harness/clock/clocktest"
	"github.com/camrig/camrig/harness/rig"
)

// The test binary doubles as a second process holding a lease, so the
// cross-process cases exercise real flock semantics and a real death.
const (
	helperEnv     = "CAMRIG_RIG_LEASE_HELPER"
	helperDirEnv  = "CAMRIG_RIG_LEASE_DIR"
	helperUnitEnv = "CAMRIG_RIG_LEASE_UNIT"
)

func TestMain(m *testing.M) {
	if os.Getenv(helperEnv) == "1" {
		os.Exit(holdLease())
	}
	if os.Getenv(runnerEnv) == "1" {
		os.Exit(runUnits())
	}
	os.Exit(m.Run())
}

// holdLease takes the unit, says so on stdout, and holds it until stdin
// closes or the process is killed.
func holdLease() int {
	r := testRig(os.Getenv(helperDirEnv))
	labHelper(r)
	l, err := r.Lease(os.Getenv(helperUnitEnv))
	if err != nil {
		fmt.Println("error:", err)
		return 1
	}
	fmt.Println("leased")
	io.Copy(io.Discard, os.Stdin)
	l.Release()
	return 0
}

func testRig(lockDir string) *rig.Rig {
	return &rig.Rig{Name: "virtual", LockDir: lockDir,
		Units: []rig.UnitConfig{{Name: "cam1"}, {Name: "cam2"}, {Name: "cam3"}}}
}

// holder is a child process holding a lease.
type holder struct {
	cmd   *exec.Cmd
	stdin io.WriteCloser
}

func startHolder(t *testing.T, lockDir, unit string) *holder {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), helperEnv+"=1", helperDirEnv+"="+lockDir, helperUnitEnv+"="+unit)
	stdin, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	h := &holder{cmd: cmd, stdin: stdin}
	t.Cleanup(func() {
		h.stdin.Close()
		h.cmd.Process.Kill()
		h.cmd.Wait()
	})
	line, err := bufio.NewReader(stdout).ReadString('\n')
	if strings.TrimSpace(line) != "leased" {
		t.Fatalf("helper did not take the lease: %q %v", line, err)
	}
	return h
}

// kill SIGKILLs the holder (no chance to release) and reaps it; by then the
// kernel has closed its files and dropped the flock.
func (h *holder) kill(t *testing.T) {
	t.Helper()
	if err := h.cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	h.cmd.Wait()
}

func TestLeaseTwiceInProcess(t *testing.T) {
	r := testRig(t.TempDir())
	l, err := r.Lease("cam1")
	if err != nil {
		t.Fatal(err)
	}
	if l.Reclaimed != nil || l.Holder.PID != os.Getpid() || l.Unit != "cam1" {
		t.Fatalf("lease = %+v", l)
	}
	_, err = r.Lease("cam1")
	var busy *rig.BusyError
	if !errors.As(err, &busy) || !errors.Is(err, rig.ErrBusy) {
		t.Fatalf("second lease: %v", err)
	}
	want := fmt.Sprintf("unit cam1 of rig virtual is leased by pid %d (", os.Getpid())
	if !strings.HasPrefix(err.Error(), want) || !strings.Contains(err.Error(), " since ") {
		t.Fatalf("error %q, want prefix %q and a since", err, want)
	}
	// A second Rig value for the same file (another suite in this process)
	// is refused too.
	if _, err := testRig(r.LockDir).Lease("cam1"); !errors.Is(err, rig.ErrBusy) {
		t.Fatalf("lease through another Rig value: %v", err)
	}
	// Other units are independent.
	l2, err := r.Lease("cam2")
	if err != nil {
		t.Fatal(err)
	}
	if err := l.Release(); err != nil {
		t.Fatal(err)
	}
	if err := l.Release(); err != nil {
		t.Fatalf("second release: %v", err)
	}
	l3, err := r.Lease("cam1")
	if err != nil {
		t.Fatalf("lease after release: %v", err)
	}
	if l3.Reclaimed != nil {
		t.Fatalf("a released lease was reported reclaimed: %+v", l3.Reclaimed)
	}
	l3.Release()
	l2.Release()
}

func TestLeaseUnknownUnit(t *testing.T) {
	r := testRig(t.TempDir())
	if _, err := r.Lease("cam9"); err == nil || errors.Is(err, rig.ErrBusy) || !strings.Contains(err.Error(), "cam9") {
		t.Fatalf("err = %v", err)
	}
	if _, err := r.LeaseAny(context.Background(), "cam1", "cam9"); err == nil || !strings.Contains(err.Error(), "cam9") {
		t.Fatalf("LeaseAny err = %v", err)
	}
}

func TestLeaseHeldByAnotherProcess(t *testing.T) {
	dir := t.TempDir()
	h := startHolder(t, dir, "cam1")
	r := testRig(dir)
	_, err := r.Lease("cam1")
	want := fmt.Sprintf("unit cam1 of rig virtual is leased by pid %d (", h.cmd.Process.Pid)
	if !errors.Is(err, rig.ErrBusy) || !strings.HasPrefix(err.Error(), want) {
		t.Fatalf("err = %v, want prefix %q", err, want)
	}
	h.kill(t)
	l, err := r.Lease("cam1")
	if err != nil {
		t.Fatalf("lease after the holder died: %v", err)
	}
	defer l.Release()
	if l.Reclaimed == nil || l.Reclaimed.PID != h.cmd.Process.Pid {
		t.Fatalf("reclaimed = %+v, want pid %d", l.Reclaimed, h.cmd.Process.Pid)
	}
}

func TestLeaseReleasedByAnotherProcess(t *testing.T) {
	dir := t.TempDir()
	h := startHolder(t, dir, "cam2")
	h.stdin.Close() // the helper releases and exits
	if err := h.cmd.Wait(); err != nil {
		t.Fatal(err)
	}
	l, err := testRig(dir).Lease("cam2")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Release()
	if l.Reclaimed != nil {
		t.Fatalf("clean release reported as reclaimed: %+v", l.Reclaimed)
	}
}

func TestLeaseAnyTakesFirstFree(t *testing.T) {
	r := testRig(t.TempDir())
	a, err := r.LeaseAny(context.Background())
	if err != nil || a.Unit != "cam1" {
		t.Fatalf("first: %v %v", a, err)
	}
	b, err := r.LeaseAny(context.Background(), "cam1", "cam3")
	if err != nil || b.Unit != "cam3" {
		t.Fatalf("second: %+v %v", b, err)
	}
	a.Release()
	b.Release()
}

func TestLeaseAnyWaitsForRelease(t *testing.T) {
	r := testRig(t.TempDir())
	// A fake clock that never advances: only the release event can wake
	// the waiter.
	clk := clocktest.New(time.Unix(0, 0))
	r.Clock = clk
	a, err := r.Lease("cam1")
	if err != nil {
		t.Fatal(err)
	}
	b, err := r.Lease("cam2")
	if err != nil {
		t.Fatal(err)
	}
	defer a.Release()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	got := make(chan *rig.Lease, 1)
	errc := make(chan error, 1)
	go func() {
		l, err := r.LeaseAny(ctx, "cam1", "cam2")
		errc <- err
		got <- l
	}()
	select {
	case <-clk.Waiters(): // LeaseAny found both busy and is waiting
	case err := <-errc:
		t.Fatalf("LeaseAny returned before a release: %v", err)
	}
	if err := b.Release(); err != nil {
		t.Fatal(err)
	}
	if err := <-errc; err != nil {
		t.Fatal(err)
	}
	l := <-got
	defer l.Release()
	if l.Unit != "cam2" {
		t.Fatalf("got %s, want cam2", l.Unit)
	}
}

func TestLeaseAnyWakesWhenHolderDies(t *testing.T) {
	dir := t.TempDir()
	h := startHolder(t, dir, "cam3")
	r := testRig(dir)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	errc := make(chan error, 1)
	got := make(chan *rig.Lease, 1)
	go func() {
		l, err := r.LeaseAny(ctx, "cam3")
		errc <- err
		got <- l
	}()
	h.kill(t)
	if err := <-errc; err != nil {
		t.Fatal(err)
	}
	l := <-got
	defer l.Release()
	if l.Unit != "cam3" {
		t.Fatalf("got %s", l.Unit)
	}
}

func TestLeaseAnyGivesUpWithHolders(t *testing.T) {
	dir := t.TempDir()
	h := startHolder(t, dir, "cam1")
	r := testRig(dir)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, err := r.LeaseAny(ctx, "cam1")
	if !errors.Is(err, rig.ErrBusy) || !errors.Is(err, context.Canceled) ||
		!strings.Contains(err.Error(), fmt.Sprintf("pid %d", h.cmd.Process.Pid)) {
		t.Fatalf("err = %v", err)
	}
}
