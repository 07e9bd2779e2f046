package reports

import (
	"bytes"
	"encoding/xml"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/onsi/ginkgo/v2/reporters"
	"github.com/onsi/ginkgo/v2/types"
)

// JUnitFile is the name WriteJUnit gives the file in a run's directory.
const JUnitFile = "junit.xml"

// junitProperties are the report entries a CI system gets as test-case
// properties: what ran where. Timelines, transcripts and console tails stay
// in the HTML report; they would bloat the XML and drown the properties.
var junitProperties = map[string]bool{EntryUnit: true, EntryProfile: true, EntryFirmware: true}

// WriteJUnit writes dir/junit.xml for CI: one test case per spec (setup
// nodes are not test cases), unit, profile and firmware as properties of
// each case, the rig as a property of each case and of the suite, and no
// Ginkgo timeline for specs that passed or were skipped.
func WriteJUnit(dir string, rep types.Report) error {
	run, hasRun := Run([]types.Report{rep})
	rep.SpecReports = append(types.SpecReports{}, rep.SpecReports...)
	for i, spec := range rep.SpecReports {
		var kept []types.ReportEntry
		for _, e := range spec.ReportEntries {
			if junitProperties[e.Name] {
				kept = append(kept, plainEntry(e))
			}
		}
		if hasRun {
			for _, p := range run.Properties() {
				kept = append(kept, types.ReportEntry{Name: p[0], Value: types.WrapEntryValue(p[1])})
			}
		}
		spec.ReportEntries = kept
		rep.SpecReports[i] = spec
	}
	if hasRun && !strings.Contains(rep.SuiteDescription, run.Rig) {
		rep.SuiteDescription = fmt.Sprintf("%s on %s %s", rep.SuiteDescription, run.Kind(), run.Rig)
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("reports: %w", err)
	}
	path := filepath.Join(dir, JUnitFile)
	err := reporters.GenerateJUnitReportWithConfig(rep, path, reporters.JunitReportConfig{
		OmitSuiteSetupNodes:       true,
		OmitTimelinesForSpecState: types.SpecStatePassed | types.SpecStateSkipped | types.SpecStatePending,
		OmitCapturedStdOutErr:     true,
	})
	if err != nil {
		return fmt.Errorf("reports: writing %s: %w", path, err)
	}
	if hasRun {
		if err := addSuiteProperties(path, run.Properties()); err != nil {
			return fmt.Errorf("reports: writing %s: %w", path, err)
		}
	}
	return nil
}

// addSuiteProperties puts the run's facts first among the suite's
// properties (Ginkgo writes only its own configuration there), where CI
// systems show them for the whole run.
func addSuiteProperties(path string, props [][2]string) error {
	raw, err := os.ReadFile(path)
	if err != nil {
		return err
	}
	var suites reporters.JUnitTestSuites
	if err := xml.Unmarshal(raw, &suites); err != nil {
		return err
	}
	for i := range suites.TestSuites {
		var ours []reporters.JUnitProperty
		for _, p := range props {
			ours = append(ours, reporters.JUnitProperty{Name: p[0], Value: p[1]})
		}
		suites.TestSuites[i].Properties.Properties = append(ours, suites.TestSuites[i].Properties.Properties...)
	}
	var out bytes.Buffer
	out.WriteString(xml.Header)
	enc := xml.NewEncoder(&out)
	enc.Indent("  ", "    ")
	if err := enc.Encode(suites); err != nil {
		return err
	}
	return os.WriteFile(path, out.Bytes(), 0o644)
}

// plainEntry turns an entry read from a JSON report (whose raw value is
// gone) back into one whose value marshals as the plain string.
func plainEntry(e types.ReportEntry) types.ReportEntry {
	if s := entryString(e); s != "" {
		return types.ReportEntry{Name: e.Name, Value: types.WrapEntryValue(s)}
	}
	return e
}
