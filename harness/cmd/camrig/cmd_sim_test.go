//go:build linux

package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/camrig/camrig/harness/notation"
	"github.com/camrig/camrig/rigs/virtual"
	"github.com/camrig/camrig/rigs/virtual/virtualtest"
)

const simRig = "../../../rigs/virtual.yaml"

type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

func TestSimRunsUntilCancelledAndCleansUp(t *testing.T) {
	dir := t.TempDir()
	t.Setenv(notation.StateDirEnv, "")
	// A copy on loopback addresses of its own: other packages' tests run a
	// simulator of the shipped rig at the same time.
	rigFile := virtualtest.Relocate(t, simRig, t.TempDir(), 0)
	ctx, cancel := context.WithCancel(context.Background())
	var stdout, stderr lockedBuffer
	done := make(chan int, 1)
	go func() {
		done <- runSim(ctx, []string{"--rig", rigFile, "--state-dir", dir, "--timescale", "0.001"}, &stdout, &stderr)
	}()
	deadline := time.Now().Add(10 * time.Second)
	for !strings.Contains(stdout.String(), "running;") {
		select {
		case code := <-done:
			t.Fatalf("sim exited %d early:\n%s\n%s", code, stdout.String(), stderr.String())
		default:
		}
		if time.Now().After(deadline) {
			t.Fatalf("sim did not report running:\n%s", stdout.String())
		}
		time.Sleep(time.Millisecond)
	}
	if target, err := os.Readlink(filepath.Join(dir, "cam2.uart")); err != nil || !strings.HasPrefix(target, "/dev/pts/") {
		t.Fatalf("cam2.uart -> %q, %v", target, err)
	}
	cancel()
	if code := <-done; code != exitOK {
		t.Fatalf("exit %d, stderr:\n%s", code, stderr.String())
	}
	for _, want := range []string{"unit   cam1", "relay  lcus", "timescale 0.001", "stopped;"} {
		if !strings.Contains(stdout.String(), want) {
			t.Errorf("output lacks %q:\n%s", want, stdout.String())
		}
	}
	if _, err := os.Lstat(filepath.Join(dir, "cam2.uart")); !os.IsNotExist(err) {
		t.Fatalf("cam2.uart left behind: %v", err)
	}
}

func TestSimExitCodes(t *testing.T) {
	dir := t.TempDir()
	t.Setenv(notation.StateDirEnv, "")
	t.Setenv(rigEnv, "")
	data, err := os.ReadFile(simRig)
	if err != nil {
		t.Fatal(err)
	}
	misspelt := filepath.Join(dir, "misspelt.yaml")
	// The copy lives elsewhere, so point its profiles back at the fixtures.
	profiles, _ := filepath.Abs("../../../fixtures/profiles")
	fixed := bytes.Replace(bytes.Replace(data, []byte("timescale:"), []byte("timescal:"), 1),
		[]byte("profiles: ../fixtures/profiles"), []byte("profiles: "+profiles), 1)
	os.WriteFile(misspelt, fixed, 0o644)

	// The simulator's own section: the harness accepts sim unread, the
	// simulator names the misspelt key.
	qemuData, err := os.ReadFile("../../../rigs/qemu-uboot.yaml")
	if err != nil {
		t.Fatal(err)
	}
	qemuMisspelt := filepath.Join(dir, "qemu-misspelt.yaml")
	qemuFixed := bytes.Replace(bytes.Replace(qemuData, []byte("      qmp:"), []byte("      seriall: x\n      qmp:"), 1),
		[]byte("profiles: ../fixtures/profiles"), []byte("profiles: "+profiles), 1)
	os.WriteFile(qemuMisspelt, qemuFixed, 0o644)

	busyDir := t.TempDir()
	// The running simulator is on addresses of its own: the shipped rig's
	// fixed ones may be another run's.
	busyRig := virtualtest.Relocate(t, simRig, busyDir, 0)
	r, err := virtual.Start(context.Background(), busyRig, virtual.WithStateDir(busyDir))
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()

	cases := []struct {
		name string
		args []string
		code int
		want string
	}{
		{"no rig", []string{}, exitUsage, "--rig is required"},
		{"stray argument", []string{"--rig", simRig, "now"}, exitUsage, "unexpected argument"},
		{"bad timescale", []string{"--rig", simRig, "--timescale", "2"}, exitUsage, "out of range"},
		{"misspelt key", []string{"--rig", misspelt, "--state-dir", t.TempDir()}, exitRigFile, "misspelt.yaml:"},
		{"misspelt sim.qemu key", []string{"--rig", qemuMisspelt, "--state-dir", t.TempDir()}, exitRigFile, `qemu-misspelt.yaml:34: sim.qemu[0]: unknown key "seriall"`},
		{"busy state dir", []string{"--rig", busyRig, "--state-dir", busyDir}, exitBusy, "used by another simulator"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			var stdout, stderr lockedBuffer
			ctx, cancel := context.WithCancel(context.Background())
			cancel() // if it starts at all, it stops at once
			code := runSim(ctx, tc.args, &stdout, &stderr)
			if code != tc.code || !strings.Contains(stderr.String(), tc.want) {
				t.Fatalf("exit %d (want %d), stderr:\n%s", code, tc.code, stderr.String())
			}
		})
	}
}
