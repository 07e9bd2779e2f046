package rig_test

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/camrig/camrig/harness/rig"
)

// A unit whose console cannot be opened fails to open with an error naming
// it, and leaves nothing behind: the lease is free again at once.
func TestOpenFailureReleasesTheLease(t *testing.T) {
	dir := t.TempDir()
	rigFile := filepath.Join(dir, "bench.yaml")
	profiles, _ := filepath.Abs("../../fixtures/profiles")
	os.WriteFile(rigFile, []byte(`rig: bench
profiles: `+profiles+`
lock_dir: `+filepath.Join(dir, "locks")+`
units:
  - name: cam1
    profile: blink
    console: {port: `+filepath.Join(dir, "no-such-tty")+`}
    power:   {driver: exec, on: [true], off: [true], status: [echo, "off"]}
`), 0o644)
	r, err := rig.Load(rigFile)
	if err != nil {
		t.Fatal(err)
	}
	_, err = r.Open(context.Background(), "cam1")
	if err == nil || !strings.Contains(err.Error(), "console") {
		t.Fatalf("err = %v, want a console error", err)
	}
	l, err := r.Lease("cam1")
	if err != nil {
		t.Fatalf("lease after a failed Open: %v", err)
	}
	l.Release()
}
