package reports_test

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/onsi/ginkgo/v2/reporters"
	"github.com/onsi/ginkgo/v2/types"

	"github.com/camrig/camrig/harness/timeline"
	"github.com/camrig/camrig/reports"
)

var t0 = time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)

// events is one factory reset: power off then on, a 2 s hold, a console
// marker. With the spec running [t0, t0+10s] the plot maps 10 s onto 850 px
// starting at x=90, so every second is 85 px.
func events(unit string) []timeline.Event {
	tl := timeline.New(unit)
	tl.Mark(t0, timeline.Power, "off", "numato:/dev/pts/3#0")
	tl.Span(t0.Add(1*time.Second), t0.Add(3*time.Second), timeline.Press, "hold", "numato:/dev/pts/3#1")
	tl.Mark(t0.Add(5*time.Second), timeline.Console, "ready", "blink: app ready")
	tl.Add(timeline.Event{At: t0.Add(6 * time.Second), Source: "relay-temp", Kind: "reading"})
	return tl.Events()
}

func entry(name string, v any) types.ReportEntry {
	return types.ReportEntry{Name: name, Value: types.WrapEntryValue(v), Visibility: types.ReportEntryVisibilityNever}
}

func spec(text string, state types.SpecState, entries ...types.ReportEntry) types.SpecReport {
	return types.SpecReport{
		ContainerHierarchyTexts: []string{"Factory reset"},
		LeafNodeType:            types.NodeTypeIt,
		LeafNodeText:            text,
		LeafNodeLocation:        types.CodeLocation{FileName: "/src/specs/reset_test.go", LineNumber: 42},
		State:                   state,
		StartTime:               t0,
		EndTime:                 t0.Add(10 * time.Second),
		RunTime:                 10 * time.Second,
		ReportEntries:           entries,
	}
}

func report(specs ...types.SpecReport) types.Report {
	return types.Report{SuiteDescription: "camrig specs", SuitePath: "/src/specs", SuiteSucceeded: true,
		StartTime: t0, EndTime: t0.Add(time.Minute), RunTime: time.Minute, SpecReports: specs}
}

// roundTrip writes rep the way `ginkgo --json-report` does and reads it
// back, so entry values are what a real report file holds (JSON, not Go
// values).
func roundTrip(t *testing.T, rep types.Report) types.Report {
	t.Helper()
	path := filepath.Join(t.TempDir(), "report.json")
	if err := reporters.GenerateJSONReport(rep, path); err != nil {
		t.Fatal(err)
	}
	reps, err := reports.LoadJSON(path)
	if err != nil {
		t.Fatal(err)
	}
	if len(reps) != 1 {
		t.Fatalf("%d reports", len(reps))
	}
	return reps[0]
}

func render(t *testing.T, rep types.Report) string {
	t.Helper()
	var b bytes.Buffer
	if err := reports.Render(&b, rep); err != nil {
		t.Fatal(err)
	}
	return b.String()
}

func mustContain(t *testing.T, html string, want ...string) {
	t.Helper()
	for _, w := range want {
		if !strings.Contains(html, w) {
			t.Errorf("output lacks %q", w)
		}
	}
}

func TestTimelineDrawnAtTimes(t *testing.T) {
	rep := report(spec("comes back uninitialized", types.SpecStatePassed,
		entry(reports.EntryUnit, "cam1"), entry(reports.EntryTimeline, events("cam1"))))
	for name, r := range map[string]types.Report{"in-process": rep, "json file": roundTrip(t, rep)} {
		t.Run(name, func(t *testing.T) {
			html := render(t, r)
			mustContain(t, html,
				// press lane (second): top 22+26, bar 5 below; 1 s -> 175, 2 s -> 170 wide
				`<rect x="175.0" y="53.0" width="170.0" height="16.0" rx="2"/>`,
				`hold 2s</text>`,
				// power instant at t=0 on the first lane
				`<line class="tick" x1="90.0" y1="25.0" x2="90.0" y2="45.0"/>`,
				// console marker at 5 s on the fourth lane
				`<line class="tick" x1="515.0" y1="103.0" x2="515.0" y2="123.0"/>`, `>ready</text>`,
				// a source outside the fixed lanes gets its own lane after them
				`>relay-temp</text>`, `<line class="tick" x1="600.0" y1="207.0"`,
				`<td>cam1</td>`, `class="state state-passed">passed</td>`,
				`>&#43;2s</text>`, `>&#43;10s</text>`,
			)
			for _, lane := range []string{"power", "press", "led", "console", "step", "api", "flash"} {
				mustContain(t, html, `class="lane-label" x="4" y=`, ">"+lane+"</text>")
			}
		})
	}
}

func TestTimelineEntryAsJSONString(t *testing.T) {
	// The lead may attach timeline.WriteJSON's output as a string.
	tl := timeline.New("cam2")
	for _, e := range events("cam2") {
		tl.Add(e)
	}
	var js bytes.Buffer
	if err := tl.WriteJSON(&js); err != nil {
		t.Fatal(err)
	}
	rep := roundTrip(t, report(spec("boots", types.SpecStatePassed, entry(reports.EntryTimeline, js.String()))))
	ev, err := reports.Timeline(rep.SpecReports[0])
	if err != nil || len(ev) != 4 || ev[1].Dur != 2*time.Second || ev[1].Source != timeline.Press {
		t.Fatalf("events %+v, %v", ev, err)
	}
	if u := reports.Unit(rep.SpecReports[0]); u != "cam2" {
		t.Fatalf("unit from events = %q", u)
	}
	mustContain(t, render(t, rep), `<rect x="175.0" y="53.0" width="170.0"`)
}

func TestFailedSpecStillDrawsItsTimeline(t *testing.T) {
	s := spec("keeps settings after a reboot hold", types.SpecStateFailed,
		entry(reports.EntryTimeline, events("cam1")), entry(reports.EntryTranscript, "/tmp/out/transcripts/cam1.log"))
	s.Failure = types.Failure{Message: "Expected\n    <bool>: false\nto be true",
		Location:         types.CodeLocation{FileName: "/src/specs/reset_test.go", LineNumber: 57},
		TimelineLocation: types.TimelineLocation{Time: t0.Add(8 * time.Second)}}
	rep := report(s)
	rep.SuiteSucceeded = false
	html := render(t, roundTrip(t, rep))
	mustContain(t, html,
		`<rect x="175.0" y="53.0" width="170.0"`,
		`class="state state-failed">failed</td>`, `<td>Expected false to be true</td>`,
		`(at /src/specs/reset_test.go:57)`, "to be true</pre>",
		// failure marker at 8 s
		`<g class="fail"><line x1="770.0"`, `failed &#43;8s`,
		`Console transcript: <a href="/tmp/out/transcripts/cam1.log">`,
		`suite-failed`)
}

func TestHostileTextIsEscaped(t *testing.T) {
	evil := `<script>alert("x")</script>`
	ev := []timeline.Event{{At: t0, Source: timeline.Step, Kind: evil, Detail: evil, Attrs: map[string]string{evil: evil}},
		{At: t0, Dur: time.Second, Source: timeline.Source(`"><svg onload=alert(1)>`), Kind: evil}}
	s := spec(evil, types.SpecStateFailed, entry(reports.EntryTimeline, ev), entry(reports.EntryUnit, evil),
		entry(reports.EntryTranscript, `javascript:alert(1)`), entry(reports.EntryTranscript, `x" onmouseover="alert(1)`))
	s.ContainerHierarchyTexts = []string{evil}
	s.Failure.Message = evil
	s.CapturedGinkgoWriterOutput = evil
	rep := report(s)
	rep.SuiteDescription = evil
	rep.SpecialSuiteFailureReasons = []string{evil}
	html := render(t, roundTrip(t, rep))
	for _, bad := range []string{`<script>alert`, `<svg onload`, `href="javascript:`, `" onmouseover="`} {
		if strings.Contains(html, bad) {
			t.Errorf("unescaped %q in output", bad)
		}
	}
	mustContain(t, html, "&lt;script&gt;", `class="instant src-step"`, `class="bar src-other"`)
}

func TestEmptyReports(t *testing.T) {
	html := render(t, types.Report{})
	mustContain(t, html, "<html", "No specs ran.", "</html>")

	var b bytes.Buffer
	dir := t.TempDir()
	if err := reports.WriteDir(dir, nil); err != nil {
		t.Fatal(err)
	}
	got, err := os.ReadFile(filepath.Join(dir, reports.IndexFile))
	if err != nil {
		t.Fatal(err)
	}
	b.Write(got)
	mustContain(t, b.String(), "The report holds no suites.")
}

func TestSpecWithoutTimeline(t *testing.T) {
	html := render(t, report(spec("skipped on this rig", types.SpecStateSkipped)))
	mustContain(t, html, "No timeline recorded.", `class="state state-skipped">skipped</td>`)
	if strings.Contains(html, "<svg") {
		t.Error("drew an SVG without events")
	}
}

func TestBadTimelineEntryIsReportedNotFatal(t *testing.T) {
	rep := roundTrip(t, report(spec("boots", types.SpecStatePassed,
		entry(reports.EntryTimeline, "not json"), entry(reports.EntryTimeline, events("cam3")))))
	ev, err := reports.Timeline(rep.SpecReports[0])
	if err == nil || !strings.Contains(err.Error(), "not a list of timeline events") || len(ev) != 4 {
		t.Fatalf("events %d, err %v", len(ev), err)
	}
	html := render(t, rep)
	mustContain(t, html, "not a list of timeline events", `<rect x="175.0"`)
}

func TestWriteDirLinksTranscriptsRelative(t *testing.T) {
	dir := t.TempDir()
	out := filepath.Join(dir, "out")
	transcript := filepath.Join(out, "transcripts", "cam1 boot.log")
	rep := report(spec("boots", types.SpecStatePassed, entry(reports.EntryTranscript, transcript)))
	other := report(spec("boots again", types.SpecStatePassed, entry(reports.EntryTranscript, filepath.Join(dir, "elsewhere.log"))))
	other.SuiteDescription = "second suite"
	if err := reports.WriteDir(out, []types.Report{rep, other}); err != nil {
		t.Fatal(err)
	}
	html, err := os.ReadFile(filepath.Join(out, reports.IndexFile))
	if err != nil {
		t.Fatal(err)
	}
	mustContain(t, string(html), `href="transcripts/cam1%20boot.log"`, `href="../elsewhere.log"`,
		"second suite", `id="s1-1"`, `id="s2-1"`)
	left, _ := filepath.Glob(filepath.Join(out, ".index-*"))
	if len(left) != 0 {
		t.Fatalf("temporary files left: %v", left)
	}
}

func TestSuiteNodesShownOnlyWhenFailed(t *testing.T) {
	ok := types.SpecReport{LeafNodeType: types.NodeTypeSynchronizedBeforeSuite, State: types.SpecStatePassed}
	bad := types.SpecReport{LeafNodeType: types.NodeTypeBeforeSuite, State: types.SpecStateFailed,
		Failure: types.Failure{Message: "rig file rigs/x.yaml:3: unknown key"}}
	html := render(t, report(ok, bad))
	mustContain(t, html, "BeforeSuite", "rig file rigs/x.yaml:3: unknown key")
	if strings.Contains(html, "SynchronizedBeforeSuite") {
		t.Error("a passing suite node was listed")
	}
}

func TestReadJSONRejectsGarbage(t *testing.T) {
	for _, in := range []string{"", "{", `[{"SpecReports": 3}]`, "<html>"} {
		if _, err := reports.ReadJSON(strings.NewReader(in)); err == nil {
			t.Errorf("accepted %q", in)
		}
	}
	one, _ := json.Marshal(report())
	if reps, err := reports.ReadJSON(bytes.NewReader(one)); err != nil || len(reps) != 1 {
		t.Fatalf("single object: %v %v", reps, err)
	}
}

func FuzzReadJSON(f *testing.F) {
	seed, _ := json.Marshal([]types.Report{report(spec("boots", types.SpecStateFailed,
		entry(reports.EntryTimeline, events("cam1")), entry(reports.EntryTranscript, "t.log")))})
	f.Add(seed)
	f.Add([]byte(`[{"SpecReports":[{"LeafNodeType":"It","ReportEntries":[{"Name":"timeline","Value":{"AsJSON":"\"[{\\\"dur\\\":-5}]\""}}]}]}]`))
	f.Add([]byte("[]"))
	f.Fuzz(func(t *testing.T, data []byte) {
		reps, err := reports.ReadJSON(bytes.NewReader(data))
		if err != nil {
			return
		}
		for _, r := range reps {
			if err := reports.Render(&bytes.Buffer{}, r); err != nil {
				t.Fatalf("render: %v", err)
			}
		}
	})
}
