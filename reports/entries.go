package reports

import (
	"encoding/json"
	"fmt"
	"sort"
	"strings"

	"github.com/onsi/ginkgo/v2/types"

	"github.com/camrig/camrig/harness/timeline"
)

// Report entry names (see the package doc).
const (
	EntryTimeline   = "timeline"
	EntryTranscript = "transcript"
	EntryUnit       = "unit"
)

// Timeline returns the events of every "timeline" entry of spec, sorted by
// time (stable, so simultaneous events keep their recorded order). A
// malformed entry is an error naming the entry; events from the readable
// ones are still returned.
func Timeline(spec types.SpecReport) ([]timeline.Event, error) {
	var out []timeline.Event
	var errs []string
	for i, e := range spec.ReportEntries {
		if e.Name != EntryTimeline {
			continue
		}
		ev, err := decodeEvents(e)
		if err != nil {
			errs = append(errs, fmt.Sprintf("report entry %d (%q, added at %s): %v", i, e.Name, e.Location, err))
			continue
		}
		out = append(out, ev...)
	}
	sort.SliceStable(out, func(a, b int) bool { return out[a].At.Before(out[b].At) })
	if len(errs) > 0 {
		return out, fmt.Errorf("timeline: %s", strings.Join(errs, "; "))
	}
	return out, nil
}

// decodeEvents accepts the entry value as Ginkgo keeps it: in a JSON
// report AsJSON holds the value's JSON (the events, or a string of their
// JSON); in-process the raw value is still there.
func decodeEvents(e types.ReportEntry) ([]timeline.Event, error) {
	data := []byte(e.Value.AsJSON)
	if len(data) == 0 {
		switch raw := e.GetRawValue().(type) {
		case nil:
			return nil, nil
		case []timeline.Event:
			return raw, nil
		case string:
			data = []byte(raw)
		case []byte:
			data = raw
		default:
			b, err := json.Marshal(raw)
			if err != nil {
				return nil, err
			}
			data = b
		}
	}
	// A string holding JSON (timeline.WriteJSON output passed as a string).
	var inner string
	if json.Unmarshal(data, &inner) == nil {
		data = []byte(inner)
	}
	var ev []timeline.Event
	if err := json.Unmarshal(data, &ev); err != nil {
		return nil, fmt.Errorf("not a list of timeline events: %v", err)
	}
	return ev, nil
}

// Transcripts returns the transcript paths attached to spec.
func Transcripts(spec types.SpecReport) []string {
	var out []string
	for _, e := range spec.ReportEntries {
		if e.Name == EntryTranscript {
			if s := entryString(e); s != "" {
				out = append(out, s)
			}
		}
	}
	return out
}

// Unit returns the unit a spec ran on: the "unit" entry, else the unit
// named by its timeline events, else "".
func Unit(spec types.SpecReport) string {
	for _, e := range spec.ReportEntries {
		if e.Name == EntryUnit {
			if s := entryString(e); s != "" {
				return s
			}
		}
	}
	ev, _ := Timeline(spec)
	for _, e := range ev {
		if e.Unit != "" {
			return e.Unit
		}
	}
	// A spec that never ran (left out by a label filter) carries no
	// entries, but the suites label every unit's specs "unit:<name>".
	for _, l := range spec.Labels() {
		if name, ok := strings.CutPrefix(l, "unit:"); ok && name != "" {
			return name
		}
	}
	return ""
}

// entryString reads a string-valued entry from a JSON report or in-process.
func entryString(e types.ReportEntry) string {
	if e.Value.AsJSON != "" {
		var s string
		if json.Unmarshal([]byte(e.Value.AsJSON), &s) == nil {
			return s
		}
		return ""
	}
	switch raw := e.GetRawValue().(type) {
	case string:
		return raw
	case fmt.Stringer:
		return raw.String()
	}
	return ""
}
