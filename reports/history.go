package reports

import (
	_ "embed"
	"fmt"
	"html/template"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"github.com/onsi/ginkgo/v2/types"
)

//go:embed history.html.tmpl
var historyHTML string

var historyTmpl = template.Must(template.New("history").Parse(historyHTML))

// HistoryFile is the page WriteHistory writes into the history directory.
const HistoryFile = "history.html"

// RunJSON is the Ginkgo JSON report a run directory holds.
const RunJSON = "report.json"

// DefaultHistoryDepth is how many runs a history row shows.
const DefaultHistoryDepth = 10

// History is the last runs of a gate, spec by spec: which failures are new
// since the last green run and which specs flip between runs (flaky).
type History struct {
	Runs []HistoryRun
	Rows []HistoryRow
}

// HistoryRun is one kept run, oldest first.
type HistoryRun struct {
	Dir   string
	Start time.Time
	Rig   string
}

// HistoryRow is one unit × spec across the runs.
type HistoryRow struct {
	Unit, Spec string
	// Results has one entry per run (aligned with History.Runs): passed,
	// failed, skipped, or "" when the spec did not exist in that run.
	Results []string
	// Reasons align with Results: the failure's sentence or skip's reason.
	Reasons []string
	// Flaky: the spec both passed and failed within the runs shown, and
	// changed its result more than once.
	Flaky bool
	// New: it failed in the latest run, and the run before that had it
	// passing (a fresh break, not a known one).
	New bool
	// FailingSince is the first run of the current streak of failures.
	FailingSince string
}

// LoadHistory reads every run directory under dir (each holding RunJSON)
// and keeps the newest depth runs.
func LoadHistory(dir string, depth int) (*History, error) {
	if depth <= 0 {
		depth = DefaultHistoryDepth
	}
	ents, err := os.ReadDir(dir)
	if err != nil {
		return nil, fmt.Errorf("history: %w", err)
	}
	type run struct {
		info HistoryRun
		reps []types.Report
	}
	var runs []run
	for _, e := range ents {
		if !e.IsDir() {
			continue
		}
		path := filepath.Join(dir, e.Name(), RunJSON)
		if _, err := os.Stat(path); err != nil {
			continue // not a run directory
		}
		reps, err := LoadJSON(path)
		if err != nil {
			return nil, fmt.Errorf("history: %w", err)
		}
		r := run{info: HistoryRun{Dir: e.Name()}, reps: reps}
		for _, rep := range reps {
			if r.info.Start.IsZero() || (!rep.StartTime.IsZero() && rep.StartTime.Before(r.info.Start)) {
				r.info.Start = rep.StartTime
			}
		}
		if ri, ok := Run(reps); ok {
			r.info.Rig = ri.Rig
		}
		runs = append(runs, r)
	}
	if len(runs) == 0 {
		return nil, fmt.Errorf("history: no run directories with %s under %s", RunJSON, dir)
	}
	sort.SliceStable(runs, func(a, b int) bool {
		if runs[a].info.Start.Equal(runs[b].info.Start) {
			return runs[a].info.Dir < runs[b].info.Dir
		}
		return runs[a].info.Start.Before(runs[b].info.Start)
	})
	if len(runs) > depth {
		runs = runs[len(runs)-depth:]
	}
	h := &History{}
	index := map[[2]string]int{}
	for i, r := range runs {
		h.Runs = append(h.Runs, r.info)
		for _, rep := range r.reps {
			for _, spec := range rep.SpecReports {
				if spec.LeafNodeType != types.NodeTypeIt {
					continue
				}
				key := [2]string{Unit(spec), procedureOf(spec)}
				row, ok := index[key]
				if !ok {
					row = len(h.Rows)
					index[key] = row
					h.Rows = append(h.Rows, HistoryRow{Unit: key[0], Spec: key[1],
						Results: make([]string, len(runs)), Reasons: make([]string, len(runs))})
				}
				state := stateClass(spec.State)
				reason := ""
				switch state {
				case "failed":
					reason = Sentence(spec.Failure.Message)
				case "skipped":
					reason = skipReason(spec)
				}
				if worse(state, h.Rows[row].Results[i]) {
					h.Rows[row].Results[i] = state
					h.Rows[row].Reasons[i] = reason
				}
			}
		}
	}
	for i := range h.Rows {
		judge(&h.Rows[i], h.Runs)
	}
	sort.SliceStable(h.Rows, func(a, b int) bool {
		if h.Rows[a].Unit != h.Rows[b].Unit {
			return h.Rows[a].Unit < h.Rows[b].Unit
		}
		return h.Rows[a].Spec < h.Rows[b].Spec
	})
	return h, nil
}

// judge marks a row new, flaky and failing-since from its results.
func judge(r *HistoryRow, runs []HistoryRun) {
	var seen []int // indexes of runs with a pass or a failure
	for i, res := range r.Results {
		if res == "passed" || res == "failed" {
			seen = append(seen, i)
		}
	}
	if len(seen) == 0 {
		return
	}
	last := seen[len(seen)-1]
	if r.Results[last] == "failed" && last == len(r.Results)-1 {
		start := last
		for k := len(seen) - 2; k >= 0 && r.Results[seen[k]] == "failed"; k-- {
			start = seen[k]
		}
		r.FailingSince = runs[start].Dir
		if len(seen) >= 2 && r.Results[seen[len(seen)-2]] == "passed" {
			r.New = true
		}
	}
	changes, passed, failed := 0, false, false
	for k, i := range seen {
		passed = passed || r.Results[i] == "passed"
		failed = failed || r.Results[i] == "failed"
		if k > 0 && r.Results[i] != r.Results[seen[k-1]] {
			changes++
		}
	}
	r.Flaky = passed && failed && changes > 1
}

// Text writes the history as plain lines: what a terminal or a CI log shows.
func (h *History) Text(w io.Writer) {
	fmt.Fprintf(w, "history of %d runs (oldest first): %s\n", len(h.Runs), strings.Join(h.runNames(), " "))
	for _, r := range h.Rows {
		var b strings.Builder
		for _, res := range r.Results {
			b.WriteString(map[string]string{"passed": "P", "failed": "F", "skipped": "s", "": "."}[res])
		}
		mark := ""
		switch {
		case r.New:
			mark = "NEW FAILURE"
		case r.Flaky:
			mark = "FLAKY"
		case r.FailingSince != "":
			mark = "failing since " + r.FailingSince
		}
		fmt.Fprintf(w, "  %-8s %s  %-60s %s\n", r.Unit, b.String(), r.Spec, mark)
	}
}

func (h *History) runNames() []string {
	out := make([]string, len(h.Runs))
	for i, r := range h.Runs {
		out[i] = r.Dir
	}
	return out
}

// WriteHistory reads the runs under dir and writes dir/history.html.
func WriteHistory(dir string, depth int) (*History, string, error) {
	h, err := LoadHistory(dir, depth)
	if err != nil {
		return nil, "", err
	}
	path := filepath.Join(dir, HistoryFile)
	tmp, err := os.CreateTemp(dir, ".history-*.html")
	if err != nil {
		return nil, "", fmt.Errorf("history: %w", err)
	}
	defer os.Remove(tmp.Name())
	if err := historyTmpl.Execute(tmp, h); err != nil {
		tmp.Close()
		return nil, "", fmt.Errorf("history: rendering %s: %w", path, err)
	}
	if err := tmp.Chmod(0o644); err != nil {
		tmp.Close()
		return nil, "", fmt.Errorf("history: %w", err)
	}
	if err := tmp.Close(); err != nil {
		return nil, "", fmt.Errorf("history: %w", err)
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		return nil, "", fmt.Errorf("history: %w", err)
	}
	return h, path, nil
}
