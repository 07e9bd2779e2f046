package virtual

import (
	"context"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/camrig/camrig/harness/notation"
)

// Two Isolate copies of the shipped rig are two rigs: each its own state
// dir, no loopback address in common, profiles found from anywhere.
func TestIsolateGivesEachCopyItsOwnStateAndAddresses(t *testing.T) {
	t.Setenv(notation.StateDirEnv, "")
	a, err := Isolate(ShippedRig, t.TempDir(), 0)
	if err != nil {
		t.Fatal(err)
	}
	b, err := Isolate(ShippedRig, t.TempDir(), 0.02)
	if err != nil {
		t.Fatal(err)
	}
	addrs := regexp.MustCompile(`127\.\d+\.\d+\.\d+:\d+`)
	seen := map[string]bool{}
	for i, path := range []string{a, b} {
		rf, err := LoadRigFile(path, "")
		if err != nil {
			t.Fatal(err)
		}
		if rf.StateDir != filepath.Dir(path) {
			t.Errorf("copy %d: state dir %s, want %s", i, rf.StateDir, filepath.Dir(path))
		}
		if !filepath.IsAbs(rf.Profiles) {
			t.Errorf("copy %d: profiles %s is relative", i, rf.Profiles)
		}
		data, _ := os.ReadFile(path)
		found := addrs.FindAllString(string(data), -1)
		if len(found) == 0 {
			t.Fatalf("copy %d has no loopback address", i)
		}
		for _, addr := range found {
			if strings.HasPrefix(addr, "127.0.0.") {
				t.Errorf("copy %d keeps the shipped address %s", i, addr)
			}
			if i == 1 && seen[addr] {
				t.Errorf("both copies use %s", addr)
			}
			seen[addr] = true
		}
		if i == 1 && !strings.Contains(string(data), "timescale: 0.02") {
			t.Errorf("copy %d: timescale not replaced", i)
		}
	}
}

// Running tells a state dir a simulator holds from one nobody holds,
// without starting anything.
func TestRunningSeesTheSimulatorsLock(t *testing.T) {
	dir := t.TempDir()
	if _, ok, err := Running(dir); ok || err != nil {
		t.Fatalf("empty dir: running %v, %v", ok, err)
	}
	path, err := Isolate(ShippedRig, dir, 0)
	if err != nil {
		t.Fatal(err)
	}
	r, err := Start(context.Background(), path)
	if err != nil {
		t.Fatal(err)
	}
	pid, ok, err := Running(dir)
	if !ok || err != nil || pid != strconvPid() {
		r.Close()
		t.Fatalf("while running: pid %q, running %v, %v", pid, ok, err)
	}
	if err := r.Close(); err != nil {
		t.Fatal(err)
	}
	if _, ok, err := Running(dir); ok || err != nil {
		t.Fatalf("after Close: running %v, %v", ok, err)
	}
}

func strconvPid() string { return strconv.Itoa(os.Getpid()) }

// A lab: section is what runs share: Isolate moves every other loopback
// address and leaves the lab's etcd endpoints (block and flow style) alone.
func TestIsolateKeepsTheLabsEtcd(t *testing.T) {
	t.Setenv(notation.StateDirEnv, "")
	data, err := os.ReadFile(ShippedRig)
	if err != nil {
		t.Fatal(err)
	}
	for _, lab := range []string{
		"lab: {etcd: [http://127.0.0.1:23791, http://127.0.0.2:23792], ttl: 3s}\n",
		"lab:\n  # the lab's cluster\n  etcd:\n    - http://127.0.0.1:23791\n\n    - http://127.0.0.2:23792\n  ttl: 3s\n",
	} {
		src := filepath.Join(t.TempDir(), "lab.yaml")
		text := strings.Replace(string(data), "virtual: true\n", "virtual: true\n"+lab, 1)
		if err := os.WriteFile(src, []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
		out, err := Isolate(src, t.TempDir(), 0)
		if err != nil {
			t.Fatal(err)
		}
		got, _ := os.ReadFile(out)
		if !strings.Contains(string(got), lab) {
			t.Fatalf("the lab section was changed:\n%s", got)
		}
		if n := len(regexp.MustCompile(`127\.0\.0\.\d+:\d+`).FindAllString(string(got), -1)); n != 2 {
			t.Fatalf("only the lab's two endpoints keep 127.0.0.x:\n%s", got)
		}
	}
}
