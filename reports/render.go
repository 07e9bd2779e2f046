package reports

import (
	_ "embed"
	"fmt"
	"html/template"
	"io"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/onsi/ginkgo/v2/types"
)

//go:embed index.html.tmpl
var indexHTML string

var pageTmpl = template.Must(template.New("index").Parse(indexHTML))

// IndexFile is the page WriteDir writes.
const IndexFile = "index.html"

// Render writes one suite's report as a standalone HTML page. Transcript
// links are the recorded paths as they are.
func Render(w io.Writer, rep types.Report) error {
	return render(w, []types.Report{rep}, "")
}

// WriteDir writes dir/index.html for every suite in reports (a merged
// `ginkgo -p --json-report` holds one per suite), with transcript links
// relative to dir. The page is replaced atomically, so a browser never shows
// half a report.
func WriteDir(dir string, reports []types.Report) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("reports: %w", err)
	}
	abs, err := filepath.Abs(dir)
	if err != nil {
		return fmt.Errorf("reports: %w", err)
	}
	tmp, err := os.CreateTemp(dir, ".index-*.html")
	if err != nil {
		return fmt.Errorf("reports: %w", err)
	}
	defer os.Remove(tmp.Name()) // no-op after the rename
	if err := render(tmp, reports, abs); err != nil {
		tmp.Close()
		return fmt.Errorf("reports: rendering %s: %w", filepath.Join(dir, IndexFile), err)
	}
	if err := tmp.Chmod(0o644); err != nil {
		tmp.Close()
		return fmt.Errorf("reports: %w", err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("reports: %w", err)
	}
	if err := os.Rename(tmp.Name(), filepath.Join(dir, IndexFile)); err != nil {
		return fmt.Errorf("reports: %w", err)
	}
	return nil
}

type page struct {
	Title  string
	Run    *RunInfo
	Matrix *matrix
	Suites []suiteView
}

type suiteView struct {
	Description, Path string
	Succeeded         bool
	Start, RunTime    string
	Counts            []stateCount
	SpecialFailures   []string
	Specs             []specView
}

type stateCount struct {
	State string
	N     int
}

type specView struct {
	ID, Name, Location, Unit string
	// IsIt is false for suite and setup nodes, shown only when they fail
	// and never counted as specs.
	IsIt               bool
	Procedure, Profile string
	State, StateClass  string
	Duration           string
	// Reason is the failure's one sentence, or the skip's reason.
	Reason                   string
	Failure, FailureLocation string
	// Context is the console lines just before the failure.
	Context     []string
	Labels      []string
	Timeline    *drawing
	Zoom        *drawing
	TimelineErr string
	Transcripts []link
	Output      string
}

type link struct{ Href, Text string }

func render(w io.Writer, reports []types.Report, outDir string) error {
	p := page{Title: "camrig run report"}
	if len(reports) == 1 && reports[0].SuiteDescription != "" {
		p.Title = "camrig: " + reports[0].SuiteDescription
	}
	scale := 1.0
	if ri, ok := Run(reports); ok {
		p.Run = &ri
		if ri.Timescale > 0 {
			scale = ri.Timescale
		}
	}
	for i, rep := range reports {
		p.Suites = append(p.Suites, suiteOf(i, rep, outDir, scale))
	}
	p.Matrix = buildMatrix(p.Suites, Firmware(reports))
	return pageTmpl.Execute(w, p)
}

func suiteOf(i int, rep types.Report, outDir string, scale float64) suiteView {
	s := suiteView{Description: rep.SuiteDescription, Path: rep.SuitePath, Succeeded: rep.SuiteSucceeded,
		RunTime: fmtDur(rep.RunTime), SpecialFailures: rep.SpecialSuiteFailureReasons}
	if s.Description == "" {
		s.Description = fmt.Sprintf("suite %d", i+1)
	}
	if !rep.StartTime.IsZero() {
		s.Start = rep.StartTime.Format(time.RFC3339)
	}
	counts := map[string]int{}
	var order []string
	for j, spec := range rep.SpecReports {
		if !shown(spec) {
			continue
		}
		v := specOf(fmt.Sprintf("s%d-%d", i+1, j+1), spec, outDir, scale)
		if counts[v.State] == 0 {
			order = append(order, v.State)
		}
		counts[v.State]++
		s.Specs = append(s.Specs, v)
	}
	for _, st := range order {
		s.Counts = append(s.Counts, stateCount{st, counts[st]})
	}
	return s
}

// shown keeps the specs (It nodes) and any suite-level node that failed:
// a broken BeforeSuite is the first thing a reader must see.
func shown(spec types.SpecReport) bool {
	return spec.LeafNodeType == types.NodeTypeIt || spec.Failed()
}

func specOf(id string, spec types.SpecReport, outDir string, scale float64) specView {
	v := specView{ID: id, Name: spec.FullText(), Unit: Unit(spec), State: spec.State.String(),
		StateClass: stateClass(spec.State), Duration: fmtDur(spec.RunTime), Labels: spec.Labels(),
		Output: spec.CapturedGinkgoWriterOutput, IsIt: spec.LeafNodeType == types.NodeTypeIt,
		Procedure: procedureOf(spec), Profile: Profile(spec)}
	if v.StateClass == "skipped" {
		v.Reason = skipReason(spec)
	}
	if v.Name == "" {
		v.Name = spec.LeafNodeType.String()
	}
	if spec.LeafNodeLocation.FileName != "" {
		v.Location = fmt.Sprintf("%s:%d", spec.LeafNodeLocation.FileName, spec.LeafNodeLocation.LineNumber)
	}
	if spec.Failed() {
		v.Failure = spec.Failure.Message
		if spec.Failure.ForwardedPanic != "" {
			v.Failure = strings.TrimSpace(v.Failure + "\npanic: " + spec.Failure.ForwardedPanic)
		}
		if loc := spec.Failure.Location; loc.FileName != "" {
			v.FailureLocation = fmt.Sprintf("%s:%d", loc.FileName, loc.LineNumber)
		}
		v.Reason = Sentence(v.Failure)
	}
	events, err := Timeline(spec)
	if err != nil {
		v.TimelineErr = err.Error()
	}
	var failedAt time.Time
	if spec.Failed() {
		failedAt = spec.Failure.TimelineLocation.Time
	}
	v.Timeline = layout(events, spec.StartTime, spec.EndTime, failedAt, scale)
	if !failedAt.IsZero() {
		v.Zoom = zoom(events, failedAt, scale)
	}
	paths := Transcripts(spec)
	for _, t := range paths {
		v.Transcripts = append(v.Transcripts, transcriptLink(t, outDir))
	}
	if spec.Failed() {
		path := ""
		if len(paths) > 0 {
			path = paths[len(paths)-1]
			if outDir != "" && !filepath.IsAbs(path) {
				path = filepath.Join(outDir, path)
			}
		}
		v.Context = consoleContext(path, entryNamed(spec, "console tail"))
	}
	return v
}

// entryNamed is the string value of the entry called name, or "".
func entryNamed(spec types.SpecReport, name string) string {
	for _, e := range spec.ReportEntries {
		if e.Name == name {
			return entryString(e)
		}
	}
	return ""
}

func stateClass(s types.SpecState) string {
	switch {
	case s.Is(types.SpecStateFailureStates):
		return "failed"
	case s == types.SpecStatePassed:
		return "passed"
	default:
		return "skipped"
	}
}

// transcriptLink makes a transcript path clickable from the page: relative
// to the output directory when there is one (so the out/ tree can be moved
// or archived whole), the path itself otherwise.
func transcriptLink(path, outDir string) link {
	target := path
	if outDir != "" && filepath.IsAbs(path) {
		if rel, err := filepath.Rel(outDir, path); err == nil {
			target = rel
		}
	}
	return link{Href: (&url.URL{Path: filepath.ToSlash(target)}).String(), Text: path}
}
