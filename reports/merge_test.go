package reports_test

import (
	"path/filepath"
	"testing"

	"github.com/onsi/ginkgo/v2/types"

	"github.com/camrig/camrig/reports"
)

// Two runners of one shared run: each ran some units and skipped the
// others as "run by <host>"; a unit whose runner died was retried by the
// other. The merged run has each spec once, as the runner that ran it (the
// retry when there was one) reported it, with transcripts relative to the
// merged directory.
func TestMergeKeepsEachSpecAsItsRunnerReportedIt(t *testing.T) {
	skipped := func(text string) types.SpecReport {
		s := spec(text, types.SpecStateSkipped)
		s.Failure.Message = "run by runner-b"
		return s
	}
	dir := t.TempDir()
	a := filepath.Join(dir, "runner-a")
	b := filepath.Join(dir, "runner-b")
	out := filepath.Join(dir, "merged")

	ranA := spec("cam1 resets", types.SpecStatePassed, entry(reports.EntryTranscript, "transcripts/cam1.log"))
	failedB := spec("cam3 resets", types.SpecStateFailed)
	retried := spec("cam2 resets", types.SpecStatePassed, entry(reports.EntryRetried, "pid 42 on host runner-a"))
	retried.EndTime = retried.EndTime.Add(1)
	runA := report(ranA, skipped("cam2 resets"), skipped("cam3 resets"))
	runB := report(skipped("cam1 resets"), retried, failedB)
	// Runner a had started cam2 before it died: its report (from a
	// parallel process that survived) holds a failed attempt.
	runA.SpecReports[1] = spec("cam2 resets", types.SpecStateFailed)

	merged, err := reports.Merge(out, []reports.RunnerOutput{
		{Dir: a, Reports: []types.Report{roundTrip(t, runA)}},
		{Dir: b, Reports: []types.Report{roundTrip(t, runB)}},
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(merged) != 1 || len(merged[0].SpecReports) != 3 {
		t.Fatalf("merged = %+v", merged)
	}
	got := map[string]types.SpecReport{}
	for _, s := range merged[0].SpecReports {
		got[s.LeafNodeText] = s
	}
	if got["cam1 resets"].State != types.SpecStatePassed || got["cam2 resets"].State != types.SpecStatePassed ||
		got["cam3 resets"].State != types.SpecStateFailed {
		t.Fatalf("states: %v %v %v", got["cam1 resets"].State, got["cam2 resets"].State, got["cam3 resets"].State)
	}
	if tr := reports.Transcripts(got["cam1 resets"]); len(tr) != 1 || tr[0] != filepath.Join("..", "runner-a", "transcripts", "cam1.log") {
		t.Fatalf("transcript not relative to the merged dir: %q", tr)
	}
	if merged[0].SuiteSucceeded {
		t.Fatal("a failed spec fails the merged run")
	}
	if _, err := reports.Merge(out, nil); err == nil {
		t.Fatal("merging nothing must fail")
	}
	other := report(ranA)
	other.SuitePath = "/elsewhere"
	if _, err := reports.Merge(out, []reports.RunnerOutput{{Dir: a, Reports: []types.Report{runA}}, {Dir: b, Reports: []types.Report{other}}}); err == nil {
		t.Fatal("reports of different suites are not one run")
	}
	// The merged run renders.
	if err := reports.WriteDir(out, merged); err != nil {
		t.Fatal(err)
	}
}
