package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/onsi/ginkgo/v2/types"
)

// writeGinkgoReport writes a one-spec Ginkgo JSON report into dir.
func writeGinkgoReport(t *testing.T, dir string) string {
	t.Helper()
	reps := []types.Report{{
		SuiteDescription: "camrig reset suites",
		SuiteSucceeded:   true,
		SpecReports: types.SpecReports{{
			LeafNodeType: types.NodeTypeIt,
			LeafNodeText: "boots after power-on <b>",
			State:        types.SpecStatePassed,
		}},
	}}
	data, err := json.Marshal(reps)
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, reportJSON)
	if err := os.WriteFile(path, data, 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

func TestReportWritesIndexBesideTheJSON(t *testing.T) {
	dir := t.TempDir()
	writeGinkgoReport(t, dir)
	stdout, _ := wantExit(t, exitOK, "report", "--in", dir)
	index := filepath.Join(dir, "index.html")
	if strings.TrimSpace(stdout) != index {
		t.Fatalf("printed %q, want the index path %q", stdout, index)
	}
	page, err := os.ReadFile(index)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(page), "boots after power-on &lt;b&gt;") {
		t.Errorf("index.html does not list the spec (escaped):\n%.2000s", page)
	}
}

func TestReportFromFileToOtherDir(t *testing.T) {
	in := writeGinkgoReport(t, t.TempDir())
	out := filepath.Join(t.TempDir(), "html")
	stdout, _ := wantExit(t, exitOK, "report", "--in", in, "--out", out)
	if strings.TrimSpace(stdout) != filepath.Join(out, "index.html") {
		t.Fatalf("printed %q", stdout)
	}
	if _, err := os.Stat(filepath.Join(out, "index.html")); err != nil {
		t.Fatal(err)
	}
}

func TestReportErrors(t *testing.T) {
	junk := filepath.Join(t.TempDir(), "junk.json")
	if err := os.WriteFile(junk, []byte("{not json"), 0o644); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name       string
		args       []string
		want       int
		wantStderr string
	}{
		{"missing dir", []string{"report", "--in", filepath.Join(t.TempDir(), "none")}, exitFailed, "none"},
		{"junk", []string{"report", "--in", junk}, exitFailed, "junk.json: not a Ginkgo JSON report"},
		{"positional", []string{"report", "reports/out"}, exitUsage, "unexpected arguments"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, stderr := wantExit(t, tt.want, tt.args...)
			if !strings.Contains(stderr, tt.wantStderr) {
				t.Fatalf("stderr does not mention %q:\n%s", tt.wantStderr, stderr)
			}
		})
	}
}

func TestReportMergeWritesOneRunOfTheRunners(t *testing.T) {
	a, b := t.TempDir(), t.TempDir()
	writeGinkgoReport(t, a)
	writeGinkgoReport(t, b)
	out := filepath.Join(t.TempDir(), "merged")
	stdout, _ := wantExit(t, exitOK, "report", "--merge", a, b, "--out", out)
	if strings.TrimSpace(stdout) != filepath.Join(out, "index.html") {
		t.Fatalf("printed %q", stdout)
	}
	for _, f := range []string{"index.html", "junit.xml", reportJSON} {
		if _, err := os.Stat(filepath.Join(out, f)); err != nil {
			t.Fatal(err)
		}
	}
	var reps []types.Report
	data, _ := os.ReadFile(filepath.Join(out, reportJSON))
	if err := json.Unmarshal(data, &reps); err != nil || len(reps) != 1 || len(reps[0].SpecReports) != 1 {
		t.Fatalf("merged report.json: %v %+v", err, reps)
	}
	wantExit(t, exitUsage, "report", "--merge", a, b)
	wantExit(t, exitUsage, "report", "--merge", "--out", out)
	wantExit(t, exitFailed, "report", "--merge", a, filepath.Join(b, "missing"), "--out", out)
}
