package specs_test

import (
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"regexp"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/camrig/camrig/harness/console"
	"github.com/camrig/camrig/harness/rig"
	"github.com/camrig/camrig/harness/timeline"
	"github.com/camrig/camrig/reports"
)

// openUnit leases and opens a unit for the rest of the container. Cleanup,
// registered first so it runs last, leaves the unit in its safe state and
// writes its transcript and timeline, whether the specs passed or not.
func openUnit(ctx SpecContext, name string, opts ...rig.OpenOption) *rig.Unit {
	u, err := theRig.Open(ctx, name, append([]rig.OpenOption{rig.WithTranscriptDir(filepath.Join(outDir(), "spill"))}, opts...)...)
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
func attachEvidence(u *rig.Unit) {
	spec := CurrentSpecReport()
	base := unsafeChars.ReplaceAllString(u.Name+"-"+spec.LeafNodeText, "_")
	if path, err := saveTimedTranscript(u, base+".log", spec.StartTime); err != nil {
		AddReportEntry("transcript-error", err.Error())
	} else if path != "" {
		AddReportEntry(reports.EntryTranscript, path, ReportEntryVisibilityNever)
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

// saveTimedTranscript writes what the unit said since the spec began, a
// timestamp on every line, with the harness's own actions (power edges,
// keys sent, presses, steps) interleaved where they happened; secrets
// redacted. It returns the path relative to the output directory.
func saveTimedTranscript(u *rig.Unit, name string, since time.Time) (string, error) {
	if u.Console == nil {
		return "", nil
	}
	dir := filepath.Join(outDir(), "transcripts")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return "", err
	}
	path := filepath.Join(dir, name)
	f, err := os.Create(path)
	if err != nil {
		return "", err
	}
	werr := u.Console.Transcript().WriteTimedSince(f, since, harnessNotes(u.Timeline.Events()))
	if err := errors.Join(werr, f.Close()); err != nil {
		return "", err
	}
	if rel, err := filepath.Rel(outDir(), path); err == nil {
		path = rel
	}
	return path, nil
}

// harnessNotes are the timeline's events of the harness acting on the unit,
// as transcript lines. The unit's own console matches are left out: the
// line they matched is in the transcript already.
func harnessNotes(events []timeline.Event) []console.Note {
	var notes []console.Note
	for _, e := range events {
		if e.Source == timeline.Console && (e.Kind == "match" || e.Kind == "no-match") {
			continue
		}
		text := string(e.Source) + " " + e.Kind
		if e.Dur > 0 {
			text += " for " + e.Dur.Round(time.Microsecond).String()
		}
		if e.Detail != "" {
			text += ": " + e.Detail
		}
		notes = append(notes, console.Note{At: e.At, Text: text})
	}
	return notes
}
