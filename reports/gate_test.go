package reports_test

import (
	"bytes"
	"encoding/xml"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/onsi/ginkgo/v2/reporters"
	"github.com/onsi/ginkgo/v2/types"

	"github.com/camrig/camrig/harness/timeline"
	"github.com/camrig/camrig/reports"
)

// gomegaError is how Gomega prints an unexpected error: the reader needs
// the middle line, not the type dump around it.
const gomegaError = "Unexpected error:\n" +
	"    <*fmt.wrapError | 0x34048dbbb260>: \n" +
	"    cam3 did not boot: deadline of 2.4s passed waiting for cam3 boot-ready marker \"ipc: system ready\"\n" +
	"    {\n" +
	"        msg: \"cam3 did not boot: ...\",\n" +
	"        err: <*console.ExpectError | 0x34048de75e50>{\n" +
	"            Port: \"/tmp/x/cam3.uart\",\n" +
	"        },\n" +
	"    }\n" +
	"occurred"

func TestSentence(t *testing.T) {
	for _, tc := range []struct{ name, msg, want string }{
		{"unexpected error", gomegaError,
			`cam3 did not boot: deadline of 2.4s passed waiting for cam3 boot-ready marker "ipc: system ready"`},
		{"described error", "opening unit cam1\n" + gomegaError,
			`opening unit cam1: cam3 did not boot: deadline of 2.4s passed waiting for cam3 boot-ready marker "ipc: system ready"`},
		{"expected form", "the NVR channel must go offline\nExpected\n    <string>: online\nto equal\n    <string>: offline",
			"the NVR channel must go offline Expected online to equal offline"},
		{"plain", "A spec timeout occurred", "A spec timeout occurred"},
		{"empty", "  ", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := reports.Sentence(tc.msg)
			if got != tc.want {
				t.Errorf("Sentence:\n got %q\nwant %q", got, tc.want)
			}
			for _, bad := range []string{"0x3404", "*fmt.wrapError", "ExpectError"} {
				if strings.Contains(got, bad) {
					t.Errorf("sentence %q carries Gomega's dump (%q)", got, bad)
				}
			}
		})
	}
}

func unitSpec(unit, model, text string, state types.SpecState, msg string) types.SpecReport {
	s := spec(text, state, entry(reports.EntryUnit, unit), entry(reports.EntryProfile, model),
		entry(reports.EntryRun, reports.RunInfo{Rig: "bench7", RigFile: "/labs/rigs/bench7.yaml", Timescale: 1, Seed: 42, Version: "v0.3-1-gabc"}),
		entry(reports.EntryTimeline, events(unit)))
	s.ContainerHierarchyTexts = []string{"Unit", unit + " (" + model + ")"}
	s.ContainerHierarchyLabels = [][]string{nil, {"unit:" + unit}}
	s.Failure.Message = msg
	return s
}

// gateReport is three units: cam2 fails its factory reset, cam3 skips the
// lockout with a reason, and a BeforeAll node that must not be counted.
func gateReport() types.Report {
	setup := types.SpecReport{LeafNodeType: types.NodeTypeBeforeAll, State: types.SpecStatePassed,
		ContainerHierarchyTexts: []string{"Unit", "cam1 (blink)"}}
	rep := report(
		setup,
		unitSpec("cam1", "blink", "boots after power-on", types.SpecStatePassed, ""),
		unitSpec("cam1", "blink", "factory-resets after the vendor's factory hold", types.SpecStatePassed, ""),
		unitSpec("cam2", "hikvision-ds2cd", "boots after power-on", types.SpecStatePassed, ""),
		unitSpec("cam2", "hikvision-ds2cd", "factory-resets after the vendor's factory hold", types.SpecStateFailed, gomegaError),
		unitSpec("cam3", "generic-poe-ipc", "locks out guessed passwords", types.SpecStateSkipped, "the unit has no API binding"),
	)
	rep.SpecReports[2].ReportEntries = append(rep.SpecReports[2].ReportEntries, entry(reports.EntryFirmware, "V5.7.1"))
	rep.SuiteSucceeded = false
	return rep
}

func TestMatrixHeadsTheReport(t *testing.T) {
	html := render(t, roundTrip(t, gateReport()))
	mustContain(t, html,
		`rig <b>bench7</b> (bench) from <code>/labs/rigs/bench7.yaml</code>`, `seed 42`, `suites v0.3-1-gabc`,
		`data-passed="3" data-failed="1" data-skipped="1"`,
		`firmware V5.7.1`,
		// the failing cell says why in one sentence, and links to the spec
		`<td class="cell cell-failed" data-state="failed" data-n="1" title="cam3 did not boot: deadline of 2.4s passed`,
		// the skip's reason in text and on hover
		`title="the unit has no API binding"`, `<div class="why">the unit has no API binding</div>`,
		`<th class="proc">factory-resets after the vendor&#39;s factory hold</th>`,
	)
	if i, j := strings.Index(html, `id="run"`), strings.Index(html, `id="matrix"`); i < 0 || j < i {
		t.Errorf("the rig must head the page, before the matrix (run at %d, matrix at %d)", i, j)
	}
	if strings.Contains(html, "0x34048dbbb260") && strings.Index(html, "0x34048dbbb260") < strings.Index(html, "<details>") {
		t.Error("a pointer address shows outside the collapsed raw failure")
	}
}

func TestReportWithoutRunSaysSo(t *testing.T) {
	html := render(t, roundTrip(t, report(spec("boots", types.SpecStatePassed))))
	mustContain(t, html, "This report does not say which rig it ran on.")
}

// The matrix counts and the JUnit counts are the same specs: setup nodes
// are neither cells nor test cases.
func TestJUnitMatchesMatrix(t *testing.T) {
	dir := t.TempDir()
	rep := roundTrip(t, gateReport())
	if err := reports.WriteJUnit(dir, rep); err != nil {
		t.Fatal(err)
	}
	raw, err := os.ReadFile(filepath.Join(dir, reports.JUnitFile))
	if err != nil {
		t.Fatal(err)
	}
	var suites reporters.JUnitTestSuites
	if err := xml.Unmarshal(raw, &suites); err != nil {
		t.Fatal(err)
	}
	if suites.Tests != 5 || suites.Failures != 1 || suites.TestSuites[0].Skipped != 1 {
		t.Errorf("junit counts tests=%d failures=%d skipped=%d, want 5/1/1", suites.Tests, suites.Failures, suites.TestSuites[0].Skipped)
	}
	props := map[string]bool{}
	for _, tc := range suites.TestSuites[0].TestCases {
		if tc.Properties == nil {
			t.Fatalf("test case %q has no properties", tc.Name)
		}
		for _, p := range tc.Properties.Properties {
			props[p.Name+"="+p.Value] = true
			if p.Name == reports.EntryTimeline || p.Name == reports.EntryRun {
				t.Errorf("test case %q carries the %q blob", tc.Name, p.Name)
			}
		}
	}
	for k, want := range map[string]string{"unit": `"cam1"`, "profile": `"blink"`, "rig": `"bench7"`, "rig_kind": `"bench"`,
		"rig_file": `"/labs/rigs/bench7.yaml"`, "firmware": `"V5.7.1"`} {
		if !props[k+"="+want] {
			t.Errorf("no test case has property %s = %s", k, want)
		}
	}
	// The suite's own properties open with the rig.
	sp := suites.TestSuites[0].Properties.Properties
	if len(sp) < 3 || sp[0] != (reporters.JUnitProperty{Name: "rig", Value: "bench7"}) ||
		sp[1] != (reporters.JUnitProperty{Name: "rig_file", Value: "/labs/rigs/bench7.yaml"}) ||
		sp[2] != (reporters.JUnitProperty{Name: "rig_kind", Value: "bench"}) {
		t.Errorf("suite properties %+v do not open with rig, rig_file, rig_kind", sp)
	}
	if !strings.Contains(suites.TestSuites[0].Name, "bench bench7") {
		t.Errorf("suite name %q does not name the rig", suites.TestSuites[0].Name)
	}
}

// labelBoxes reads each label's x and y and estimated width from the SVG.
var textRe = regexp.MustCompile(`<text class="bar-label" x="([0-9.]+)" y="([0-9.]+)">([^<]*)</text>|<line class="tick"[^>]*/><text x="([0-9.]+)" y="([0-9.]+)">([^<]*)</text>`)

// Labels never overlap, however many events crowd one lane.
func TestTimelineLabelsNeverOverlap(t *testing.T) {
	tl := timeline.New("cam1")
	for i := range 30 {
		tl.Mark(t0.Add(time.Duration(i)*50*time.Millisecond), timeline.Console, "match", fmt.Sprintf("marker number %d", i))
	}
	tl.Span(t0.Add(time.Second), t0.Add(1100*time.Millisecond), timeline.Press, "hold", "short")
	tl.Mark(t0.Add(1050*time.Millisecond), timeline.Press, "error", "something long enough to collide")
	s := spec("crowded", types.SpecStatePassed, entry(reports.EntryTimeline, tl.Events()))
	html := render(t, roundTrip(t, report(s)))
	type box struct {
		x0, x1, y float64
		text      string
	}
	var boxes []box
	for _, m := range textRe.FindAllStringSubmatch(html, -1) {
		xs, ys, text := m[1], m[2], m[3]
		if xs == "" {
			xs, ys, text = m[4], m[5], m[6]
		}
		if text == "" {
			continue
		}
		x, _ := strconv.ParseFloat(xs, 64)
		y, _ := strconv.ParseFloat(ys, 64)
		boxes = append(boxes, box{x, x + float64(len([]rune(text)))*6.5, y, text})
	}
	if len(boxes) < 30 {
		t.Fatalf("found %d labels, want >= 30", len(boxes))
	}
	for i := range boxes {
		for j := i + 1; j < len(boxes); j++ {
			a, b := boxes[i], boxes[j]
			if a.y == b.y && a.x0 < b.x1 && b.x0 < a.x1 {
				t.Errorf("labels %q and %q overlap at y=%v", a.text, b.text, a.y)
			}
		}
	}
}

// The axis reads in profile time; hover gives real time.
func TestTimelineInProfileTime(t *testing.T) {
	tl := timeline.New("cam1")
	tl.Mark(t0, timeline.Power, "on", "plug")
	tl.Add(timeline.Event{At: t0.Add(100 * time.Millisecond), Dur: 150 * time.Millisecond, Source: timeline.Press, Kind: "hold",
		Attrs: map[string]string{"requested": "150ms"}})
	tl.Mark(t0.Add(200*time.Millisecond), timeline.LED, "edge-on", "numato gpio 1")
	tl.Mark(t0.Add(250*time.Millisecond), timeline.LED, "released-press", "the LED change that ended the factory hold")
	s := spec("factory hold", types.SpecStatePassed, entry(reports.EntryTimeline, tl.Events()),
		entry(reports.EntryRun, reports.RunInfo{Rig: "virtual", Virtual: true, Timescale: 0.01}))
	s.StartTime, s.EndTime = time.Time{}, time.Time{}
	html := render(t, roundTrip(t, report(s)))
	mustContain(t, html,
		"profile time (timescale 0.01",
		"hold 15s (asked 15s)", // 150 ms real at 0.01 is the 15 s the profile asked
		`class="requested"`,
		"released the press",
		"(real: ",
		"(virtual rig)",
	)
}

func TestFailureShowsConsoleAndZoom(t *testing.T) {
	dir := t.TempDir()
	tr := filepath.Join(dir, "transcripts", "cam2.log")
	if err := os.MkdirAll(filepath.Dir(tr), 0o755); err != nil {
		t.Fatal(err)
	}
	var b bytes.Buffer
	for i := range 40 {
		fmt.Fprintf(&b, "boot line %d\r\n", i)
	}
	b.WriteString("Kernel panic - not syncing: VFS: Unable to mount root fs\r\n")
	if err := os.WriteFile(tr, b.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	s := unitSpec("cam2", "hikvision-ds2cd", "boots", types.SpecStateFailed, gomegaError)
	s.ReportEntries = append(s.ReportEntries, entry(reports.EntryTranscript, "transcripts/cam2.log"))
	s.Failure.TimelineLocation = types.TimelineLocation{Time: t0.Add(5500 * time.Millisecond)}
	if err := reports.WriteDir(dir, []types.Report{roundTrip(t, report(s))}); err != nil {
		t.Fatal(err)
	}
	raw, err := os.ReadFile(filepath.Join(dir, reports.IndexFile))
	if err != nil {
		t.Fatal(err)
	}
	html := string(raw)
	mustContain(t, html, "Kernel panic - not syncing", "boot line 39", "The moments before the failure:", "The whole spec:")
	if strings.Contains(html, "boot line 20\n") {
		t.Error("the console context shows more than the lines before the failure")
	}
}
