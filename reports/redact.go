package reports

import (
	"encoding/json"
	"fmt"

	"github.com/onsi/ginkgo/v2/types"

	"github.com/camrig/camrig/harness/secret"
)

// Redact returns rep with every secret m knows replaced, in any form, in
// every string it holds: failure messages, report entries (timelines,
// transcripts' paths, free text), captured output. It works on the report's
// JSON, so a value JSON-escaped on the way is found too. The evidence a run
// attaches is redacted at its source; this is the last line of defence
// before anything is written for people to read.
func Redact(rep types.Report, m *secret.Matcher) (types.Report, error) {
	if !m.Active() {
		return rep, nil
	}
	data, err := json.Marshal(rep)
	if err != nil {
		return types.Report{}, fmt.Errorf("redacting the report: %w", err)
	}
	var out types.Report
	if err := json.Unmarshal(m.Redact(data), &out); err != nil {
		// A secret matched across the JSON's own syntax: nothing of this
		// report can be written safely.
		return types.Report{}, fmt.Errorf("redacting the report: %w", err)
	}
	return out, nil
}
