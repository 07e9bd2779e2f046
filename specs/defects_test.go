package specs_test

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strings"
	"sync"
	"testing"
	"text/tabwriter"
	"time"

	"github.com/onsi/ginkgo/v2/reporters"
	"github.com/onsi/ginkgo/v2/types"

	"github.com/camrig/camrig/reports"
	"github.com/camrig/camrig/rigs/virtual"
)

// A verdict is only as good as its ability to fail. TestDefects runs the
// suite (this test binary, in a child process) against a copy of the
// virtual rig with one defect switched on in its sim section, on the unit
// and labels the defect concerns, and requires the spec that exists to
// catch it to fail with a message naming the symptom; the same specs on the
// clean rig must pass. Every defect the simulator knows must have a case.

// defectCase is one defect and the spec that must catch it.
type defectCase struct {
	defect string
	// unit is the unit it is switched on (for an NVR defect: the unit whose
	// specs show it).
	unit string
	// labels selects the specs to run on the unit (a Ginkgo label filter).
	labels string
	// spec is (part of) the text of the spec that must fail.
	spec string
	// symptom must match that spec's failure message.
	symptom string
}

// onlyOutage leaves out the outage suite's random cuts: the plain outage
// spec is the one that must notice.
const onlyOutage = "outage && !random-cut && !soak"

var defectCases = []defectCase{
	{"never_boots", "cam1", "boot", "boots after power-on", `cam1 did not boot`},
	{"boots_late", "cam1", "boot", "boots after power-on", `deadline of \S+ passed waiting for cam1 boot-ready marker`},
	{"ready_without_api", "cam1", "settings", "keeps its settings", `cam1: API never answered`},
	{"factory_reset_on_power_loss", "cam1", onlyOutage, "comes back from a power outage without a factory reset",
		`a power outage factory-reset the unit`},
	{"wipes_config_on_power_loss", "cam1", onlyOutage, "comes back from a power outage without a factory reset",
		`cam1 came back inactive after a power outage: it was factory-reset`},
	{"loses_settings_on_power_loss", "cam1", onlyOutage, "comes back from a power outage without a factory reset",
		`cam1 lost its settings through a power outage`},
	{"ignores_reboot_hold", "cam1", "reset && !api && !no-effect", "reboots without a factory reset after a reboot hold",
		`no restart after the reboot hold`},
	{"ignores_factory_hold", "cam1", "reset && !api && !no-effect", "factory-resets after the vendor's factory hold",
		`no factory reset after the factory hold`},
	{"short_press_factory_resets", "cam2", "no-effect", "changes nothing after a short press",
		`a short press \(held [^)]*\) factory-reset the unit`},
	{"any_hold_factory_resets", "cam2", "no-effect", "changes nothing after a hold below the factory minimum",
		`a hold below the factory minimum \(held [^)]*\) factory-reset the unit`},
	{"reset_keeps_activation", "cam1", "api && reset", "comes back uninitialized after a factory-reset hold",
		`a factory reset must leave the unit inactive`},
	{"led_never_flashes", "cam2", "reset && !api && !no-effect", "factory-resets after the vendor's factory hold",
		`the status LED never started flashing`},
	{"no_lockout", "cam1", "lockout", "locks out guessed passwords", `failure 5 must lock`},
	{"lockout_never_expires", "cam1", "lockout", "locks out guessed passwords", `the right password after the lockout`},
	{"locked_accepts_right_password", "cam1", "lockout", "locks out guessed passwords",
		`a protected call with the right password must be refused while locked`},
	{"open_while_inactive", "cam1", "security", "refuses everything but activation",
		`deviceInfo with default password "[^"]*" on an inactive unit`},
	{"accepts_weak_password", "cam1", "security", "refuses everything but activation", `the unit accepted a weak password`},
	{"flash_drops_last_page", "cam4", "reflash", "recovers by serial firmware", `flash reads back with crc32 \w+; the image's is`},
	{"never_activates", "cam2", "nvr", "syncs with the NVR it is plugged into", `cam2: the NVR never activated it`},
	{"channel_stays_online", "cam2", "nvr", "goes offline on its NVR channel",
		`NVR channel 2 must go offline while cam2 is powered off`},
	{"channel_never_returns", "cam2", "nvr", "goes offline on its NVR channel",
		`NVR channel 2 must come back online once cam2 is up again`},
}

// defectTimescale is the rig's timescale for these runs: three times the
// shipped rig's, so a loaded machine (two cores, the whole of make test at
// once) does not make a sound unit miss a scaled deadline, while a
// lockout still lasts seconds, not minutes.
const defectTimescale = 0.03

// defectParallel is how many suites run at once: each is mostly waiting
// (the rig's timescale makes boots short), but a unit's UART keeps a core
// busy while it talks.
const defectParallel = 2

func TestDefects(t *testing.T) {
	if testing.Short() {
		t.Skip("runs the suite once per defect")
	}
	if why := suiteRunOnly(); why != "" {
		t.Skip("a run of the suite on a rig (" + why + "); the defect proof runs under a plain go test (make test)")
	}
	// Every defect the simulator knows is proven caught.
	var known []string
	for _, d := range virtual.Defects() {
		known = append(known, string(d.Name))
		if !slices.ContainsFunc(defectCases, func(c defectCase) bool { return c.defect == string(d.Name) }) {
			t.Errorf("defect %s (%s) has no case: which spec catches it?", d.Name, d.Symptom)
		}
	}
	for _, c := range defectCases {
		if !slices.Contains(known, c.defect) {
			t.Errorf("case for %s: the simulator has no such defect", c.defect)
		}
	}
	if t.Failed() {
		return
	}

	// The clean rig, on the same units and labels: each spec must pass
	// there, so its failure below is the defect's doing.
	clean := map[string][]string{}
	for _, c := range defectCases {
		if !slices.Contains(clean[c.unit], c.labels) {
			clean[c.unit] = append(clean[c.unit], c.labels)
		}
	}
	var jobs []defectJob
	cleanRun := map[string]int{} // unit -> its clean run in jobs
	for _, unit := range sortedKeys(clean) {
		cleanRun[unit] = len(jobs)
		jobs = append(jobs, defectJob{name: "clean " + unit, unit: unit,
			filter: "unit:" + unit + " && ((" + strings.Join(clean[unit], ") || (") + "))"})
	}
	for i := range defectCases {
		c := &defectCases[i]
		jobs = append(jobs, defectJob{name: c.defect, c: c, unit: c.unit, filter: "unit:" + c.unit + " && (" + c.labels + ")"})
	}

	ctx, cancel := context.WithTimeout(context.Background(), 8*time.Minute)
	defer cancel()
	results := make([]suiteRun, len(jobs))
	sem := make(chan struct{}, defectParallel)
	var wg sync.WaitGroup
	for i, j := range jobs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			sem <- struct{}{}
			defer func() { <-sem }()
			where, defect := "", ""
			if j.c != nil {
				where, defect = j.c.unit, j.c.defect
				if virtualDefectOn(defect) == virtual.OnNVR {
					where = "nvr"
				}
			}
			// A shared machine can make a boot miss its scaled deadline:
			// a run whose verdict is not the expected one is run once more
			// from scratch before it counts (a defect is caught, or the
			// clean rig passes, in one of two tries).
			for attempt := 1; ; attempt++ {
				r := runSuite(ctx, t, where, defect, j.filter)
				r.attempts = attempt
				r.verdict = judge(j, r)
				results[i] = r
				if r.verdict.err == nil || attempt == defectAttempts || ctx.Err() != nil {
					return
				}
			}
		}()
	}
	wg.Wait()

	var table bytes.Buffer
	tw := tabwriter.NewWriter(&table, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "DEFECT\tON\tCAUGHT BY\tSYMPTOM IN THE FAILURE\tTOOK\tTRIES")
	for i, j := range jobs {
		r := results[i]
		if r.verdict.err != nil {
			t.Errorf("%s (%d tries): %v", j.name, r.attempts, r.verdict.err)
			continue
		}
		if j.c == nil {
			continue
		}
		c := j.c
		if cs, ok := findSpec(results[cleanRun[c.unit]].allSpecs, c.unit, c.spec); !ok || cs.State != types.SpecStatePassed {
			t.Errorf("%s: %q did not pass on the clean rig (%s: %s), so its failure proves nothing",
				c.defect, c.spec, cs.State, summary(cs.Failure.Message))
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%v\t%d\n", c.defect, c.unit, r.verdict.spec, r.verdict.symptom,
			r.took.Round(100*time.Millisecond), r.attempts)
	}
	tw.Flush()
	t.Logf("each defect and the spec that caught it:\n%s", table.String())
	for i, j := range jobs {
		if j.c != nil && results[i].verdict.err == nil && results[cleanRun[j.unit]].verdict.err == nil {
			historyMarksNew(t, results[cleanRun[j.unit]], results[i], j.c)
			break
		}
	}
	// Also beside the reports, for `make test` to print: go test shows a
	// passing package's log only with -v.
	if !t.Failed() {
		dir := *outFlag
		if dir == "" {
			dir = filepath.Join("..", "reports", "out")
		}
		path := filepath.Join(dir, defectTable)
		if err := os.MkdirAll(dir, 0o755); err != nil {
			t.Error(err)
		} else if err := os.WriteFile(path, append([]byte("camrig: each defect and the spec that caught it\n"), table.Bytes()...), 0o644); err != nil {
			t.Error(err)
		}
	}
}

// historyMarksNew keeps a clean run and then a run with the defect the way a
// gate keeps its nights, and requires the report to say it: the failing
// spec's one-line reason names the symptom, and the history of the two
// runs marks the failure as new.
func historyMarksNew(t *testing.T, clean, defective suiteRun, c *defectCase) {
	t.Helper()
	dir := t.TempDir()
	keep := func(name string, r suiteRun, start time.Time) {
		reps, err := reports.LoadJSON(r.report)
		if err != nil {
			t.Fatal(err)
		}
		reps[0].StartTime = start
		if err := os.MkdirAll(filepath.Join(dir, name), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := reporters.GenerateJSONReport(reps[0], filepath.Join(dir, name, reports.RunJSON)); err != nil {
			t.Fatal(err)
		}
	}
	now := time.Now()
	keep("night-1-clean", clean, now.Add(-24*time.Hour))
	keep("night-2-"+c.defect, defective, now)
	h, _, err := reports.WriteHistory(dir, 0)
	if err != nil {
		t.Fatal(err)
	}
	symptom := regexp.MustCompile(c.symptom)
	for _, row := range h.Rows {
		if row.Unit != c.unit || !strings.Contains(row.Spec, c.spec) {
			continue
		}
		last := len(row.Results) - 1
		if !row.New || row.Results[last] != "failed" {
			t.Errorf("history of a clean night then %s: %s %q is %v, not marked new (new=%v)", c.defect, c.unit, row.Spec, row.Results, row.New)
		}
		if !symptom.MatchString(row.Reasons[last]) {
			t.Errorf("the report's one-line reason %q does not name the symptom /%s/", row.Reasons[last], c.symptom)
		}
		t.Logf("history marks %s %q new after %s: %q", c.unit, row.Spec, c.defect, row.Reasons[last])
		return
	}
	t.Errorf("the history has no row for %s %q", c.unit, c.spec)
}

// defectTable is the file (in the report directory) TestDefects leaves its
// table in.
const defectTable = "defects.txt"

// defectAttempts is how many times a run may go before its verdict counts.
const defectAttempts = 2

// runVerdict is what a run showed: for a defect, the spec that caught it
// and the symptom in its failure; err when it was not the expected one.
type runVerdict struct {
	spec, symptom string
	err           error
}

// judge checks a run: the clean rig passes every spec it ran; a defective
// one fails the case's spec, naming the symptom.
func judge(j defectJob, r suiteRun) runVerdict {
	if r.err != nil {
		return runVerdict{err: fmt.Errorf("%v\n%s", r.err, tail(string(r.output), 3000))}
	}
	if j.c == nil {
		var failed []string
		for _, s := range r.specs {
			if s.State.Is(types.SpecStateFailureStates) {
				failed = append(failed, fmt.Sprintf("%q: %s", s.LeafNodeText, summary(s.Failure.Message)))
			}
		}
		if len(failed) > 0 {
			return runVerdict{err: fmt.Errorf("clean rig, %s: %s", j.unit, strings.Join(failed, "; "))}
		}
		return runVerdict{}
	}
	c := j.c
	s, ok := findSpec(r.specs, c.unit, c.spec)
	switch {
	case !ok:
		return runVerdict{err: fmt.Errorf("no spec %q ran on %s with labels %q", c.spec, c.unit, c.labels)}
	case !s.State.Is(types.SpecStateFailureStates):
		return runVerdict{err: fmt.Errorf("on %s: %q %s: the defect went unnoticed", c.unit, c.spec, s.State)}
	}
	sym := regexp.MustCompile(c.symptom).FindString(s.Failure.Message)
	if sym == "" {
		return runVerdict{err: fmt.Errorf("on %s: %q failed, but not naming the symptom /%s/: %s", c.unit, c.spec, c.symptom, summary(s.Failure.Message))}
	}
	return runVerdict{spec: s.LeafNodeText, symptom: sym}
}

// virtualDefectOn says where the simulator's catalogue puts a defect.
func virtualDefectOn(name string) string {
	for _, d := range virtual.Defects() {
		if string(d.Name) == name {
			return d.On
		}
	}
	return ""
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// defectJob is one run of the suite: with a case's defect, or clean.
type defectJob struct {
	name   string
	c      *defectCase // nil: the clean rig
	unit   string
	filter string
}
