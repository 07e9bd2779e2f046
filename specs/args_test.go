package specs_test

import (
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// The suite's flags given after "--" (where `go test ./specs -- --rig X`
// leaves them) are parsed as the suite's own: honoured, or an error.
func TestTrailingArgsAreTheSuitesFlags(t *testing.T) {
	newSet := func() (*flag.FlagSet, *string, *bool) {
		fs := flag.NewFlagSet("t", flag.ContinueOnError)
		rig := fs.String("rig", "", "")
		attach := fs.Bool("attach", false, "")
		fs.Int("test.count", 1, "")
		return fs, rig, attach
	}
	tests := []struct {
		name       string
		before     []string
		after      []string
		wantRig    string
		wantAttach bool
		err        string
	}{
		{name: "none", wantRig: ""},
		{name: "rig after --", after: []string{"--rig", "rigs/bench3.yaml"}, wantRig: "rigs/bench3.yaml"},
		{name: "rig= and attach", after: []string{"--rig=rigs/x.yaml", "--attach"}, wantRig: "rigs/x.yaml", wantAttach: true},
		{name: "same rig twice", before: []string{"-rig", "a.yaml"}, after: []string{"--rig", "a.yaml"}, wantRig: "a.yaml"},
		{name: "two rigs", before: []string{"-rig", "a.yaml"}, after: []string{"--rig", "b.yaml"}, err: `--rig given twice, as "a.yaml" and "b.yaml"`},
		{name: "misspelt", after: []string{"--rgi", "x"}, err: "flag provided but not defined: -rgi"},
		{name: "stray word", after: []string{"--rig", "x", "now"}, err: `unexpected arguments ["now"]`},
		{name: "test flags are not the suite's", after: []string{"--test.count=2"}, err: "not defined: -test.count"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fs, rig, attach := newSet()
			if err := fs.Parse(tt.before); err != nil {
				t.Fatal(err)
			}
			err := parseTrailingArgs(fs, tt.after)
			if tt.err != "" {
				if err == nil || !strings.Contains(err.Error(), tt.err) {
					t.Fatalf("err = %v, want %q", err, tt.err)
				}
				return
			}
			if err != nil || *rig != tt.wantRig || *attach != tt.wantAttach {
				t.Fatalf("rig %q attach %v err %v; want rig %q attach %v", *rig, *attach, err, tt.wantRig, tt.wantAttach)
			}
		})
	}
}

// A relative rig path is taken from the repository root, wherever the test
// binary runs; a missing file is an error saying where it was looked for,
// never the virtual rig instead.
func TestChooseRigFromTheRepositoryRoot(t *testing.T) {
	root, err := moduleRoot()
	if err != nil {
		t.Fatal(err)
	}
	// go test runs this binary in specs/: the root is its parent.
	if wd := mustWd(t); root != filepath.Dir(wd) {
		t.Fatalf("module root %s, working directory %s", root, wd)
	}
	set := func(rig, env string) {
		old := *rigFlag
		*rigFlag = rig
		t.Cleanup(func() { *rigFlag = old })
		t.Setenv(rigEnv, env)
	}

	set("rigs/virtual.yaml", "")
	path, from, err := chooseRig(root)
	if err != nil || path != filepath.Join(root, "rigs", "virtual.yaml") || from != "--rig" {
		t.Fatalf("chooseRig = %q, %q, %v", path, from, err)
	}

	set("rigs/bench-nobody-has.yaml", "")
	_, _, err = chooseRig(root)
	if err == nil || !strings.Contains(err.Error(), "rigs/bench-nobody-has.yaml (--rig) not found") ||
		!strings.Contains(err.Error(), "repository root, "+root) {
		t.Fatalf("missing rig: err = %v", err)
	}

	set("", "rigs/qemu-uboot.yaml")
	if path, from, err := chooseRig(root); err != nil || path != filepath.Join(root, "rigs", "qemu-uboot.yaml") || from != "$"+rigEnv {
		t.Fatalf("from the environment: %q, %q, %v", path, from, err)
	}

	set("", "")
	if path, from, err := chooseRig(root); err != nil || path != filepath.Join(root, defaultRig) || from != "the default" {
		t.Fatalf("default: %q, %q, %v", path, from, err)
	}

	set(filepath.Join(root, "rigs"), "")
	if _, _, err := chooseRig(root); err == nil || !strings.Contains(err.Error(), "not a regular file") {
		t.Fatalf("a directory as rig: err = %v", err)
	}
}

func mustWd(t *testing.T) string {
	t.Helper()
	wd, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	return wd
}
