package specs_test

import (
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/camrig/camrig/harness/lab/labtest"
)

// sharedBenchFilter is the slice of the suites each unit runs in the
// scaling benchmark: its boot spec.
const sharedBenchFilter = "boot"

// BenchmarkSharedRunScaling: 12 virtual units on one lab rig (a
// three-member etcd) run by 1, 2 and 3 runner processes sharing a run id;
// the wall time of each run (the last runner's end). Every runner starts
// a simulator of its own (as runners on separate hosts drive separate
// benches would), so on one 2-core host the simulators compete for CPU.
func BenchmarkSharedRunScaling(b *testing.B) {
	c := labtest.Start(b, 3)
	dir := b.TempDir()
	base := filepath.Join(dir, "scaled.yaml")
	shipped, err := filepath.Abs(filepath.Join("..", "rigs", "virtual.yaml"))
	if err != nil {
		b.Fatal(err)
	}
	if err := writeScaledRig(shipped, base, 12); err != nil {
		b.Fatal(err)
	}
	data, err := os.ReadFile(base)
	if err != nil {
		b.Fatal(err)
	}
	for i := 0; i < b.N; i++ {
		for _, runners := range []int{1, 2, 3} {
			rigPath := filepath.Join(dir, fmt.Sprintf("lab-%d-%d.yaml", i, runners))
			text := strings.Replace(string(data), "virtual: true\n", fmt.Sprintf("virtual: true\nlab: {etcd: [%s], ttl: 2s, prefix: /scale-%d/}\n",
				strings.Join(c.Endpoints(), ", "), rand.Uint32()), 1)
			if err := os.WriteFile(rigPath, []byte(text), 0o644); err != nil {
				b.Fatal(err)
			}
			wall := runShared(b, dir, rigPath, runners)
			b.ReportMetric(wall.Seconds(), fmt.Sprintf("wall-s-%d-runners", runners))
		}
	}
}

func runShared(b *testing.B, dir, rigPath string, runners int) time.Duration {
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Minute)
	defer cancel()
	runID := fmt.Sprintf("scale-%d", rand.Uint32())
	var wg sync.WaitGroup
	errs := make([]error, runners)
	logs := make([][]byte, runners)
	start := time.Now()
	for r := range runners {
		wg.Add(1)
		go func() {
			defer wg.Done()
			out := filepath.Join(dir, fmt.Sprintf("%s-r%d", runID, r))
			tmp := out + "-tmp"
			os.MkdirAll(filepath.Join(tmp, "run"), 0o700)
			cmd := exec.CommandContext(ctx, os.Args[0], "-test.run=^TestSpecs$", "-test.timeout=15m",
				"-rig="+rigPath, "-out="+out, "-run-id="+runID,
				"-ginkgo.label-filter="+sharedBenchFilter, "-ginkgo.no-color")
			cmd.Env = append(os.Environ(), "TMPDIR="+tmp, "XDG_RUNTIME_DIR="+filepath.Join(tmp, "run"))
			logs[r], errs[r] = cmd.CombinedOutput()
		}()
	}
	wg.Wait()
	wall := time.Since(start)
	for r, err := range errs {
		if err != nil {
			b.Fatalf("runner %d of %d: %v\n%s", r, runners, err, logs[r])
		}
	}
	return wall
}
