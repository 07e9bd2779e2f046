package specs_test

import (
	"context"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/onsi/ginkgo/v2/types"

	"github.com/camrig/camrig/harness/lab/labtest"
	"github.com/camrig/camrig/harness/rig"
	"github.com/camrig/camrig/reports"
)

// sharedFilter is a quick slice of the suites on two units: enough for
// each runner to have something to win and something to skip.
const sharedFilter = "(unit:cam3 || unit:cam4) && boot"

// Two runner processes given one --run-id share a virtual lab rig (the
// shipped virtual rig with a lab: section on a three-member etcd): between
// them every selected spec runs exactly once; the other runner skips it
// with "run by <host>"; the merged report has each spec once, passed.
func TestSharedRunAcrossTwoRunners(t *testing.T) {
	if testing.Short() {
		t.Skip("runs the suite twice")
	}
	if why := suiteRunOnly(); why != "" {
		t.Skip("a run of the suite on a rig (" + why + ")")
	}
	c := labtest.Start(t, 3)
	dir, rigPath := labVirtualRig(t, c)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	runID := fmt.Sprintf("shared-%d", rand.Uint32())
	outs := []string{filepath.Join(dir, "runner-a"), filepath.Join(dir, "runner-b")}
	var wg sync.WaitGroup
	logs := make([][]byte, len(outs))
	for i, out := range outs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			tmp := filepath.Join(dir, fmt.Sprintf("tmp%d", i))
			os.MkdirAll(filepath.Join(tmp, "run"), 0o700)
			cmd := exec.CommandContext(ctx, os.Args[0], "-test.run=^TestSpecs$", "-test.timeout=5m",
				"-rig="+rigPath, "-out="+out, "-run-id="+runID,
				"-ginkgo.label-filter="+sharedFilter, "-ginkgo.json-report="+filepath.Join(out, "report.json"), "-ginkgo.no-color")
			cmd.Env = append(os.Environ(), "TMPDIR="+tmp, "XDG_RUNTIME_DIR="+filepath.Join(tmp, "run"))
			logs[i], _ = cmd.CombinedOutput()
		}()
	}
	wg.Wait()
	host, _ := os.Hostname()
	var runners []reports.RunnerOutput
	ran := map[string]int{}
	skippedRunBy := 0
	for i, out := range outs {
		data, err := os.ReadFile(filepath.Join(out, "report.json"))
		var reps []types.Report
		if err == nil {
			err = json.Unmarshal(data, &reps)
		}
		if err != nil || len(reps) != 1 {
			t.Fatalf("runner %d left no report (%v):\n%s", i, err, logs[i])
		}
		runners = append(runners, reports.RunnerOutput{Dir: out, Reports: reps})
		for _, s := range reps[0].SpecReports {
			if s.LeafNodeType != types.NodeTypeIt {
				continue
			}
			key := strings.Join(s.ContainerHierarchyTexts, "/") + "/" + s.LeafNodeText
			switch {
			case s.State == types.SpecStatePassed:
				ran[key]++
			case s.State == types.SpecStateSkipped && s.Failure.Message == "run by "+host:
				skippedRunBy++
			case s.State != types.SpecStateSkipped:
				t.Errorf("runner %d: %s %s: %s", i, key, s.State, s.Failure.Message)
			}
		}
	}
	if len(ran) < 2 {
		t.Fatalf("the filter %q ran %d specs: %v\n%s\n%s", sharedFilter, len(ran), ran, logs[0], logs[1])
	}
	for k, n := range ran {
		if n != 1 {
			t.Errorf("%s ran %d times across the runners, want once", k, n)
		}
	}
	if skippedRunBy == 0 {
		t.Errorf("no container was skipped as run by %s", host)
	}
	merged, err := reports.Merge(filepath.Join(dir, "merged"), runners)
	if err != nil {
		t.Fatal(err)
	}
	passed := 0
	for _, s := range merged[0].SpecReports {
		if s.LeafNodeType == types.NodeTypeIt && s.State == types.SpecStatePassed {
			passed++
		}
	}
	if passed != len(ran) || !merged[0].SuiteSucceeded {
		t.Fatalf("merged report: %d passed, want %d; succeeded %v", passed, len(ran), merged[0].SuiteSucceeded)
	}
}

// labVirtualRig writes the shipped virtual rig with a lab: section on c
// (its own key prefix) into a fresh directory.
func labVirtualRig(t *testing.T, c *labtest.Cluster) (dir, rigPath string) {
	t.Helper()
	dir, err := os.MkdirTemp("", "camrig-shared-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	src, err := os.ReadFile(filepath.Join("..", "rigs", "virtual.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	profiles, _ := filepath.Abs(filepath.Join("..", "fixtures", "profiles"))
	text := strings.Replace(string(src), "virtual: true\n", fmt.Sprintf("virtual: true\nlab: {etcd: [%s], ttl: 2s, prefix: /shared-%d/}\n",
		strings.Join(c.Endpoints(), ", "), rand.Uint32()), 1)
	text = strings.Replace(text, "profiles: ../fixtures/profiles", "profiles: "+profiles, 1)
	rigPath = filepath.Join(dir, "lab-virtual.yaml")
	if err := os.WriteFile(rigPath, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	return dir, rigPath
}

// runOne runs the suite once on rigPath with filter and returns its specs
// that did not skip.
func runOne(t *testing.T, ctx context.Context, dir, rigPath, filter, name string, env ...string) []types.SpecReport {
	t.Helper()
	out := filepath.Join(dir, name)
	tmp := filepath.Join(dir, name+"-tmp")
	os.MkdirAll(filepath.Join(tmp, "run"), 0o700)
	cmd := exec.CommandContext(ctx, os.Args[0], "-test.run=^TestSpecs$", "-test.timeout=5m",
		"-rig="+rigPath, "-out="+out, "-ginkgo.label-filter="+filter,
		"-ginkgo.json-report="+filepath.Join(out, "report.json"), "-ginkgo.no-color")
	cmd.Env = append(append(os.Environ(), "TMPDIR="+tmp, "XDG_RUNTIME_DIR="+filepath.Join(tmp, "run")), env...)
	log, _ := cmd.CombinedOutput()
	data, err := os.ReadFile(filepath.Join(out, "report.json"))
	var reps []types.Report
	if err == nil {
		err = json.Unmarshal(data, &reps)
	}
	if err != nil || len(reps) != 1 {
		t.Fatalf("%s left no report (%v):\n%s", name, err, log)
	}
	var ran []types.SpecReport
	for _, s := range reps[0].SpecReports {
		if s.LeafNodeType == types.NodeTypeIt && s.State != types.SpecStateSkipped {
			ran = append(ran, s)
		}
	}
	return ran
}

// A reservation blocks a suite's unit: the suite fails on it naming who
// reserved it, until the reservation is released (or the suite is given
// its token).
func TestReservationBlocksASuitesUnitUntilReleased(t *testing.T) {
	if testing.Short() {
		t.Skip("runs the suite")
	}
	if why := suiteRunOnly(); why != "" {
		t.Skip("a run of the suite on a rig (" + why + ")")
	}
	c := labtest.Start(t, 3)
	dir, rigPath := labVirtualRig(t, c)
	r, err := rig.Load(rigPath)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	token, _, err := r.Reserve(ctx, "cam4", time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	const filter = "unit:cam4 && boot"
	blocked := runOne(t, ctx, dir, rigPath, filter, "blocked", rig.ReservationEnv+"=")
	if len(blocked) == 0 || blocked[0].State == types.SpecStatePassed ||
		!strings.Contains(blocked[0].Failure.Message, "reserved by pid "+fmt.Sprint(os.Getpid())) {
		t.Fatalf("a reserved unit must fail the suite naming the holder: %+v", blocked)
	}
	admitted := runOne(t, ctx, dir, rigPath, filter, "admitted", rig.ReservationEnv+"="+token)
	if len(admitted) == 0 || admitted[0].State != types.SpecStatePassed {
		t.Fatalf("with the token the suite runs the unit: %+v", admitted)
	}
	if err := r.Unreserve(ctx, "cam4", token); err != nil {
		t.Fatal(err)
	}
	released := runOne(t, ctx, dir, rigPath, filter, "released", rig.ReservationEnv+"=")
	if len(released) == 0 || released[0].State != types.SpecStatePassed {
		t.Fatalf("after release the suite runs the unit: %+v", released)
	}
}
