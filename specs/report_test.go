package specs_test

import (
	"fmt"
	"os"
	"sort"
	"strings"

	. "github.com/onsi/ginkgo/v2"
	"github.com/onsi/ginkgo/v2/types"
	"github.com/onsi/gomega/format"

	"github.com/camrig/camrig/harness/secret"
	"github.com/camrig/camrig/reports"
)

// Failure messages name values as a reader knows them ("activated", not
// Gomega's "<camera.State>: 2").
func init() { format.UseStringerRepresentation = true }

// After the whole run (in the first parallel process, with every process's
// results), write the HTML report and print one line per unit: what a lab
// engineer reads first.
var _ = ReportAfterSuite("camrig report", func(r Report) {
	dir := outDir()
	// Every credential of the rig, in any form, is gone before anything is
	// written or printed (the evidence is redacted at its source too).
	r, err := reports.Redact(r, secret.NewMatcher(theRig.Secrets()...))
	if err != nil {
		fmt.Fprintf(os.Stderr, "camrig: no report written: %v\n", err)
		return
	}
	if err := reports.WriteDir(dir, []types.Report{r}); err != nil {
		fmt.Fprintf(os.Stderr, "camrig: writing the HTML report: %v\n", err)
	}
	if err := reports.WriteJUnit(dir, r); err != nil {
		fmt.Fprintf(os.Stderr, "camrig: writing the JUnit report: %v\n", err)
	}
	lines := map[string][]string{}
	var failed []string
	for _, s := range r.SpecReports {
		unit := reports.Unit(s)
		if unit == "" || s.LeafNodeType != types.NodeTypeIt {
			continue
		}
		detail := entry(s, "boot")
		if detail == "" {
			detail = s.LeafNodeText
		}
		if s.State == types.SpecStateSkipped && strings.TrimSpace(s.Failure.Message) != "" {
			// A skip says why: the check it names did not run.
			detail = s.LeafNodeText + ": " + reports.Sentence(s.Failure.Message)
		}
		if s.State.Is(types.SpecStateFailureStates) {
			detail = s.LeafNodeText + ": " + reports.Sentence(s.Failure.Message)
			failed = append(failed, unit+": "+s.LeafNodeText)
		}
		lines[unit] = append(lines[unit], fmt.Sprintf("%-7s %s", strings.ToUpper(s.State.String()), detail))
	}
	units := make([]string, 0, len(lines))
	for u := range lines {
		units = append(units, u)
	}
	sort.Strings(units)
	fmt.Printf("\ncamrig: rig %s, report %s/%s\n", theRig.Name, dir, reports.IndexFile)
	for _, u := range units {
		for _, l := range lines[u] {
			fmt.Printf("  %-6s %s\n", u, l)
		}
	}
	// The gate's last word: which unit failed which spec, or that none did.
	if len(failed) == 0 {
		fmt.Printf("camrig: no failures on rig %s\n", theRig.Name)
	} else {
		fmt.Printf("camrig: %d failed on rig %s: %s\n", len(failed), theRig.Name, strings.Join(failed, "; "))
	}
})

func entry(s types.SpecReport, name string) string {
	for _, e := range s.ReportEntries {
		if e.Name == name {
			return e.StringRepresentation()
		}
	}
	return ""
}
