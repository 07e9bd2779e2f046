// Package specs holds the Ginkgo suites: what a camera must do after each
// reset procedure. They run on any rig:
//
//	go tool ginkgo -p ./specs -- --rig rigs/bench3.yaml
//
// On a rig file that says `virtual: true` the suite starts the virtual rig
// itself (once, in the first parallel process) unless one is already
// running on the same state directory.
package specs_test

import (
	"flag"
	"os"
	"path/filepath"
	"testing"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/camrig/camrig/harness/rig"
)

var (
	rigFlag = flag.String("rig", "../rigs/virtual.yaml", "rig file to run on")
	outFlag = flag.String("out", "", "directory for transcripts, timelines and the HTML report (default: ../reports/out)")
)

// theRig is loaded before the spec tree is built, so the tree can hold one
// container per unit.
var theRig *rig.Rig

func TestSpecs(t *testing.T) {
	RegisterFailHandler(Fail)
	r, err := rig.Load(*rigFlag)
	if err != nil {
		t.Fatalf("loading the rig: %v", err)
	}
	theRig = r
	RunSpecs(t, "camrig reset suites on rig "+r.Name)
}

func outDir() string {
	dir := *outFlag
	if dir == "" {
		dir = filepath.Join("..", "reports", "out")
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		Fail("cannot create the report directory: " + err.Error())
	}
	return dir
}
