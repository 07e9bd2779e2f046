// Command fuzzrun is `make fuzz`: it runs every fuzz target of the module
// for -fuzztime and fails only on a real finding.
//
// The Go fuzz coordinator has a race of its own at the end of -fuzztime:
// now and then a run whose workers found nothing ends with "fuzzing process
// hung or terminated unexpectedly" or "context deadline exceeded" and a
// failed exit, without writing any input under testdata/fuzz. A failure
// like that is retried once and reported; a failure that wrote a
// reproducer (or failed on the seed corpus, or never started fuzzing, as a
// build error) fails the run at once, and so does a second failure without
// a reproducer.
package main

import (
	"bytes"
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
)

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

func run(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("fuzzrun", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fuzztime := fs.String("fuzztime", "10s", "how long each target fuzzes (go test -fuzztime)")
	goCmd := fs.String("go", "go", "the go command")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	patterns := fs.Args()
	if len(patterns) == 0 {
		patterns = []string{"./..."}
	}
	r := &runner{goCmd: *goCmd, fuzztime: *fuzztime, stdout: stdout}
	pkgs, err := r.packages(patterns)
	if err != nil {
		fmt.Fprintf(stderr, "fuzzrun: %v\n", err)
		return 1
	}
	for _, p := range pkgs {
		targets, err := r.targets(p)
		if err != nil {
			r.failed = append(r.failed, fmt.Sprintf("%s: listing fuzz targets: %v", p.path, err))
			continue
		}
		for _, t := range targets {
			r.fuzz(p, t)
		}
	}
	return r.summary()
}

type pkg struct{ path, dir string }

type runner struct {
	goCmd, fuzztime string
	stdout          io.Writer
	ran             int
	retried, failed []string
}

func (r *runner) packages(patterns []string) ([]pkg, error) {
	out, err := r.output(append([]string{"list", "-f", "{{.ImportPath}}\t{{.Dir}}"}, patterns...)...)
	if err != nil {
		return nil, err
	}
	var pkgs []pkg
	for _, line := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		if path, dir, ok := strings.Cut(line, "\t"); ok {
			pkgs = append(pkgs, pkg{path, dir})
		}
	}
	return pkgs, nil
}

// targets lists p's fuzz targets; a package that does not build is an
// error, not a package without targets.
func (r *runner) targets(p pkg) ([]string, error) {
	out, err := r.output("test", "-list", "^Fuzz", p.path)
	if err != nil {
		return nil, err
	}
	var names []string
	for _, line := range strings.Split(string(out), "\n") {
		if strings.HasPrefix(line, "Fuzz") {
			names = append(names, strings.TrimSpace(line))
		}
	}
	return names, nil
}

func (r *runner) output(args ...string) ([]byte, error) {
	cmd := exec.Command(r.goCmd, args...)
	var errb bytes.Buffer
	cmd.Stderr = &errb
	out, err := cmd.Output()
	if err != nil {
		return nil, fmt.Errorf("%s %s: %v\n%s", r.goCmd, strings.Join(args, " "), err, errb.String())
	}
	return out, nil
}

// outcome of one fuzzing run.
type outcome int

const (
	passed outcome = iota
	crashed
	raced // failed after fuzzing started, no reproducer written
)

func (r *runner) fuzz(p pkg, target string) {
	name := p.path + " " + target
	for attempt := 1; ; attempt++ {
		fmt.Fprintf(r.stdout, "== %s\n", name)
		r.ran++
		switch o, why := r.once(p, target); {
		case o == passed:
			return
		case o == crashed:
			r.failed = append(r.failed, fmt.Sprintf("%s: %s", name, why))
			return
		case attempt == 1:
			fmt.Fprintf(r.stdout, "fuzzrun: %s failed without writing a reproducer (the fuzz coordinator's deadline race): retrying once\n", name)
			r.retried = append(r.retried, name)
		default:
			r.failed = append(r.failed, fmt.Sprintf("%s: failed twice without writing a reproducer", name))
			return
		}
	}
}

// once runs one target and classifies the result.
func (r *runner) once(p pkg, target string) (outcome, string) {
	corpus := filepath.Join(p.dir, "testdata", "fuzz", target)
	before := listDir(corpus)
	var out bytes.Buffer
	cmd := exec.Command(r.goCmd, "test", "-run", "^$", "-fuzz", "^"+target+"$", "-fuzztime", r.fuzztime, p.path)
	cmd.Stdout = io.MultiWriter(r.stdout, &out)
	cmd.Stderr = cmd.Stdout
	err := cmd.Run()
	if err == nil {
		return passed, ""
	}
	text := out.String()
	if added := newEntries(before, listDir(corpus)); len(added) > 0 || strings.Contains(text, "Failing input written to") {
		return crashed, fmt.Sprintf("crasher written under %s (%s)", corpus, strings.Join(added, ", "))
	}
	if strings.Contains(text, "failure while testing seed corpus entry") {
		return crashed, "a seed corpus entry fails"
	}
	if !strings.Contains(text, "fuzz: elapsed") {
		return crashed, fmt.Sprintf("failed before fuzzing started: %v", err)
	}
	return raced, ""
}

func listDir(dir string) []string {
	entries, _ := os.ReadDir(dir)
	names := make([]string, 0, len(entries))
	for _, e := range entries {
		names = append(names, e.Name())
	}
	return names
}

func newEntries(before, after []string) []string {
	var out []string
	for _, n := range after {
		if !slices.Contains(before, n) {
			out = append(out, n)
		}
	}
	return out
}

func (r *runner) summary() int {
	fmt.Fprintf(r.stdout, "fuzzrun: %d runs", r.ran)
	if len(r.retried) > 0 {
		fmt.Fprintf(r.stdout, "; retried after the coordinator's deadline race: %s", strings.Join(r.retried, "; "))
	}
	fmt.Fprintln(r.stdout)
	if len(r.failed) == 0 {
		return 0
	}
	for _, f := range r.failed {
		fmt.Fprintf(r.stdout, "fuzzrun: FAIL %s\n", f)
	}
	return 1
}
