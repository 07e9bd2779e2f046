package specs_test

import (
	"bufio"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"
	"text/tabwriter"
	"time"

	"github.com/onsi/ginkgo/v2/types"

	"github.com/camrig/camrig/harness/timeline"
	"github.com/camrig/camrig/reports"
	"github.com/camrig/camrig/rigs/virtual/virtualtest"
)

// BenchmarkSuiteScaling runs the suite as `make run` does (the ginkgo CLI,
// one parallel process per unit, the default labels) on generated virtual
// rigs of 4, 12 and 24 units (the shipped rig's four units repeated, each
// group of four on relay boards, plugs and addresses of its own), and
// reports per rig: the wall time of the run, its ratio to the 4-unit run
// measured just before it, the simulator's CPU time per unit and the boots
// per unit. The simulator runs as `camrig sim` in a process of its own
// (the suite attaches to it) so its CPU is its own; the test binary is
// compiled once, so the wall is the run's, not the compiler's. The 4-unit
// run also prints where each spec's wall goes: waiting on the unit's
// scaled physical time (off times, boots, holds, quiet watches) against
// everything else (harness, API round trips, scheduling).
func BenchmarkSuiteScaling(b *testing.B) {
	self, err := os.Executable()
	if err != nil || filepath.Ext(self) != ".test" {
		b.Skipf("needs the compiled specs test binary (got %q, %v)", self, err)
	}
	root, err := moduleRoot()
	if err != nil {
		b.Fatal(err)
	}
	tools := b.TempDir()
	for _, t := range []struct{ out, pkg string }{
		{"ginkgo", "github.com/onsi/ginkgo/v2/ginkgo"},
		{"camrig", "./harness/cmd/camrig"},
	} {
		cmd := exec.Command("go", "build", "-o", filepath.Join(tools, t.out), t.pkg)
		cmd.Dir = root
		if out, err := cmd.CombinedOutput(); err != nil {
			b.Fatalf("building %s: %v\n%s", t.pkg, err, out)
		}
	}
	// The ginkgo CLI runs a precompiled suite only from a file named
	// *.test, in the file's directory: it must be in specs/ (the suite's
	// own tests read their sources from there). A link for this run only.
	suite := filepath.Join(root, "specs", fmt.Sprintf("bench-%d.test", os.Getpid()))
	if err := os.Symlink(self, suite); err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { os.Remove(suite) })
	var wall4 time.Duration
	// where is printed once the sub-benchmarks are done, not logged (go
	// test cuts a benchmark's log to ten lines) and not printed while one
	// runs (go test writes its result on the line its name began).
	var where string
	defer func() { fmt.Print(where) }()
	for _, n := range []int{4, 12, 24} {
		b.Run(fmt.Sprintf("units=%d", n), func(b *testing.B) {
			for range b.N {
				r := runScaled(b, root, tools, suite, n)
				b.ReportMetric(r.wall.Seconds(), "wall-s")
				b.ReportMetric(r.simCPU.Seconds()*1000/float64(n), "sim-cpu-ms/unit")
				b.ReportMetric(r.suiteCPU.Seconds()*1000/float64(n), "suite-cpu-ms/unit")
				b.ReportMetric(r.bootsPerUnit(), "boots/unit")
				b.ReportMetric(float64(r.maxBoots()), "max-boots/unit")
				b.ReportMetric(float64(len(r.failed)), "failed-specs")
				if n == 4 {
					wall4 = r.wall
					where = fmt.Sprintf("BenchmarkSuiteScaling: where the 4-unit wall goes (%s)\n%s", r.bootsLine(), r.breakdown())
				} else if wall4 > 0 {
					b.ReportMetric(r.wall.Seconds()/wall4.Seconds(), "x-of-4-units")
				}
			}
		})
	}
}

// scaledRun is one run of the suite on a generated rig.
type scaledRun struct {
	wall, simCPU time.Duration
	// suiteCPU is the CPU of the ginkgo run and its spec processes.
	suiteCPU time.Duration
	boots    map[string]int
	specs    []specTime
	// failed names the specs that failed (unit: spec).
	failed []string
}

// specTime is where one spec's wall went.
type specTime struct {
	unit, spec     string
	wall, unitTime time.Duration
}

func runScaled(b *testing.B, root, tools, suite string, n int) scaledRun {
	b.Helper()
	dir := b.TempDir()
	gen := filepath.Join(dir, "gen", "virtual.yaml")
	if err := os.MkdirAll(filepath.Dir(gen), 0o755); err != nil {
		b.Fatal(err)
	}
	if err := writeScaledRig(filepath.Join(root, defaultRig), gen, n); err != nil {
		b.Fatal(err)
	}
	state := filepath.Join(dir, "state")
	if err := os.MkdirAll(state, 0o755); err != nil {
		b.Fatal(err)
	}
	file := virtualtest.Relocate(b, gen, state, 0)
	env := slices.DeleteFunc(os.Environ(), func(kv string) bool {
		return strings.HasPrefix(kv, stateDirEnv+"=") || strings.HasPrefix(kv, rigEnv+"=")
	})

	sim := exec.Command(filepath.Join(tools, "camrig"), "sim", "--rig", file)
	sim.Env = env
	said := &lockedText{}
	sim.Stderr = said
	pipe, err := sim.StdoutPipe()
	if err != nil {
		b.Fatal(err)
	}
	if err := sim.Start(); err != nil {
		b.Fatal(err)
	}
	// The simulator says "running" once every device is up.
	ready, ended := make(chan struct{}), make(chan struct{})
	go func() {
		defer close(ended)
		sc := bufio.NewScanner(pipe)
		for sc.Scan() {
			said.Write([]byte(sc.Text() + "\n"))
			if strings.HasPrefix(sc.Text(), "running;") {
				close(ready)
			}
		}
	}()
	stopped := false
	stop := func() {
		if !stopped {
			stopped = true
			_ = sim.Process.Signal(os.Interrupt)
			<-ended
			_ = sim.Wait()
		}
	}
	defer stop()
	select {
	case <-ready:
	case <-ended:
		b.Fatalf("camrig sim --rig %s ended before it ran: %s", file, said)
	case <-time.After(2 * time.Minute):
		b.Fatalf("camrig sim --rig %s not running after 2 minutes: %s", file, said)
	}

	out := filepath.Join(dir, "out")
	run := exec.Command(filepath.Join(tools, "ginkgo"), "-p", "--procs="+strconv.Itoa(n), "--output-dir="+out,
		"--json-report=report.json", "--no-color", "--label-filter=!slow && !soak && !random-cut",
		suite, "--", "--rig="+file, "--out="+out, "--attach")
	run.Dir = filepath.Join(root, "specs")
	run.Env = env
	start := time.Now()
	log, err := run.CombinedOutput()
	wall := time.Since(start)
	stop()
	r := scaledRun{wall: wall, boots: map[string]int{}}
	if st := sim.ProcessState; st != nil {
		r.simCPU = st.UserTime() + st.SystemTime()
	}
	// wait4 counts the spec processes ginkgo waited for in its own usage.
	if st := run.ProcessState; st != nil {
		r.suiteCPU = st.UserTime() + st.SystemTime()
	}
	if rerr := r.read(filepath.Join(out, "report.json")); rerr != nil {
		b.Fatalf("%d units: no report (%v; the suite: %v):\n%s", n, rerr, err, tail(string(log), 4000))
	}
	// A spec that failed is the suite's news, not the benchmark's: the
	// wall is still the run's. It is counted and named.
	if err != nil {
		b.Logf("%d units: the suite failed (%v): %s", n, err, strings.Join(r.failed, "; "))
	}
	return r
}

// lockedText collects a child's output from several goroutines.
type lockedText struct {
	mu sync.Mutex
	sb strings.Builder
}

func (l *lockedText) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.sb.Write(p)
}

func (l *lockedText) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.sb.String()
}

// unitNames matches a unit's name in the shipped rig file (cam1..cam4).
var unitNames = regexp.MustCompile(`\bcam([1-4])\b`)

// writeScaledRig writes a rig of n units (n a multiple of the shipped
// rig's four) to path: group g repeats cam1..cam4 as cam(4g+1)..cam(4g+4),
// with relay boards of its own (the shipped boards' files suffixed with
// the group), each unit's API and plug on a loopback address of its own and
// NVR ports 4g+1..4g+4. Everything else (profiles, timescale, sim section)
// is the shipped rig's.
func writeScaledRig(shipped, path string, n int) error {
	data, err := os.ReadFile(shipped)
	if err != nil {
		return err
	}
	// The generated file lives elsewhere: its profiles path is absolute.
	s := regexp.MustCompile(`(?m)^profiles:\s*(\S+)\s*$`).ReplaceAllStringFunc(string(data), func(line string) string {
		rel := strings.TrimSpace(strings.TrimPrefix(line, "profiles:"))
		if filepath.IsAbs(rel) {
			return line
		}
		return "profiles: " + filepath.Join(filepath.Dir(shipped), rel)
	})
	head, rest, ok := strings.Cut(s, "\nunits:\n")
	if !ok {
		return fmt.Errorf("%s: no units section", shipped)
	}
	units, tailPart, ok := strings.Cut(rest, "\nsim:\n")
	if !ok {
		return fmt.Errorf("%s: no sim section after the units", shipped)
	}
	apiAddr := regexp.MustCompile(`127\.0\.0\.1([1-4]):18001`)
	plugAddr := regexp.MustCompile(`127\.0\.0\.2([1-4]):18002`)
	nvrPort := regexp.MustCompile(`nvr_port: ([1-4])`)
	board := regexp.MustCompile(`relay-(numato|lcus)`)
	var sb strings.Builder
	sb.WriteString(head + "\nunits:\n")
	for g := range n / 4 {
		u := unitNames.ReplaceAllStringFunc(units, func(m string) string {
			i, _ := strconv.Atoi(unitNames.FindStringSubmatch(m)[1])
			return fmt.Sprintf("cam%d", 4*g+i)
		})
		u = apiAddr.ReplaceAllStringFunc(u, func(m string) string {
			i, _ := strconv.Atoi(apiAddr.FindStringSubmatch(m)[1])
			return fmt.Sprintf("127.0.0.%d:18001", 100+4*g+i)
		})
		u = plugAddr.ReplaceAllStringFunc(u, func(m string) string {
			i, _ := strconv.Atoi(plugAddr.FindStringSubmatch(m)[1])
			return fmt.Sprintf("127.0.0.%d:18002", 150+4*g+i)
		})
		u = nvrPort.ReplaceAllStringFunc(u, func(m string) string {
			i, _ := strconv.Atoi(nvrPort.FindStringSubmatch(m)[1])
			return fmt.Sprintf("nvr_port: %d", 4*g+i)
		})
		u = board.ReplaceAllString(u, fmt.Sprintf("relay-$1-g%d", g))
		sb.WriteString(u + "\n")
	}
	sb.WriteString("\nsim:\n" + tailPart)
	return os.WriteFile(path, []byte(sb.String()), 0o644)
}

// read takes the boots and the per-spec times from a run's JSON report.
func (r *scaledRun) read(path string) error {
	data, err := os.ReadFile(path)
	if err != nil {
		return err
	}
	var rep []types.Report
	if err := json.Unmarshal(data, &rep); err != nil || len(rep) != 1 {
		return fmt.Errorf("%s: not one suite's report (%v)", path, err)
	}
	for _, s := range rep[0].SpecReports {
		if s.LeafNodeType != types.NodeTypeIt || s.State == types.SpecStateSkipped {
			continue
		}
		var unit string
		var events []timeline.Event
		for _, e := range s.ReportEntries {
			switch e.Name {
			case reports.EntryUnit:
				unit = e.StringRepresentation()
			case "timeline":
				if err := json.Unmarshal([]byte(e.StringRepresentation()), &events); err != nil {
					return fmt.Errorf("%s: timeline of %q: %v", path, s.LeafNodeText, err)
				}
			}
		}
		if s.State != types.SpecStatePassed {
			r.failed = append(r.failed, unit+": "+s.LeafNodeText)
		}
		for _, e := range events {
			if e.Source == timeline.Step && e.Kind == "booted" {
				r.boots[unit]++
			}
		}
		r.specs = append(r.specs, specTime{unit: unit, spec: s.LeafNodeText, wall: s.RunTime, unitTime: unitTime(events)})
	}
	return nil
}

// unitTime is how much of a spec the harness spent waiting on the unit's
// own (scaled) physical time: power off for the off time, a boot from the
// power-on request or the release of a hold to its ready marker, a hold,
// a quiet watch after a press. The rest of the spec's wall is overhead.
func unitTime(events []timeline.Event) time.Duration {
	var total time.Duration
	var offAt, bootFrom, released time.Time
	for _, e := range events {
		switch {
		case e.Source == timeline.Power && e.Kind == "off":
			offAt = e.At
		case e.Source == timeline.Step && e.Kind == "power-on":
			if !offAt.IsZero() {
				total += e.At.Sub(offAt)
				offAt = time.Time{}
			}
			bootFrom = e.At
		case e.Source == timeline.Press && e.Dur > 0:
			total += e.Dur
			released = e.At.Add(e.Dur)
			bootFrom = released
		case e.Source == timeline.Step && e.Kind == "booted" && !bootFrom.IsZero():
			total += e.At.Sub(bootFrom)
			bootFrom, released = time.Time{}, time.Time{}
		case e.Source == timeline.Console && e.Kind == "no-match" && !released.IsZero():
			total += e.At.Sub(released) // a quiet watch after a press
			bootFrom, released = time.Time{}, time.Time{}
		}
	}
	return total
}

func (r scaledRun) bootsPerUnit() float64 {
	total := 0
	for _, n := range r.boots {
		total += n
	}
	return float64(total) / float64(max(len(r.boots), 1))
}

func (r scaledRun) maxBoots() int {
	m := 0
	for _, n := range r.boots {
		m = max(m, n)
	}
	return m
}

func (r scaledRun) bootsLine() string {
	names := make([]string, 0, len(r.boots))
	for u := range r.boots {
		names = append(names, u)
	}
	sort.Strings(names)
	parts := make([]string, len(names))
	for i, u := range names {
		parts[i] = fmt.Sprintf("%s %d", u, r.boots[u])
	}
	return "boots per unit: " + strings.Join(parts, ", ")
}

// breakdown is the table of where the run's specs spent their wall, per
// unit in the order they ran, with each unit's total.
func (r scaledRun) breakdown() string {
	var sb strings.Builder
	w := tabwriter.NewWriter(&sb, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(w, "unit\tspec\twall s\tunit's physical time s\toverhead s\t")
	totals := map[string][2]time.Duration{}
	var order []string
	for _, s := range r.specs {
		fmt.Fprintf(w, "%s\t%s\t%.2f\t%.2f\t%.2f\t\n", s.unit, s.spec, s.wall.Seconds(), s.unitTime.Seconds(),
			(s.wall - s.unitTime).Seconds())
		if _, ok := totals[s.unit]; !ok {
			order = append(order, s.unit)
		}
		t := totals[s.unit]
		totals[s.unit] = [2]time.Duration{t[0] + s.wall, t[1] + s.unitTime}
	}
	for _, u := range order {
		t := totals[u]
		fmt.Fprintf(w, "%s\t(all specs)\t%.2f\t%.2f\t%.2f\t\n", u, t[0].Seconds(), t[1].Seconds(), (t[0] - t[1]).Seconds())
	}
	w.Flush()
	return sb.String()
}
