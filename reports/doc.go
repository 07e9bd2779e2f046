// Package reports renders a test run to HTML: a summary table of every spec
// (unit, state, duration, failure) and, per spec, an inline SVG timeline of
// what the rig did (power edges, solenoid holds, LED states, console marks,
// procedure steps, API calls, flashing) with a link to the console
// transcript. `camrig report` and `make run` write reports/out/index.html.
//
// Input is Ginkgo's JSON report (`ginkgo --json-report`, a JSON array of
// types.Report), read with ReadJSON or LoadJSON.
//
// # Report entry convention
//
// Specs attach their evidence with Ginkgo's AddReportEntry; this package
// reads these entry names and nothing else:
//
//   - "timeline" (EntryTimeline): the unit's []timeline.Event. The value may be
//     the []timeline.Event itself, or a string / []byte holding its JSON (as
//     written by timeline.WriteJSON). A spec may add several (one per unit or
//     per attempt); their events are merged and sorted by time.
//   - "transcript" (EntryTranscript): the path of a console transcript file,
//     a string. Relative paths are relative to the output directory.
//   - "unit" (EntryUnit): the unit's name, a string. When absent the unit is
//     taken from the timeline events.
//
// Use ginkgo.ReportEntryVisibilityNever for all three so the console
// reporter stays readable.
//
// Everything from the report (spec names, failure messages, event details)
// is escaped by html/template: a spec named "<script>" renders as text.
// Reports never resolve secrets; timeline details must not carry any (see
// harness/timeline).
package reports
