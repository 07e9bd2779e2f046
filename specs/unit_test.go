package specs_test

import (
	"encoding/json"
	"path/filepath"
	"regexp"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/camrig/camrig/harness/rig"
	"github.com/camrig/camrig/harness/timeline"
	"github.com/camrig/camrig/reports"
)

// openUnit leases and opens a unit for the rest of the container. Cleanup,
// registered first so it runs last, leaves the unit in its safe state and
// writes its transcript and timeline, whether the specs passed or not.
func openUnit(ctx SpecContext, name string) *rig.Unit {
	u, err := theRig.Open(ctx, name, rig.WithTranscriptDir(filepath.Join(outDir(), "spill")))
	Expect(err).NotTo(HaveOccurred(), "opening unit %s", name)
	DeferCleanup(func(ctx SpecContext) {
		Expect(u.Close(ctx)).To(Succeed(), "leaving unit %s safe", name)
	})
	return u
}

var unsafeChars = regexp.MustCompile(`[^A-Za-z0-9._-]+`)

// attachEvidence saves the unit's transcript and timeline for the current
// spec and attaches them to the report. Call it with DeferCleanup right after
// a spec starts so it runs even when the spec fails or times out.
func attachEvidence(u *rig.Unit, since int64) {
	spec := CurrentSpecReport()
	base := unsafeChars.ReplaceAllString(u.Name+"-"+spec.LeafNodeText, "_")
	path, err := u.SaveTranscript(filepath.Join(outDir(), "transcripts"), base+".log", since)
	if err != nil {
		AddReportEntry("transcript-error", err.Error())
	} else if path != "" {
		if rel, err := filepath.Rel(outDir(), path); err == nil {
			path = rel
		}
		AddReportEntry("transcript", path, ReportEntryVisibilityNever)
	}
	// The unit's timeline since this spec began (the unit stays open
	// across the specs of its container).
	var events []timeline.Event
	for _, e := range u.Timeline.Events() {
		if !e.At.Before(spec.StartTime) {
			events = append(events, e)
		}
	}
	if tl, err := json.Marshal(events); err == nil {
		AddReportEntry("timeline", string(tl), ReportEntryVisibilityNever)
	}
	if spec.Failed() && u.Console != nil {
		AddReportEntry("console tail", tail(u.Console.Transcript().String(), 2000), ReportEntryVisibilityFailureOrVerbose)
	}
	AddReportEntry(reports.EntryUnit, u.Name, ReportEntryVisibilityNever)
	AddReportEntry(reports.EntryProfile, u.Profile.Model, ReportEntryVisibilityNever)
	attachRun()
}

func tail(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return "..." + s[len(s)-n:]
}
