package rig_test

import (
	"path/filepath"
	"testing"

	"github.com/camrig/camrig/harness/notation"
	"github.com/camrig/camrig/harness/rig"
)

// Two virtual rigs on two state directories are two rigs: their leases must
// not collide, while a real rig keeps one lock directory per rig name.
func TestVirtualRigLocksLiveInItsStateDir(t *testing.T) {
	a, b := t.TempDir(), t.TempDir()
	t.Setenv(notation.StateDirEnv, a)
	ra, err := rig.Load("../../rigs/virtual.yaml")
	if err != nil {
		t.Fatal(err)
	}
	t.Setenv(notation.StateDirEnv, b)
	rb, err := rig.Load("../../rigs/virtual.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if ra.LockDir != filepath.Join(a, "locks") || rb.LockDir != filepath.Join(b, "locks") {
		t.Fatalf("lock dirs = %q, %q", ra.LockDir, rb.LockDir)
	}
	la, err := ra.Lease("cam1")
	if err != nil {
		t.Fatal(err)
	}
	defer la.Release()
	lb, err := rb.Lease("cam1")
	if err != nil {
		t.Fatalf("cam1 of a second virtual rig: %v", err)
	}
	lb.Release()
}
