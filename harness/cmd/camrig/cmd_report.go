package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"github.com/camrig/camrig/reports"
)

func init() {
	register(command{name: "report", summary: "render a run's Ginkgo JSON report to HTML", run: runReport})
}

// reportJSON is the file name `make run` passes to ginkgo --json-report.
const reportJSON = "report.json"

const reportAbout = `Reads Ginkgo's JSON report (--in: the file, or a directory holding
` + reportJSON + `) and writes index.html with every spec's timeline and junit.xml
into --out (default: the report's directory). Transcript paths recorded relative
to the run's output directory resolve against --out, so keep them together.

With --history DIR it reads every run kept under DIR (one folder per run, each
holding ` + reportJSON + `), prints each unit and spec's last --depth results, marks
failures that are new since the last green run and specs that flip (flaky), and
writes DIR/history.html.

With --merge DIR... (the output directories of the runners of one shared run,
--run-id) it writes one run's report into --out (required): each spec as the
runner that ran it reported it (the retry, when a runner died), the skipped
"run by <host>" copies dropped; index.html, junit.xml and ` + reportJSON + `.`

func runReport(_ context.Context, args []string, stdout, stderr io.Writer) int {
	f := newFlags("report --in DIR|FILE [--out DIR] | report --history DIR [--depth N] | report --merge DIR... --out DIR", reportAbout, stderr)
	in := f.String("in", filepath.Join("reports", "out"), "Ginkgo JSON report, or the directory holding "+reportJSON)
	out := f.String("out", "", "directory for index.html (default: the report's directory)")
	history := f.String("history", "", "directory of kept runs (one folder per run): write its history page")
	depth := f.Int("depth", reports.DefaultHistoryDepth, "with --history: how many of the newest runs to show")
	merge := f.Bool("merge", false, "merge the runners' output directories given as arguments into --out")
	pos, code, ok := f.parse(args)
	if !ok {
		return code
	}
	if *merge {
		return mergeReports(f, pos, *out, stdout)
	}
	if len(pos) > 0 {
		return f.usageErr("unexpected arguments %q", pos)
	}
	if *history != "" {
		h, page, err := reports.WriteHistory(*history, *depth)
		if err != nil {
			return f.failure(err)
		}
		h.Text(stdout)
		fmt.Fprintln(stdout, page)
		return exitOK
	}
	path := *in
	if st, err := os.Stat(path); err == nil && st.IsDir() {
		path = filepath.Join(path, reportJSON)
	}
	dir := *out
	if dir == "" {
		dir = filepath.Dir(path)
	}
	reps, err := reports.LoadJSON(path)
	if err != nil {
		return f.failure(fmt.Errorf("reading the run's report: %w", err))
	}
	if err := reports.WriteDir(dir, reps); err != nil {
		return f.failure(err)
	}
	for _, rep := range reps {
		if err := reports.WriteJUnit(dir, rep); err != nil {
			return f.failure(err)
		}
	}
	fmt.Fprintln(stdout, filepath.Join(dir, reports.IndexFile))
	return exitOK
}

// mergeReports is report --merge: one report of a shared run's runners.
func mergeReports(f *flags, dirs []string, out string, stdout io.Writer) int {
	if len(dirs) < 1 {
		return f.usageErr("--merge needs the runners' output directories")
	}
	if out == "" {
		return f.usageErr("--merge needs --out")
	}
	var runners []reports.RunnerOutput
	for _, d := range dirs {
		reps, err := reports.LoadJSON(filepath.Join(d, reportJSON))
		if err != nil {
			return f.failure(fmt.Errorf("reading runner output %s: %w", d, err))
		}
		runners = append(runners, reports.RunnerOutput{Dir: d, Reports: reps})
	}
	merged, err := reports.Merge(out, runners)
	if err != nil {
		return f.failure(err)
	}
	if err := reports.WriteDir(out, merged); err != nil {
		return f.failure(err)
	}
	for _, rep := range merged {
		if err := reports.WriteJUnit(out, rep); err != nil {
			return f.failure(err)
		}
	}
	data, err := json.MarshalIndent(merged, "", "  ")
	if err == nil {
		err = os.WriteFile(filepath.Join(out, reportJSON), data, 0o644)
	}
	if err != nil {
		return f.failure(fmt.Errorf("writing the merged %s: %w", reportJSON, err))
	}
	fmt.Fprintln(stdout, filepath.Join(out, reports.IndexFile))
	return exitOK
}
