package specs_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/onsi/ginkgo/v2/types"
)

// The defect test's verdicts can fail too: a defect that went unnoticed, a
// failure that names something else, a spec that did not run, a clean rig
// that fails, a run that broke.
func TestJudge(t *testing.T) {
	c := &defectCase{defect: "no_lockout", unit: "cam1", labels: "lockout", spec: "locks out", symptom: `failure \d+ must lock`}
	spec := func(unit, text string, state types.SpecState, msg string) types.SpecReport {
		return types.SpecReport{LeafNodeType: types.NodeTypeIt, LeafNodeText: text, State: state,
			LeafNodeLabels: []string{"lockout"}, ContainerHierarchyLabels: [][]string{{}, {"unit:" + unit}},
			Failure: types.Failure{Message: msg}}
	}
	defective := defectJob{name: c.defect, c: c, unit: "cam1"}
	clean := defectJob{name: "clean cam1", unit: "cam1"}
	cases := []struct {
		name  string
		job   defectJob
		run   suiteRun
		want  string // "" or words of the error
		catch string // the symptom found
	}{
		{"caught", defective, suiteRun{specs: []types.SpecReport{
			spec("cam1", "locks out guessed passwords after 5 failures", types.SpecStateFailed, "Expected\n  failure 5 must lock")}}, "", "failure 5 must lock"},
		{"unnoticed", defective, suiteRun{specs: []types.SpecReport{
			spec("cam1", "locks out guessed passwords after 5 failures", types.SpecStatePassed, "")}}, "the defect went unnoticed", ""},
		{"failed for another reason", defective, suiteRun{specs: []types.SpecReport{
			spec("cam1", "locks out guessed passwords after 5 failures", types.SpecStateFailed, "cam1 did not boot")}}, "not naming the symptom", ""},
		{"the spec of another unit", defective, suiteRun{specs: []types.SpecReport{
			spec("cam2", "locks out guessed passwords after 5 failures", types.SpecStateFailed, "failure 5 must lock")}}, "no spec", ""},
		{"the run broke", defective, suiteRun{err: errors.New("no report")}, "no report", ""},
		{"clean passes", clean, suiteRun{specs: []types.SpecReport{
			spec("cam1", "locks out guessed passwords after 5 failures", types.SpecStatePassed, "")}}, "", ""},
		{"clean fails", clean, suiteRun{specs: []types.SpecReport{
			spec("cam1", "boots after power-on", types.SpecStateFailed, "cam1 did not\nboot")}}, `clean rig, cam1: "boots after power-on": cam1 did not boot`, ""},
	}
	for _, tc := range cases {
		v := judge(tc.job, tc.run)
		if tc.want == "" && v.err != nil || tc.want != "" && (v.err == nil || !strings.Contains(v.err.Error(), tc.want)) {
			t.Errorf("%s: %v, want %q", tc.name, v.err, tc.want)
		}
		if v.symptom != tc.catch {
			t.Errorf("%s: symptom %q, want %q", tc.name, v.symptom, tc.catch)
		}
	}
}
