package specs_test

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"syscall"
	"testing"
	"text/tabwriter"
	"time"

	"github.com/onsi/ginkgo/v2/types"

	"github.com/camrig/camrig/harness/rig"
	"github.com/camrig/camrig/reports"
	"github.com/camrig/camrig/rigs/virtual"
	"github.com/camrig/camrig/rigs/virtual/virtualtest"
)

// TestFaults is the fault matrix run as the suite runs: each fault is
// switched on in a relocated copy of the virtual rig's sim section (never
// by the harness, which only sees what the devices do), the specs the
// fault concerns run on its unit in a child process (this test binary),
// and the verdict must be the one the fault deserves: a spec that cannot do
// its job fails naming the fault, one that is about surviving it passes.
// Nothing may be lost (the run's report and the unit's transcripts are
// written), and the next run on the same state dir (same flash, same lock
// files) with the fault switched off passes.

// faultCase is one fault and what it deserves.
type faultCase struct {
	fault string
	unit  string
	// labels and focus select the specs (a label filter, a Ginkgo focus).
	labels, focus string
	// spec is (part of) the text of the spec the fault is about.
	spec string
	// fails is the failure the spec must end with (a regexp); "" when the
	// spec must pass through the fault.
	fails string
	// expect says it for the table.
	expect string
	// transcript, if set, must match (a regexp) the transcript the spec's
	// report names: what the fault leaves in the evidence.
	transcript string
	// on switches the fault on in the rig file.
	on func(t *testing.T, rigPath string)
	// holdsButton: the fault leaves the solenoid on, the one unsafe end a
	// harness cannot prevent (a relay board hung mid-press).
	holdsButton bool
	// forgetsConfig: the next run starts with the unit's settings forgotten
	// (its flash kept). The reflash spec requires the recovered unit to
	// come up uninitialized, which holds only for a unit no one activated:
	// after a cut reflash on the same state the NVR may have activated it,
	// and the spec would fail for that, not for the flash.
	forgetsConfig bool
	// killWhenWritten: the harness process (the child running the suite)
	// is SIGKILLed as this file under the state dir is first written (the
	// flash's erase begins); its run leaves no report to judge.
	killWhenWritten string
}

// rebootHold is cam1's reboot-hold spec: a press the relay board must make.
const rebootHold = "reboots without a factory reset after a reboot hold"

var faultCases = []faultCase{
	{fault: "harness SIGKILLed mid-press", unit: "cam1", labels: "faults && !random-cut",
		spec: "killed mid-press", expect: "passes: next open releases the solenoid, records the take-over, power safe"},
	{fault: "power cut during a configuration write", unit: "cam1", labels: "random-cut", focus: "during a configuration write",
		spec: "during a configuration write", expect: "passes: the write completes or rolls back, no factory reset"},
	{fault: "relay board answering garbage", unit: "cam1", labels: "reset", focus: rebootHold,
		spec: rebootHold, fails: `releasing the solenoid before use: \S+: "relay off 1": .*board sent "\\x[0-9a-f]{2}`, expect: "fails before energising anything, quoting the garbage",
		on: func(t *testing.T, rig string) { virtualtest.SetSim(t, rig, "true", "numato", "garbage") }},
	{fault: "relay board silent from the start", unit: "cam1", labels: "reset", focus: rebootHold,
		spec: rebootHold, fails: `releasing the solenoid before use: \S+: "relay off 1": no answer`, expect: "fails: the board gave no answer, nothing energised",
		on: func(t *testing.T, rig string) { virtualtest.SetSim(t, rig, "true", "numato", "silent") }},
	{fault: "relay board silent mid-press", unit: "cam1", labels: "reset", focus: rebootHold,
		spec: rebootHold, fails: `press: release: \S+: "relay off 1": no answer`, expect: "fails: no answer to the release (the relay stays on while silent)", holdsButton: true,
		on: func(t *testing.T, rig string) { virtualtest.SetSim(t, rig, "1", "numato", "silent_after_on") }},
	{fault: "NVR down during a reset spec", unit: "cam2", labels: "api && reset", focus: "comes back uninitialized after a factory-reset hold",
		spec: "comes back uninitialized after a factory-reset hold", fails: `cam2: the NVR never activated it`, expect: "fails naming the NVR that never activated the unit",
		on: func(t *testing.T, rig string) { virtualtest.SetSim(t, rig, "true", "nvr", "down") }},
	{fault: "camera API returning junk", unit: "cam1", labels: "api && settings", focus: "keeps its settings through a power outage",
		spec: "keeps its settings through a power outage", fails: `cam1: GET /SDK/activateStatus: junk reply: body is not UTF-8`, expect: "fails naming the API's unreadable answer",
		on: func(t *testing.T, rig string) { virtualtest.SetSim(t, rig, "true", "units", "cam1", "api_junk") }},
	{fault: "power cut during a reflash's erase", unit: "cam4", labels: "reflash",
		spec: "recovers by serial firmware", fails: `reflash cam4: erase flash: uboot: "sf erase [^"]*": the unit restarted before the command ended`, expect: "fails naming the step and the restart; the rerun completes the reflash", forgetsConfig: true,
		on: func(t *testing.T, rig string) {
			virtualtest.SetSim(t, rig, "erase", "units", "cam4", "power_cut_during")
		}},
	{fault: "power cut during a reflash's write", unit: "cam4", labels: "reflash",
		spec: "recovers by serial firmware", fails: `reflash cam4: write flash: uboot: "sf write [^"]*": the unit restarted before the command ended`, expect: "fails naming the step and the restart; the rerun completes the reflash", forgetsConfig: true,
		on: func(t *testing.T, rig string) {
			virtualtest.SetSim(t, rig, "write", "units", "cam4", "power_cut_during")
		}},
	{fault: "power cut during a reflash's read-back verify", unit: "cam4", labels: "reflash",
		spec: "recovers by serial firmware", fails: `reflash cam4: verify flash: uboot: "sf read [^"]*": the unit restarted before the command ended`, expect: "fails naming the step and the restart; the rerun completes the reflash", forgetsConfig: true,
		on: func(t *testing.T, rig string) {
			virtualtest.SetSim(t, rig, "verify", "units", "cam4", "power_cut_during")
		}},
	{fault: "UART unplugged and replugged mid-boot", unit: "cam1", labels: "boot", focus: "boots after power-on",
		spec: "boots after power-on", fails: `cam1's boot cannot be judged: its console \S+ was disconnected from [0-9:.]+ to [0-9:.]+ \(\d+ms\); what the unit said meanwhile is lost .*; the boot-ready marker came after it`,
		expect:     "fails: the boot came up but cannot be judged, naming the console's gap",
		transcript: `\[camrig: console disconnected [0-9:.]+, reopened [0-9:.]+; what the unit said meanwhile is lost\](?s:.*)blink: app ready`,
		on: func(t *testing.T, rig string) {
			virtualtest.SetSim(t, rig, "3s", "units", "cam1", "uart_unplug_during_boot", "after")
			virtualtest.SetSim(t, rig, "2s", "units", "cam1", "uart_unplug_during_boot", "for")
		}},
	{fault: "harness SIGKILLed mid-reflash, then rerun", unit: "cam4", labels: "reflash",
		spec: "recovers by serial firmware", killWhenWritten: "flash/cam4.bin", forgetsConfig: true,
		expect: "the killed run leaves no verdict; the rerun takes the unit over and completes the reflash"},
}

// faultParallel is how many faults run at once (two cores).
const faultParallel = 2

// faultRun is a fault's run and the clean run after it.
type faultRun struct {
	faulty, next suiteRun
	err          error
	happened     string
}

func TestFaults(t *testing.T) {
	if testing.Short() {
		t.Skip("runs the suite twice per fault")
	}
	if why := suiteRunOnly(); why != "" {
		t.Skip("a run of the suite on a rig (" + why + "); the fault matrix runs under a plain go test (make test)")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	results := make([]faultRun, len(faultCases))
	sem := make(chan struct{}, faultParallel)
	var wg sync.WaitGroup
	for i := range faultCases {
		c := &faultCases[i]
		wg.Add(1)
		go func() {
			defer wg.Done()
			sem <- struct{}{}
			defer func() { <-sem }()
			results[i] = runFault(ctx, t, c)
		}()
	}
	wg.Wait()

	var table bytes.Buffer
	tw := tabwriter.NewWriter(&table, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "FAULT\tON\tEXPECTED\tWHAT HAPPENED\tNEXT RUN\tTOOK")
	for i, c := range faultCases {
		r := results[i]
		next := "passed"
		if r.err != nil {
			t.Errorf("%s on %s: %v", c.fault, c.unit, r.err)
			next = "-"
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%v\n", c.fault, c.unit, c.expect, r.happened, next,
			(r.faulty.took + r.next.took).Round(100*time.Millisecond))
	}
	tw.Flush()
	t.Logf("the fault matrix:\n%s", table.String())
	if !t.Failed() {
		dir := *outFlag
		if dir == "" {
			dir = filepath.Join("..", "reports", "out")
		}
		if err := os.MkdirAll(dir, 0o755); err != nil {
			t.Error(err)
		} else if err := os.WriteFile(filepath.Join(dir, faultTable), append([]byte("camrig: the fault matrix\n"), table.Bytes()...), 0o644); err != nil {
			t.Error(err)
		}
	}
}

// faultTable is the file (in the report directory) TestFaults leaves its
// table in.
const faultTable = "faults.txt"

// runFault runs c's specs with the fault on, judges the run, then runs
// them again on the same state with the fault off.
func runFault(ctx context.Context, t *testing.T, c *faultCase) faultRun {
	dir, rigPath, err := suiteRig(t)
	if err != nil {
		return faultRun{err: err}
	}
	clean, err := os.ReadFile(rigPath)
	if err != nil {
		return faultRun{err: err}
	}
	var args []string
	if c.focus != "" {
		args = append(args, "-ginkgo.focus="+regexp.QuoteMeta(c.focus))
	}
	args = append(args, "-attach")
	filter := "unit:" + c.unit + " && (" + c.labels + ")"
	if c.on != nil {
		c.on(t, rigPath)
	}
	var r faultRun
	if c.killWhenWritten != "" {
		r.happened, r.err = runKilled(ctx, dir, rigPath, c.unit, filter, c.killWhenWritten, args)
	} else {
		r.faulty, r.err = runAttached(ctx, rigPath, func() suiteRun {
			return runSuiteIn(ctx, dir, rigPath, "faulty", filter, args...)
		}, func(s *virtual.Rig) error { return endsSafe(s, rigPath, c) })
		if r.err == nil {
			r.happened, r.err = judgeFault(c, r.faulty)
		}
	}
	if r.err != nil {
		return r
	}
	if err := os.WriteFile(rigPath, clean, 0o644); err != nil {
		r.err = err
		return r
	}
	if c.forgetsConfig {
		if err := os.Remove(filepath.Join(dir, "units", c.unit, "config.json")); err != nil && !os.IsNotExist(err) {
			r.err = err
			return r
		}
	}
	cleanCase := &faultCase{unit: c.unit, spec: c.spec, labels: c.labels}
	r.next, r.err = runAttached(ctx, rigPath, func() suiteRun {
		return runSuiteIn(ctx, dir, rigPath, "next", filter, args...)
	}, func(s *virtual.Rig) error { return endsSafe(s, rigPath, cleanCase) })
	if r.err == nil {
		_, r.err = judgeFault(cleanCase, r.next)
	}
	if r.err != nil {
		r.err = fmt.Errorf("the next run, fault off: %w", r.err)
	}
	return r
}

// runKilled runs the suite attached to a simulator of this process and
// SIGKILLs it as the file watch (under dir) is first written after the
// start: a harness dying mid-operation, leaving its lease and the unit as
// they were.
func runKilled(ctx context.Context, dir, rigPath, unit, filter, watch string, args []string) (string, error) {
	s, err := virtual.Start(ctx, rigPath)
	if err != nil {
		return "", fmt.Errorf("starting the simulator: %w", err)
	}
	defer s.Close()
	path := filepath.Join(dir, watch)
	before, err := os.Stat(path)
	if err != nil {
		return "", err
	}
	cmd := exec.CommandContext(ctx, os.Args[0], append([]string{"-test.run=^TestSpecs$", "-test.timeout=6m",
		"-rig=" + rigPath, "-out=" + filepath.Join(dir, "killed"), "-ginkgo.label-filter=" + filter, "-ginkgo.no-color"}, args...)...)
	cmd.Env = append(os.Environ(), "CAMRIG_STATE_DIR="+dir, "XDG_RUNTIME_DIR="+filepath.Join(dir, "run"), "TMPDIR="+dir)
	os.MkdirAll(filepath.Join(dir, "run"), 0o700)
	if err := cmd.Start(); err != nil {
		return "", err
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	tick := time.NewTicker(2 * time.Millisecond)
	defer tick.Stop()
	for {
		select {
		case err := <-exited:
			return "", fmt.Errorf("the run ended (%v) before %s was written", err, watch)
		case <-ctx.Done():
			cmd.Process.Kill()
			<-exited
			return "", ctx.Err()
		case <-tick.C:
		}
		if fi, err := os.Stat(path); err == nil && fi.ModTime() != before.ModTime() {
			cmd.Process.Signal(syscall.SIGKILL)
			<-exited
			if u := s.Unit(unit); u == nil || u.Button() {
				return "", fmt.Errorf("the killed run left %s's button held (or no such unit)", unit)
			}
			return fmt.Sprintf("killed (pid %d) as %s was written", cmd.Process.Pid, watch), nil
		}
	}
}

// runAttached runs the suite (run, which passes -attach) against a
// simulator of this process on the rig file, so the devices outlive the
// run: after it, check reads the unit back through the simulator. The
// next run's simulator starts on the same state dir (the flash on disk).
func runAttached(ctx context.Context, rigPath string, run func() suiteRun, check func(*virtual.Rig) error) (suiteRun, error) {
	s, err := virtual.Start(ctx, rigPath)
	if err != nil {
		return suiteRun{}, fmt.Errorf("starting the simulator: %w", err)
	}
	defer s.Close()
	if u := s.Unserved(); len(u) > 0 {
		return suiteRun{}, fmt.Errorf("the simulator cannot serve: %s", strings.Join(u, "; "))
	}
	r := run()
	return r, check(s)
}

// endsSafe reads the unit back through the simulator after a run: the
// solenoid released (unless the case's fault holds it: a board hung
// mid-press cannot release it) and power as the rig file says is safe.
func endsSafe(s *virtual.Rig, rigPath string, c *faultCase) error {
	u := s.Unit(c.unit)
	if u == nil {
		return fmt.Errorf("the simulator has no unit %s", c.unit)
	}
	r, err := rig.Load(rigPath)
	if err != nil {
		return err
	}
	cfg, _ := r.Unit(c.unit)
	safeOn := cfg.Power != nil && cfg.Power.SafeOn
	if u.Button() != c.holdsButton {
		return fmt.Errorf("after the run %s's button is held=%v, want %v", c.unit, u.Button(), c.holdsButton)
	}
	if cfg.Power != nil && u.Powered() != safeOn {
		return fmt.Errorf("after the run %s is powered=%v, its safe state is %v", c.unit, u.Powered(), safeOn)
	}
	return nil
}

// judgeFault checks one run against what the fault deserves and that it
// lost nothing: its report and the unit's transcript are written.
func judgeFault(c *faultCase, r suiteRun) (string, error) {
	if r.err != nil {
		return "", fmt.Errorf("%v\n%s", r.err, tail(string(r.output), 3000))
	}
	s, ok := findSpec(r.specs, c.unit, c.spec)
	if !ok {
		return "", fmt.Errorf("no spec %q ran on %s with labels %q", c.spec, c.unit, c.labels)
	}
	if err := nothingLost(r, s); err != nil {
		return "", err
	}
	if err := transcriptShows(r, s, c.transcript); err != nil {
		return "", err
	}
	if c.fails == "" {
		if s.State != types.SpecStatePassed {
			return "", fmt.Errorf("%q %s: %s", s.LeafNodeText, s.State, summary(s.Failure.Message))
		}
		return "passed", nil
	}
	if !s.State.Is(types.SpecStateFailureStates) {
		return "", fmt.Errorf("%q %s: the fault went unnoticed", s.LeafNodeText, s.State)
	}
	msg := strings.Join(strings.Fields(s.Failure.Message), " ")
	got := regexp.MustCompile(c.fails).FindString(msg)
	if got == "" {
		return "", fmt.Errorf("%q failed, but not naming the fault /%s/: %s", s.LeafNodeText, c.fails, summary(msg))
	}
	return "failed: " + tmpPath.ReplaceAllString(got, "$1$2"), nil
}

// tmpPath is a run's temporary path (a flash file's, or one under the
// run's directory), shortened to its file in the table.
var tmpPath = regexp.MustCompile(`\S*/([^/\s]+#\d+)|\S*/camrig-suite-\d+/(\S+)`)

// nothingLost requires a run's reports on disk and the spec's transcript
// (which the report names) there too, unless the spec failed opening its
// unit, before its console was opened.
func nothingLost(r suiteRun, s types.SpecReport) error {
	for _, name := range []string{"index.html", "junit.xml"} {
		if _, err := os.Stat(filepath.Join(r.outDir, name)); err != nil {
			return fmt.Errorf("nothing may be lost: %w", err)
		}
	}
	var transcripts []string
	for _, e := range s.ReportEntries {
		if e.Name == reports.EntryTranscript {
			transcripts = append(transcripts, e.StringRepresentation())
		}
	}
	if len(transcripts) == 0 && !strings.HasPrefix(s.Failure.Message, "opening unit") {
		return fmt.Errorf("nothing may be lost: %q names no transcript", s.LeafNodeText)
	}
	for _, path := range transcripts {
		if fi, err := os.Stat(filepath.Join(r.outDir, path)); err != nil || fi.Size() == 0 {
			return fmt.Errorf("nothing may be lost: the transcript %s the report names is missing or empty (%v)", path, err)
		}
	}
	return nil
}

// transcriptShows requires the spec's transcripts (which nothingLost found
// on disk) to match want, a regexp ("": nothing required).
func transcriptShows(r suiteRun, s types.SpecReport, want string) error {
	if want == "" {
		return nil
	}
	re := regexp.MustCompile(want)
	for _, e := range s.ReportEntries {
		if e.Name != reports.EntryTranscript {
			continue
		}
		text, err := os.ReadFile(filepath.Join(r.outDir, e.StringRepresentation()))
		if err != nil {
			return err
		}
		if re.Match(text) {
			return nil
		}
		return fmt.Errorf("the transcript %s does not show /%s/:\n%s", e.StringRepresentation(), want, tail(string(text), 1500))
	}
	return fmt.Errorf("%q names no transcript to show /%s/", s.LeafNodeText, want)
}
