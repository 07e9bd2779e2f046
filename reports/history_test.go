package reports_test

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/onsi/ginkgo/v2/reporters"
	"github.com/onsi/ginkgo/v2/types"

	"github.com/camrig/camrig/reports"
)

// keepRun writes one run directory the way a gate keeps it.
func keepRun(t *testing.T, dir, name string, start time.Time, factoryState types.SpecState) {
	t.Helper()
	msg := ""
	if factoryState == types.SpecStateFailed {
		msg = gomegaError
	}
	rep := report(
		unitSpec("cam2", "hikvision-ds2cd", "boots after power-on", types.SpecStatePassed, ""),
		unitSpec("cam2", "hikvision-ds2cd", "factory-resets after the vendor's factory hold", factoryState, msg),
	)
	rep.StartTime = start
	run := filepath.Join(dir, name)
	if err := os.MkdirAll(run, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := reporters.GenerateJSONReport(rep, filepath.Join(run, reports.RunJSON)); err != nil {
		t.Fatal(err)
	}
}

func row(t *testing.T, h *reports.History, spec string) reports.HistoryRow {
	t.Helper()
	for _, r := range h.Rows {
		if r.Unit == "cam2" && r.Spec == spec {
			return r
		}
	}
	t.Fatalf("no history row for cam2 %q", spec)
	return reports.HistoryRow{}
}

const factory = "factory-resets after the vendor's factory hold"

func TestHistoryMarksANewFailure(t *testing.T) {
	dir := t.TempDir()
	keepRun(t, dir, "2026-12-01", t0, types.SpecStatePassed)
	keepRun(t, dir, "2026-12-02", t0.Add(24*time.Hour), types.SpecStateFailed)
	h, page, err := reports.WriteHistory(dir, 0)
	if err != nil {
		t.Fatal(err)
	}
	r := row(t, h, factory)
	if !r.New || r.Flaky || r.FailingSince != "2026-12-02" {
		t.Errorf("row %+v: want a new failure since 2026-12-02, not flaky", r)
	}
	if b := row(t, h, "boots after power-on"); b.New || b.Flaky || b.FailingSince != "" {
		t.Errorf("a green spec is marked: %+v", b)
	}
	html, err := os.ReadFile(page)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(html), `data-new="true"`) || !strings.Contains(string(html), "NEW failure") {
		t.Error("the history page does not mark the new failure")
	}
	var text bytes.Buffer
	h.Text(&text)
	if !strings.Contains(text.String(), "PF") || !strings.Contains(text.String(), "NEW FAILURE") {
		t.Errorf("text history:\n%s", text.String())
	}
}

func TestHistoryMarksFlakyAndKnownFailures(t *testing.T) {
	dir := t.TempDir()
	states := []types.SpecState{types.SpecStatePassed, types.SpecStateFailed, types.SpecStatePassed, types.SpecStateFailed, types.SpecStateFailed}
	for i, st := range states {
		keepRun(t, dir, "run"+string(rune('a'+i)), t0.Add(time.Duration(i)*time.Hour), st)
	}
	h, err := reports.LoadHistory(dir, 0)
	if err != nil {
		t.Fatal(err)
	}
	r := row(t, h, factory)
	if !r.Flaky || r.New || r.FailingSince != "rund" {
		t.Errorf("row %+v: want flaky, failing since rund, not new (it failed in the run before too)", r)
	}
	// Depth keeps only the newest runs: the last two both failed.
	h, err = reports.LoadHistory(dir, 2)
	if err != nil {
		t.Fatal(err)
	}
	if r := row(t, h, factory); r.Flaky || r.New || len(r.Results) != 2 {
		t.Errorf("depth 2: %+v", r)
	}
}

func TestHistoryOfNothingIsAnError(t *testing.T) {
	if _, err := reports.LoadHistory(t.TempDir(), 0); err == nil || !strings.Contains(err.Error(), "no run directories") {
		t.Errorf("err = %v", err)
	}
}
