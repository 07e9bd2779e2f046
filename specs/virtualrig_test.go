package specs_test

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"strings"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/camrig/camrig/harness/rig"
	"github.com/camrig/camrig/rigs/virtual"
)

// sim is the virtual rig this run started (in the first parallel process;
// nil on a bench or with --attach).
var sim *virtual.Rig

// simRun is where the run's own simulator is, handed from the first
// parallel process to every process.
type simRun struct {
	// File is the run's copy of the rig file (virtual.Isolate).
	File string `json:"file"`
	// StateDir is the run's own state directory.
	StateDir string `json:"state_dir"`
	// Attached: the run drives a `camrig sim` it did not start (--attach).
	Attached bool `json:"attached,omitempty"`
	// Pid is the attached simulator's pid as its lock records it.
	Pid string `json:"pid,omitempty"`
}

// theSim is the simulator the run drives (zero on a bench).
var theSim simRun

var _ = SynchronizedBeforeSuite(func(ctx SpecContext) []byte {
	if !theRig.Virtual {
		return nil
	}
	var sr simRun
	if *attachFlag {
		pid, running, err := virtual.Running(theRig.StateDir)
		Expect(err).NotTo(HaveOccurred(), "looking for the camrig sim to attach to")
		if !running {
			Fail(fmt.Sprintf("--attach: no camrig sim is running on %s (start one: go run ./harness/cmd/camrig sim --rig %s; or drop --attach for a simulator of the run's own)",
				theRig.StateDir, rigFile))
		}
		sr = simRun{File: rigFile, StateDir: theRig.StateDir, Attached: true, Pid: pid}
	} else {
		dir, err := os.MkdirTemp("", "camrig-"+theRig.Name+"-")
		Expect(err).NotTo(HaveOccurred(), "making the run's state dir")
		copyPath, err := virtual.Isolate(rigFile, dir, 0)
		if err != nil {
			os.RemoveAll(dir)
			Fail(fmt.Sprintf("giving the run its own copy of %s: %v", rigFile, err))
		}
		s, err := virtual.Start(context.WithoutCancel(ctx), copyPath, virtual.WithStateDir(dir))
		if err != nil {
			os.RemoveAll(dir)
			Fail(fmt.Sprintf("starting the virtual rig of %s: %v", rigFile, err))
		}
		if unserved := s.Unserved(); len(unserved) > 0 {
			s.Close()
			os.RemoveAll(dir)
			Fail("the virtual rig cannot serve every device of " + rigFile + ": " + strings.Join(unserved, "; "))
		}
		sim = s
		sr = simRun{File: copyPath, StateDir: dir}
	}
	data, err := json.Marshal(sr)
	Expect(err).NotTo(HaveOccurred())
	return data
}, func(_ SpecContext, data []byte) {
	if len(data) == 0 {
		return
	}
	Expect(json.Unmarshal(data, &theSim)).To(Succeed())
	if theSim.Attached {
		return
	}
	// Every process drives the run's own simulator: its copy of the rig
	// file, its state dir (also over a CAMRIG_STATE_DIR of the caller's).
	Expect(os.Setenv(stateDirEnv, theSim.StateDir)).To(Succeed())
	r, err := rig.Load(theSim.File)
	Expect(err).NotTo(HaveOccurred(), "loading the run's copy of the rig file")
	theRig = r
})

var _ = SynchronizedAfterSuite(func() {}, func() {
	if sim == nil {
		return
	}
	// A device taken by someone else while the run went on (a unit's API
	// address bound by another process once it rebooted) fails the run.
	unserved := sim.Unserved()
	Expect(sim.Close()).To(Succeed())
	Expect(os.RemoveAll(theSim.StateDir)).To(Succeed())
	Expect(unserved).To(BeEmpty(), "devices of %s the virtual rig could not serve during the run", rigFile)
})
