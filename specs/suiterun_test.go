package specs_test

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/onsi/ginkgo/v2/types"

	"github.com/camrig/camrig/rigs/virtual/virtualtest"
)

// The suite run in a child process (this test binary) on a relocated copy of
// the virtual rig: what TestDefects and TestFaults are made of.

// summary is a failure message on one line, cut to a readable length.
func summary(msg string) string {
	msg = strings.Join(strings.Fields(msg), " ")
	if len(msg) > 400 {
		msg = msg[:400] + "..."
	}
	return msg
}

// findSpec finds unit's spec whose text contains text.
func findSpec(specs []types.SpecReport, unit, text string) (types.SpecReport, bool) {
	for _, s := range specs {
		if strings.Contains(s.LeafNodeText, text) && slices.Contains(s.Labels(), "unit:"+unit) {
			return s, true
		}
	}
	return types.SpecReport{}, false
}

// suiteRun is what one run of the suite in a child process left.
type suiteRun struct {
	specs []types.SpecReport // the It nodes that ran
	// allSpecs are every It node, skipped ones too.
	allSpecs []types.SpecReport
	output   []byte
	report   string // the run's Ginkgo JSON report
	outDir   string // its -out directory (reports, transcripts)
	took     time.Duration
	err      error // the run itself broke (not a spec failing)
	// attempts and verdict are the test's reading of the run.
	attempts int
	verdict  runVerdict
}

// runSuite runs the suite in a child process (this test binary) on a copy
// of the virtual rig relocated to free loopback addresses with its own
// state and lock directories, the defect (if any) switched on the unit or
// NVR named by on, and the label filter.
func runSuite(ctx context.Context, t *testing.T, on, defect, filter string) suiteRun {
	dir, rigPath, err := suiteRig(t)
	if err != nil {
		return suiteRun{err: err}
	}
	if defect != "" {
		virtualtest.SwitchDefects(t, rigPath, on, defect)
	}
	return runSuiteIn(ctx, dir, rigPath, "out", filter)
}

// suiteRig makes a run's directory and the relocated copy of the virtual rig
// in it (removed when the test ends).
func suiteRig(t *testing.T) (dir, rigPath string, err error) {
	dir, err = os.MkdirTemp("", "camrig-suite-")
	if err != nil {
		return "", "", err
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	return dir, virtualtest.Relocate(t, filepath.Join("..", "rigs", "virtual.yaml"), dir, defectTimescale), nil
}

// runSuiteIn runs the suite in a child process on the rig file in dir, with
// dir's state and lock directories (so a second run in the same dir is the
// next run on the same units and flash), its report and transcripts under
// dir/name, the label filter and any further Ginkgo arguments.
func runSuiteIn(ctx context.Context, dir, rigPath, name, filter string, ginkgoArgs ...string) suiteRun {
	report := filepath.Join(dir, name+".json")
	args := append([]string{"-test.run=^TestSpecs$", "-test.timeout=6m",
		"-rig=" + rigPath, "-out=" + filepath.Join(dir, name),
		"-ginkgo.label-filter=" + filter, "-ginkgo.json-report=" + report, "-ginkgo.no-color"}, ginkgoArgs...)
	cmd := exec.CommandContext(ctx, os.Args[0], args...)
	state := filepath.Join(dir, "state")
	if slices.Contains(ginkgoArgs, "-attach") {
		// The simulator runs on the rig file's own state dir, dir.
		state = dir
	}
	cmd.Env = append(os.Environ(), "CAMRIG_STATE_DIR="+state,
		"XDG_RUNTIME_DIR="+filepath.Join(dir, "run"), "TMPDIR="+dir)
	os.MkdirAll(filepath.Join(dir, "run"), 0o700)
	start := time.Now()
	out, runErr := cmd.CombinedOutput()
	r := suiteRun{output: out, report: report, outDir: filepath.Join(dir, name), took: time.Since(start)}
	data, err := os.ReadFile(report)
	if err != nil {
		r.err = fmt.Errorf("the suite left no report (%v): %v", runErr, err)
		return r
	}
	var reports []types.Report
	if err := json.Unmarshal(data, &reports); err != nil || len(reports) != 1 {
		r.err = fmt.Errorf("report %s: %v (%d suites)", report, err, len(reports))
		return r
	}
	for _, s := range reports[0].SpecReports {
		if s.LeafNodeType != types.NodeTypeIt {
			continue
		}
		r.allSpecs = append(r.allSpecs, s)
		if s.State != types.SpecStateSkipped {
			r.specs = append(r.specs, s)
		}
	}
	if len(r.specs) == 0 {
		r.err = fmt.Errorf("no spec ran with label filter %q", filter)
	}
	return r
}
