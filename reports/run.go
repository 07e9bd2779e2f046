package reports

import (
	"encoding/json"
	"sort"
	"strconv"

	"github.com/onsi/ginkgo/v2/types"
)

// Report entries that describe the run rather than one spec. The suites
// attach them to every spec (a JSON report keeps entries only on specs), so
// any spec of a run, or of one parallel process, tells what the run was.
const (
	// EntryRun is a RunInfo, as JSON.
	EntryRun = "run"
	// EntryProfile is the unit's camera profile (model), a string.
	EntryProfile = "profile"
	// EntryRetried names the runner that died running the unit in a run
	// shared by several runners: this spec ran on the retry.
	EntryRetried = "retried"
	// EntryFirmware is the firmware version the unit itself reported, a
	// string; absent when the unit could not be asked.
	EntryFirmware = "firmware"
)

// RunInfo says what a run was about: which rig (a bench or the virtual
// rig), which seed, which version of the suites. It heads the HTML report,
// the terminal summary and the JUnit properties.
type RunInfo struct {
	Rig       string  `json:"rig"`
	RigFile   string  `json:"rig_file"`
	Virtual   bool    `json:"virtual"`
	Timescale float64 `json:"timescale,omitempty"`
	Seed      int64   `json:"seed,omitempty"`
	Version   string  `json:"version,omitempty"`
	RunID     string  `json:"run_id,omitempty"`
	// Simulator says, on the virtual rig, whose simulator the run drove:
	// one it started on its own state dir and addresses, or a running
	// `camrig sim` it attached to. Empty on a bench.
	Simulator string `json:"simulator,omitempty"`
}

// Properties are the run's facts as name/value pairs, in the order a
// reader wants them: the JUnit file carries them.
func (ri RunInfo) Properties() [][2]string {
	props := [][2]string{{"rig", ri.Rig}, {"rig_file", ri.RigFile}, {"rig_kind", ri.Kind()}}
	if ri.Simulator != "" {
		props = append(props, [2]string{"simulator", ri.Simulator})
	}
	return props
}

// Kind is "virtual rig" or "bench": what a reader must know before trusting
// a green run.
func (ri RunInfo) Kind() string {
	if ri.Virtual {
		return "virtual rig"
	}
	return "bench"
}

// SeedText is the seed as printed, "" when the run had none.
func (ri RunInfo) SeedText() string {
	if ri.Seed == 0 {
		return ""
	}
	return strconv.FormatInt(ri.Seed, 10)
}

// Run returns the RunInfo attached to the specs of reps (the first one
// found) and whether there was one.
func Run(reps []types.Report) (RunInfo, bool) {
	for _, rep := range reps {
		for _, spec := range rep.SpecReports {
			for _, e := range spec.ReportEntries {
				if e.Name != EntryRun {
					continue
				}
				var ri RunInfo
				if decodeEntry(e, &ri) == nil && ri.Rig != "" {
					return ri, true
				}
			}
		}
	}
	return RunInfo{}, false
}

// Firmware returns the firmware each unit reported, by unit.
func Firmware(reps []types.Report) map[string]string {
	out := map[string]string{}
	for _, rep := range reps {
		for _, spec := range rep.SpecReports {
			unit := Unit(spec)
			if unit == "" {
				continue
			}
			for _, e := range spec.ReportEntries {
				if e.Name == EntryFirmware {
					if v := entryString(e); v != "" {
						out[unit] = v // the latest spec wins: a reflash changes it
					}
				}
			}
		}
	}
	return out
}

// Profile returns the profile a spec's unit runs, "" when not recorded.
func Profile(spec types.SpecReport) string {
	for _, e := range spec.ReportEntries {
		if e.Name == EntryProfile {
			return entryString(e)
		}
	}
	return ""
}

// decodeEntry reads a JSON-valued entry from a JSON report or in-process.
func decodeEntry(e types.ReportEntry, v any) error {
	data := []byte(e.Value.AsJSON)
	if len(data) == 0 {
		raw := e.GetRawValue()
		if s, ok := raw.(string); ok {
			data = []byte(s)
		} else {
			b, err := json.Marshal(raw)
			if err != nil {
				return err
			}
			data = b
		}
	}
	// A string holding JSON.
	var inner string
	if json.Unmarshal(data, &inner) == nil {
		data = []byte(inner)
	}
	return json.Unmarshal(data, v)
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
