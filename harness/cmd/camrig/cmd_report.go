package main

import (
	"context"
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
` + reportJSON + `) and writes index.html with every spec's timeline into --out
(default: the report's directory). Transcript paths recorded relative to the
run's output directory resolve against --out, so keep them together.`

func runReport(_ context.Context, args []string, stdout, stderr io.Writer) int {
	f := newFlags("report --in DIR|FILE [--out DIR]", reportAbout, stderr)
	in := f.String("in", filepath.Join("reports", "out"), "Ginkgo JSON report, or the directory holding "+reportJSON)
	out := f.String("out", "", "directory for index.html (default: the report's directory)")
	pos, code, ok := f.parse(args)
	if !ok {
		return code
	}
	if len(pos) > 0 {
		return f.usageErr("unexpected arguments %q", pos)
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
	fmt.Fprintln(stdout, filepath.Join(dir, reports.IndexFile))
	return exitOK
}
