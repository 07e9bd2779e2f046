package reports

import (
	"encoding/json"
	"fmt"
	"path/filepath"
	"strings"

	"github.com/onsi/ginkgo/v2/types"
)

// A run shared by several runners (--run-id on a lab rig) leaves one
// output directory per runner, each with the specs of the units that
// runner ran and the others skipped as "run by <host>". Merge makes one
// run of them: each spec as the runner that ran it reported it.

// RunnerOutput is one runner's output directory and its reports.
type RunnerOutput struct {
	Dir     string
	Reports []types.Report
}

// specKey identifies a spec across runners of one suite.
func specKey(s types.SpecReport) string {
	return s.LeafNodeType.String() + "\x00" + strings.Join(s.ContainerHierarchyTexts, "\x00") + "\x00" + s.LeafNodeText
}

// Merge returns one report of the runners' outputs, with transcript paths
// made relative to out (where the merged report will be written). Of each
// spec it keeps the runner's that ran it (the last one, when a retry ran it
// again after its runner died); a spec every runner skipped stays skipped.
// Setup nodes (reported only when they failed) are kept from every runner.
func Merge(out string, runners []RunnerOutput) ([]types.Report, error) {
	if len(runners) == 0 {
		return nil, fmt.Errorf("reports: nothing to merge")
	}
	absOut, err := filepath.Abs(out)
	if err != nil {
		return nil, fmt.Errorf("reports: %w", err)
	}
	var merged types.Report
	var order []string
	chosen := map[string]types.SpecReport{}
	var setup []types.SpecReport
	first := true
	for _, r := range runners {
		for _, rep := range r.Reports {
			if first {
				merged = rep
				merged.SpecReports = nil
				first = false
			} else {
				if merged.SuitePath != rep.SuitePath {
					return nil, fmt.Errorf("reports: %s holds suite %s, not %s: not runners of one run", r.Dir, rep.SuitePath, merged.SuitePath)
				}
				if rep.StartTime.Before(merged.StartTime) {
					merged.StartTime = rep.StartTime
				}
				if rep.EndTime.After(merged.EndTime) {
					merged.EndTime = rep.EndTime
				}
				merged.SpecialSuiteFailureReasons = append(merged.SpecialSuiteFailureReasons, rep.SpecialSuiteFailureReasons...)
			}
			for _, s := range rep.SpecReports {
				s = relocate(s, r.Dir, absOut)
				if s.LeafNodeType != types.NodeTypeIt {
					setup = append(setup, s)
					continue
				}
				k := specKey(s)
				prev, seen := chosen[k]
				switch {
				case !seen:
					order = append(order, k)
					chosen[k] = s
				case s.State != types.SpecStateSkipped && (prev.State == types.SpecStateSkipped || s.EndTime.After(prev.EndTime)):
					chosen[k] = s
				}
			}
		}
	}
	if first {
		return nil, fmt.Errorf("reports: the runners' outputs hold no suite")
	}
	merged.SpecReports = append(merged.SpecReports, setup...)
	merged.SuiteSucceeded = len(merged.SpecialSuiteFailureReasons) == 0
	for _, s := range setup {
		if s.State.Is(types.SpecStateFailureStates) {
			merged.SuiteSucceeded = false
		}
	}
	for _, k := range order {
		s := chosen[k]
		if s.State.Is(types.SpecStateFailureStates) {
			merged.SuiteSucceeded = false
		}
		merged.SpecReports = append(merged.SpecReports, s)
	}
	merged.RunTime = merged.EndTime.Sub(merged.StartTime)
	return []types.Report{merged}, nil
}

// relocate rewrites a spec's transcript paths (relative to its runner's
// directory) to be relative to the merged report's directory.
func relocate(s types.SpecReport, from, to string) types.SpecReport {
	entries := make(types.ReportEntries, len(s.ReportEntries))
	copy(entries, s.ReportEntries)
	for i, e := range entries {
		if e.Name != EntryTranscript {
			continue
		}
		p := entryString(e)
		if p == "" || filepath.IsAbs(p) {
			continue
		}
		abs, err := filepath.Abs(filepath.Join(from, p))
		if err != nil {
			continue
		}
		if rel, err := filepath.Rel(to, abs); err == nil {
			p = rel
		} else {
			p = abs
		}
		e.Value = types.WrapEntryValue(p)
		b, _ := json.Marshal(p) // a string cannot fail
		e.Value.AsJSON, e.Value.Representation = string(b), p
		entries[i] = e
	}
	s.ReportEntries = entries
	return s
}
