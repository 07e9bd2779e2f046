package rig_test

import (
	"context"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/camrig/camrig/harness/power"
	"github.com/camrig/camrig/harness/rig"
	"github.com/camrig/camrig/harness/timeline"
)

// bench is a rig whose cam1 has exec press and power bindings that append
// what they were told to a log, so a test sees every edge Open drives.
type bench struct {
	rig *rig.Rig
	log string
}

func newBench(t *testing.T, lockDir string, pressOff []string) *bench {
	t.Helper()
	log := filepath.Join(t.TempDir(), "edges")
	say := func(what string) []string { return []string{"sh", "-c", "echo " + what + " >> " + log} }
	if pressOff == nil {
		pressOff = say("press-off")
	}
	u := rig.UnitConfig{Name: "cam1",
		Power: &power.Config{Driver: "exec", On: say("power-on"), Off: say("power-off")},
		Press: &power.Config{Driver: "exec", On: say("press-on"), Off: pressOff, MaxHold: time.Second},
	}
	return &bench{rig: &rig.Rig{Name: "virtual", LockDir: lockDir, Units: []rig.UnitConfig{u}}, log: log}
}

func (b *bench) edges(t *testing.T) []string {
	t.Helper()
	data, err := os.ReadFile(b.log)
	if err != nil && !os.IsNotExist(err) {
		t.Fatal(err)
	}
	return strings.Fields(string(data))
}

func takeOvers(tl *timeline.Timeline) []timeline.Event {
	var out []timeline.Event
	for _, e := range tl.Events() {
		if e.Kind == "take-over" {
			out = append(out, e)
		}
	}
	return out
}

// Every Open releases the solenoid first, even one that asks for no driver
// at all; without a dead holder it leaves the power alone (a command that
// looks at a running unit must not cut it) and records no take-over.
func TestOpenReleasesTheSolenoidFirst(t *testing.T) {
	b := newBench(t, t.TempDir(), nil)
	u, err := b.rig.Open(context.Background(), "cam1", rig.Only(rig.PartLED), rig.KeepPower())
	if err != nil {
		t.Fatal(err)
	}
	if got := b.edges(t); strings.Join(got, " ") != "press-off" {
		t.Fatalf("edges on open = %q, want just press-off", got)
	}
	if to := takeOvers(u.Timeline); len(to) != 0 {
		t.Fatalf("a take-over was recorded without a dead holder: %+v", to)
	}
	if err := u.Close(context.Background()); err != nil {
		t.Fatal(err)
	}
}

// A unit taken over from a holder killed with SIGKILL is made safe before
// anything else: solenoid released, then power to its safe state, even for
// an Open that keeps power and opens no driver; the timeline names the dead
// holder.
func TestOpenAfterADeadHolderMakesTheUnitSafe(t *testing.T) {
	dir := t.TempDir()
	h := startHolder(t, dir, "cam1")
	pid := h.cmd.Process.Pid
	h.kill(t)
	b := newBench(t, dir, nil)
	lease, err := b.rig.Lease("cam1")
	if err != nil {
		t.Fatal(err)
	}
	defer lease.Release()
	u, err := b.rig.Open(context.Background(), "cam1", rig.WithLease(lease), rig.Only(rig.PartLED), rig.KeepPower())
	if err != nil {
		t.Fatal(err)
	}
	if got := strings.Join(b.edges(t), " "); got != "press-off power-off" {
		t.Fatalf("edges on take-over = %q, want press-off power-off", got)
	}
	to := takeOvers(u.Timeline)
	if len(to) != 1 || to[0].Attrs["previous_pid"] != strconv.Itoa(pid) ||
		!strings.Contains(to[0].Detail, "pid "+strconv.Itoa(pid)) || to[0].Attrs["previous_process"] != "exited" {
		t.Fatalf("take-over events = %+v, want one naming pid %d", to, pid)
	}
	var kinds []string
	for _, e := range u.Timeline.Events() {
		kinds = append(kinds, string(e.Source)+":"+e.Kind)
	}
	if strings.Join(kinds, " ") != "press:off power:off step:take-over" {
		t.Fatalf("timeline = %q", kinds)
	}
	if err := u.Close(context.Background()); err != nil {
		t.Fatal(err)
	}
	// Made safe and released cleanly: the next run finds nothing to take over.
	u, err = b.rig.Open(context.Background(), "cam1", rig.KeepPower())
	if err != nil {
		t.Fatal(err)
	}
	defer u.Close(context.Background())
	if to := takeOvers(u.Timeline); len(to) != 0 {
		t.Fatalf("a clean release was taken over again: %+v", to)
	}
}

// A take-over that cannot make the unit safe fails Open, and leaves the
// dead holder's record in the lock file: the next run takes over again
// instead of trusting a unit nobody made safe.
func TestFailedTakeOverLeavesTheDeadHolderRecorded(t *testing.T) {
	dir := t.TempDir()
	h := startHolder(t, dir, "cam1")
	pid := h.cmd.Process.Pid
	h.kill(t)
	broken := newBench(t, dir, []string{"false"})
	_, err := broken.rig.Open(context.Background(), "cam1")
	if err == nil || !strings.Contains(err.Error(), "releasing the solenoid before use") {
		t.Fatalf("err = %v, want a failed release", err)
	}
	b := newBench(t, dir, nil)
	u, err := b.rig.Open(context.Background(), "cam1")
	if err != nil {
		t.Fatal(err)
	}
	defer u.Close(context.Background())
	if to := takeOvers(u.Timeline); len(to) != 1 || to[0].Attrs["previous_pid"] != strconv.Itoa(pid) {
		t.Fatalf("after a failed take-over the next open recorded %+v, want a take-over from pid %d", to, pid)
	}
	if got := strings.Join(b.edges(t), " "); !strings.HasPrefix(got, "press-off power-off") {
		t.Fatalf("edges = %q, want press-off power-off first", got)
	}
}
