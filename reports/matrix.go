package reports

import (
	"sort"
	"strconv"
	"strings"

	"github.com/onsi/ginkgo/v2/types"
)

// noUnit heads the matrix row of specs that ran on no unit (rig-wide).
const noUnit = "(rig)"

// notSelected is the reason of a skip Ginkgo recorded without one: the
// spec was left out by the label filter or a focus.
const notSelected = "not in this run (label filter or focus)"

// matrix is the summary a QA engineer reads first: units in rows,
// procedures in columns, one cell per spec.
type matrix struct {
	Procedures []string
	Rows       []matrixRow
	// Passed, Failed and Skipped count specs (It nodes), exactly as the
	// JUnit report counts its test cases.
	Passed, Failed, Skipped int
}

type matrixRow struct {
	Unit, Profile, Firmware string
	Cells                   []matrixCell
	Passed, Failed, Skipped int
}

// matrixCell is one unit × procedure. Several specs may share a cell (a
// soak repeats a procedure); the cell shows the worst of them.
type matrixCell struct {
	State  string // passed, failed, skipped, "" (no such spec on this unit)
	Text   string // what the cell says
	Reason string // the failure's sentence or the skip's reason
	Href   string
	N      int
}

// procedureOf names a spec within its unit: the containers below the
// unit's own container and the It's text.
func procedureOf(spec types.SpecReport) string {
	texts := spec.ContainerHierarchyTexts
	labels := spec.ContainerHierarchyLabels
	start := 0
	for i := range texts {
		if i < len(labels) && hasUnitLabel(labels[i]) {
			start = i + 1
		}
	}
	parts := append([]string{}, texts[start:]...)
	parts = append(parts, spec.LeafNodeText)
	return strings.TrimSpace(strings.Join(parts, " › "))
}

func hasUnitLabel(ls []string) bool {
	for _, l := range ls {
		if strings.HasPrefix(l, "unit:") {
			return true
		}
	}
	return false
}

// skipReason is why a spec did not run, as the suite said it.
func skipReason(spec types.SpecReport) string {
	if r := strings.TrimSpace(spec.Failure.Message); r != "" {
		return r
	}
	return notSelected
}

func buildMatrix(suites []suiteView, firmware map[string]string) *matrix {
	m := &matrix{}
	procIndex := map[string]int{}
	rowIndex := map[string]int{}
	for _, s := range suites {
		for _, v := range s.Specs {
			if !v.IsIt {
				continue
			}
			if _, ok := procIndex[v.Procedure]; !ok {
				procIndex[v.Procedure] = len(m.Procedures)
				m.Procedures = append(m.Procedures, v.Procedure)
			}
			unit := v.Unit
			if unit == "" {
				unit = noUnit
			}
			if _, ok := rowIndex[unit]; !ok {
				rowIndex[unit] = len(m.Rows)
				m.Rows = append(m.Rows, matrixRow{Unit: unit, Firmware: firmware[unit]})
			}
		}
	}
	for i := range m.Rows {
		m.Rows[i].Cells = make([]matrixCell, len(m.Procedures))
	}
	for _, s := range suites {
		for _, v := range s.Specs {
			if !v.IsIt {
				continue
			}
			unit := v.Unit
			if unit == "" {
				unit = noUnit
			}
			row := &m.Rows[rowIndex[unit]]
			if row.Profile == "" {
				row.Profile = v.Profile
			}
			cell := &row.Cells[procIndex[v.Procedure]]
			switch v.StateClass {
			case "passed":
				row.Passed++
				m.Passed++
			case "failed":
				row.Failed++
				m.Failed++
			default:
				row.Skipped++
				m.Skipped++
			}
			cell.N++
			if worse(v.StateClass, cell.State) {
				cell.State = v.StateClass
				cell.Href = "#" + v.ID
				cell.Reason = v.Reason
			}
		}
	}
	// Units in name order, the rig-wide row last: a reader finds a unit
	// where the rig file's names put it, whichever process finished first.
	sort.SliceStable(m.Rows, func(a, b int) bool {
		ra, rb := m.Rows[a].Unit, m.Rows[b].Unit
		if (ra == noUnit) != (rb == noUnit) {
			return rb == noUnit
		}
		return ra < rb
	})
	for i := range m.Rows {
		for j := range m.Rows[i].Cells {
			c := &m.Rows[i].Cells[j]
			c.Text = c.State
			if c.N > 1 {
				c.Text += " ×" + strconv.Itoa(c.N)
			}
		}
	}
	return m
}

// worse orders cell states: a failure outranks a pass, which outranks a
// skip, so one failed repetition marks the cell.
func worse(a, b string) bool {
	rank := map[string]int{"": 0, "skipped": 1, "passed": 2, "failed": 3}
	return rank[a] > rank[b]
}
