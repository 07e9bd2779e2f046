package specs_test

import (
	"context"
	"fmt"
	"os/exec"
	"strings"
	"sync"
	"time"

	. "github.com/onsi/ginkgo/v2"

	"github.com/camrig/camrig/reports"
)

// theRun says what this run is about. Every spec carries it, so the HTML
// report, the JUnit file and the terminal summary name the rig (and whether
// it is the virtual rig or a bench) however the run was split over
// processes.
var theRun = sync.OnceValue(func() reports.RunInfo {
	ri := reports.RunInfo{
		Rig:       theRig.Name,
		RigFile:   rigFile, // the file the user named, not the run's copy of it
		Virtual:   theRig.Virtual,
		Timescale: float64(theRig.Timescale),
		Seed:      GinkgoRandomSeed(),
		Version:   suiteVersion(),
		RunID:     *runIDFlag,
	}
	switch {
	case theSim.Attached:
		ri.Simulator = fmt.Sprintf("attached to the camrig sim (pid %s) running on %s (--attach)", theSim.Pid, theSim.StateDir)
	case theRig.Virtual:
		ri.Simulator = "started by this run, state " + theSim.StateDir + ", rig file copy " + theSim.File
	}
	return ri
})

// versionTimeout bounds asking git for the suites' version.
const versionTimeout = 5 * time.Second

// suiteVersion is `git describe` of the checkout the suites run from, or
// "unknown" outside a git checkout.
func suiteVersion() string {
	ctx, cancel := context.WithTimeout(context.Background(), versionTimeout)
	defer cancel()
	out, err := exec.CommandContext(ctx, "git", "describe", "--always", "--dirty", "--tags").Output()
	if err != nil {
		return "unknown"
	}
	return strings.TrimSpace(string(out))
}

// attachRun records theRun on the current spec.
func attachRun() {
	AddReportEntry(reports.EntryRun, theRun(), ReportEntryVisibilityNever)
}

// firmwareTimeout bounds the one API call that reads a unit's firmware for
// the report; a unit that does not answer in time is reported without one.
const firmwareTimeout = 3 * time.Second

// noteFirmware asks the unit which firmware it runs (from the device
// itself, not from an image the suite wrote) and records it for the report.
func noteFirmware(ctx context.Context, t *target) {
	if t.Unit == nil || t.Camera == nil {
		return
	}
	ctx, cancel := context.WithTimeout(ctx, firmwareTimeout)
	defer cancel()
	info, err := t.Camera.DeviceInfo(ctx)
	if err != nil || info.FirmwareVersion == "" {
		return
	}
	AddReportEntry(reports.EntryFirmware, info.FirmwareVersion, ReportEntryVisibilityNever)
}
