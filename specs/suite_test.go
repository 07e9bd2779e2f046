// Package specs holds the Ginkgo suites: what a camera must do after each
// reset procedure. They run on any rig, from the repository root:
//
//	go tool ginkgo -p ./specs -- --rig rigs/bench3.yaml
//	go test ./specs -- --rig rigs/bench3.yaml
//
// A relative --rig (and --out) is taken from the repository root (the
// directory holding go.mod), wherever the test binary runs; a rig file that
// does not exist, or an argument the suite does not know, stops the run
// before anything is driven — never a fallback to the virtual rig.
//
// On a rig file that says `virtual: true` the suite starts a simulator of
// its own for the run (once, in the first parallel process): a copy of the
// rig file with a fresh state directory and free loopback addresses
// (virtual.Isolate), so parallel runs and clones never share a device.
// --attach drives an already running `camrig sim` on the rig file's own
// state directory and addresses instead; the run says so first.
package specs_test

import (
	"errors"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/camrig/camrig/harness/notation"
	"github.com/camrig/camrig/harness/rig"
)

var (
	rigFlag = flag.String("rig", "", "rig file to run on; a relative path is taken from the repository root "+
		"(default: $"+rigEnv+", else "+defaultRig+")")
	outFlag = flag.String("out", "", "directory for transcripts, timelines and the reports; a relative path is "+
		"taken from the repository root (default: reports/out)")
	runIDFlag = flag.String("run-id", "", "share this run with every runner started with the same id on a lab rig "+
		"(a rig file with lab:): each unit is run by the first runner to claim it, the others skip it")
	attachFlag = flag.Bool("attach", false, "virtual rig only: drive the `camrig sim` already running on the rig "+
		"file's state dir and addresses, instead of a simulator of this run's own")
)

const (
	// rigEnv names the rig file when --rig is not given, as for the CLI.
	rigEnv     = "CAMRIG_RIG"
	defaultRig = "rigs/virtual.yaml"
)

// theRig is loaded before the spec tree is built, so the tree can hold one
// container per unit. On a virtual rig with a simulator of the run's own it
// is reloaded from the run's copy once the simulator is up.
var theRig *rig.Rig

// rigFile is the rig file the run is about, absolute, as the user named it
// (not the run's relocated copy); rigFrom says how it was named.
var rigFile, rigFrom string

func TestSpecs(t *testing.T) {
	RegisterFailHandler(Fail)
	if err := parseTrailingArgs(flag.CommandLine, flag.Args()); err != nil {
		t.Fatalf("specs: %v", err)
	}
	root, err := moduleRoot()
	if err != nil {
		t.Fatalf("specs: %v", err)
	}
	path, from, err := chooseRig(root)
	if err != nil {
		t.Fatalf("specs: %v", err)
	}
	r, err := rig.Load(path)
	if err != nil {
		t.Fatalf("loading the rig %s: %v", path, err)
	}
	if *attachFlag && !r.Virtual {
		t.Fatalf("specs: --attach drives a running virtual rig; %s is a bench (virtual: false)", path)
	}
	if *runIDFlag != "" {
		// Every lease this run takes records the run id (rig.Holder).
		os.Setenv(rig.RunIDEnv, *runIDFlag)
	}
	theRig, rigFile, rigFrom = r, path, from
	RunSpecs(t, runTitle())
}

// runTitle is the first line of the run, in the terminal and atop the
// report: which rig, from which file, virtual or a bench, and whose
// simulator.
func runTitle() string {
	if !theRig.Virtual {
		return fmt.Sprintf("camrig suites on bench rig %s (%s, from %s)", theRig.Name, rigFile, rigFrom)
	}
	return fmt.Sprintf("camrig suites on virtual rig %s (%s, from %s), %s", theRig.Name, rigFile, rigFrom, simulatorText())
}

// simulatorText says whose simulator a virtual run drives.
func simulatorText() string {
	if *attachFlag {
		return "attached to the camrig sim running on " + theRig.StateDir + " (--attach)"
	}
	return "simulator started by this run on its own state dir and loopback addresses"
}

// parseTrailingArgs parses what `go test ./specs -- --rig X` leaves after
// the "--" (the test binary's flag parsing stops there) as the suite's own
// flags, so a flag given is a flag honoured. Anything else there is an
// error, as is one flag given twice with two values.
func parseTrailingArgs(cl *flag.FlagSet, args []string) error {
	if len(args) == 0 {
		return nil
	}
	before := map[string]string{}
	cl.Visit(func(f *flag.Flag) { before[f.Name] = f.Value.String() })
	fs := flag.NewFlagSet("specs", flag.ContinueOnError)
	fs.SetOutput(new(strings.Builder))
	cl.VisitAll(func(f *flag.Flag) {
		if !strings.HasPrefix(f.Name, "test.") {
			fs.Var(f.Value, f.Name, f.Usage)
		}
	})
	if err := fs.Parse(args); err != nil {
		return fmt.Errorf("arguments after --: %v", err)
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("unexpected arguments %q (the suite takes --rig FILE, --out DIR, --attach)", fs.Args())
	}
	var err error
	fs.Visit(func(f *flag.Flag) {
		if v, ok := before[f.Name]; ok && v != f.Value.String() {
			err = errors.Join(err, fmt.Errorf("--%s given twice, as %q and %q", f.Name, v, f.Value.String()))
		}
	})
	return err
}

// moduleRoot is the nearest directory at or above the working directory
// holding go.mod: the repository root, where `go test` and ginkgo were
// most likely started (both run the test binary in the package directory).
func moduleRoot() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		if st, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil && st.Mode().IsRegular() {
			return dir, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", errors.New("no go.mod above the working directory: cannot resolve relative paths")
		}
		dir = parent
	}
}

// fromRoot makes a path absolute, taking a relative one from root.
func fromRoot(root, path string) string {
	if filepath.IsAbs(path) {
		return filepath.Clean(path)
	}
	return filepath.Join(root, path)
}

// chooseRig returns the rig file the run is about (absolute) and how it was
// named: --rig, else $CAMRIG_RIG, else the shipped virtual rig. A file that
// does not exist is an error naming where it was looked for.
func chooseRig(root string) (path, from string, err error) {
	given, from := *rigFlag, "--rig"
	if given == "" {
		given, from = os.Getenv(rigEnv), "$"+rigEnv
	}
	if given == "" {
		given, from = defaultRig, "the default"
	}
	path = fromRoot(root, given)
	st, err := os.Stat(path)
	switch {
	case err != nil && filepath.IsAbs(given):
		return "", "", fmt.Errorf("rig file %s (%s): %w", given, from, err)
	case err != nil:
		return "", "", fmt.Errorf("rig file %s (%s) not found: relative paths are taken from the repository root, %s: %w",
			given, from, root, err)
	case !st.Mode().IsRegular():
		return "", "", fmt.Errorf("rig file %s (%s) is not a regular file", path, from)
	}
	return path, from, nil
}

// suiteRunOnly says why this test binary runs only the suite (and not the
// project's own tests of it, such as TestDefects): the ginkgo CLI started it
// (it passes its ginkgo.* flags to every process), or a rig or the arguments
// after "--" were given. "" for a plain `go test ./specs` (make test).
func suiteRunOnly() string {
	why := ""
	flag.Visit(func(f *flag.Flag) {
		switch {
		case why != "":
		case strings.HasPrefix(f.Name, "ginkgo."):
			why = "run by ginkgo"
		case f.Name == "rig" || f.Name == "attach":
			why = "--" + f.Name + " given"
		}
	})
	if why == "" && len(flag.Args()) > 0 {
		why = "arguments after -- given"
	}
	return why
}

// stateDirEnv is the variable the rig loader and the simulator read a state
// directory override from.
const stateDirEnv = notation.StateDirEnv

func outDir() string {
	root, err := moduleRoot()
	if err != nil {
		Fail(err.Error())
	}
	dir := filepath.Join(root, "reports", "out")
	if *outFlag != "" {
		dir = fromRoot(root, *outFlag)
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		Fail("cannot create the report directory: " + err.Error())
	}
	return dir
}
