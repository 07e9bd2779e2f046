package main

import (
	"fmt"
	"io"
	"sort"
	"strings"
)

// row is one figure of the table: a metric of a benchmark, its anchor
// (another metric of the same run, or a fixed fact), and its goal.
type row struct {
	figure string
	bench  string
	metric string
	// scale turns the metric into the shown unit (1 when 0).
	scale float64
	unit  string
	// anchorBench/anchorMetric: the anchor measured in the same run
	// (anchorBench "" = the row's own benchmark); anchorText: a fixed one.
	anchorBench, anchorMetric, anchorText string
	anchorName                            string
	// goal: the median must be at most (or at least) the bound, or at
	// most the anchor's median; maxSpread bounds max/min across the runs.
	goal      string
	atMost    float64
	atLeast   float64
	vsAnchor  bool
	maxSpread float64
}

// rows are the figures issue 14 names, in the order the README quotes them.
var rows = []row{
	{figure: "console match latency p50, virtual rig, other units streaming", bench: "BenchmarkExpectLatencyVirtualRig",
		metric: "camrig-p50-µs", unit: "µs", anchorMetric: "expect-p50-µs", anchorName: "Debian expect",
		goal: "≤ expect's", vsAnchor: true},
	{figure: "console match latency p99, virtual rig, other units streaming", bench: "BenchmarkExpectLatencyVirtualRig",
		metric: "camrig-p99-µs", unit: "µs", anchorMetric: "expect-p99-µs", anchorName: "Debian expect",
		goal: "≤ expect's", vsAnchor: true},
	{figure: "hold error \\|device-seen − requested\\| p50, virtual rig", bench: "BenchmarkHoldAccuracyVirtualRig",
		metric: "device-vs-requested-p50-µs", unit: "µs", anchorText: "a person with a paperclip: ±200 ms"},
	{figure: "hold error \\|device-seen − requested\\| p99, virtual rig", bench: "BenchmarkHoldAccuracyVirtualRig",
		metric: "device-vs-requested-p99-µs", unit: "µs", anchorText: "a person with a paperclip: ±200 ms",
		goal: "≤ 500 µs", atMost: 500},
	{figure: "hold error \\|device-seen − requested\\| max, virtual rig", bench: "BenchmarkHoldAccuracyVirtualRig",
		metric: "device-vs-requested-max-µs", unit: "µs", anchorText: "labgrid: an unmeasured sleep",
		goal: "≤ 1000 µs", atMost: 1000},
	{figure: "hold error \\|board-seen − requested\\| p99, pty Numato", bench: "BenchmarkHoldAccuracyPty",
		metric: "board_p99_ms", scale: 1000, unit: "µs", anchorText: "a person with a paperclip: ±200 ms",
		goal: "≤ 500 µs, spread ≤ 2×", atMost: 500, maxSpread: 2},
	// The harness's own side of those holds: its release's wire edge
	// against its "on" command's (press.Record.Seen), less the request.
	{figure: "the harness's own edges \\|release − on − requested\\| p99, virtual rig", bench: "BenchmarkHoldAccuracyVirtualRig",
		metric: "harness-edges-vs-requested-p99-µs", unit: "µs", anchorMetric: "device-vs-requested-p99-µs", anchorName: "as the unit saw it"},
	{figure: "the harness's own edges \\|release − on − requested\\| p99, pty Numato", bench: "BenchmarkHoldAccuracyPty",
		metric: "wire_p99_ms", scale: 1000, unit: "µs", anchorMetric: "board_p99_ms", anchorName: "as the board saw it"},
	// The same holds, pressed in turn with the ones above, without the CPU
	// wake-up latency request (harness/clock.WakeLatency): what it is worth.
	{figure: "the same p99, virtual rig, CPU wake-up latency request off", bench: "BenchmarkHoldAccuracyVirtualRig",
		metric: "nowake-device-vs-requested-p99-µs", unit: "µs", anchorMetric: "device-vs-requested-p99-µs", anchorName: "request held"},
	{figure: "the same max, virtual rig, CPU wake-up latency request off", bench: "BenchmarkHoldAccuracyVirtualRig",
		metric: "nowake-device-vs-requested-max-µs", unit: "µs", anchorMetric: "device-vs-requested-max-µs", anchorName: "request held"},
	{figure: "the same p99, pty Numato, CPU wake-up latency request off", bench: "BenchmarkHoldAccuracyPty",
		metric: "nowake_board_p99_ms", scale: 1000, unit: "µs", anchorMetric: "board_p99_ms", anchorName: "request held"},
	// The host's own stalls of a running thread, watched before and after
	// those presses (harness/press hostStalls): a stall at either wire edge
	// of a press moves the hold by as much, so the sub-millisecond goals
	// are within the host's reach only in a run with none over 1 ms.
	{figure: "host stalls of a running thread over 1 ms, per CPU-minute, around the virtual rig's presses", bench: "BenchmarkHoldAccuracyVirtualRig",
		metric: "host-stalls-over-1ms/cpu-min", anchorText: "sub-millisecond holds need 0"},
	{figure: "longest host stall of a running thread, around the virtual rig's presses", bench: "BenchmarkHoldAccuracyVirtualRig",
		metric: "host-longest-stall-µs", unit: "µs", anchorText: "the max hold error's goal: 1000 µs"},
	{figure: "host stalls of a running thread over 1 ms, per CPU-minute, around the pty Numato's presses", bench: "BenchmarkHoldAccuracyPty",
		metric: "host-stalls-over-1ms/cpu-min", anchorText: "sub-millisecond holds need 0"},
	{figure: "longest host stall of a running thread, around the pty Numato's presses", bench: "BenchmarkHoldAccuracyPty",
		metric: "host-longest-stall-µs", unit: "µs", anchorText: "the max hold error's goal: 1000 µs"},
	{figure: "pty write to read p99, CPU wake-up latency request held", bench: "BenchmarkWakeLatencyPty",
		metric: "held-p99-µs", unit: "µs", anchorMetric: "off-p99-µs", anchorName: "request off"},
	{figure: "pty writes read over 500 µs late, of 1,000, request held", bench: "BenchmarkWakeLatencyPty",
		metric: "held-over-500µs/1000", anchorMetric: "off-over-500µs/1000", anchorName: "request off"},
	{figure: "hold error \\|device-seen − requested\\| p99, virtual rig, board shared with 3 units pressing and streaming (issue 9)",
		bench: "BenchmarkHoldAccuracyBusyBoard/busy", metric: "device-vs-requested-p99-µs", unit: "µs",
		anchorBench: "BenchmarkHoldAccuracyBusyBoard/quiet", anchorMetric: "device-vs-requested-p99-µs", anchorName: "quiet board (µs)",
		goal: "≤ 2000 µs", atMost: 2000},
	{figure: "`make run` wall, 4-unit virtual rig (suite only, one process per unit)", bench: "BenchmarkSuiteScaling/units=4",
		metric: "wall-s", unit: "s", goal: "≤ 15 s", atMost: 15},
	{figure: "`make run` wall, 12 units ÷ 4 units, defaults", bench: "BenchmarkSuiteScaling/units=12",
		metric: "x-of-4-units", unit: "×", anchorBench: "BenchmarkSuiteScaling/units=4", anchorMetric: "wall-s",
		anchorName: "4-unit wall (s)", goal: "≤ 1.1×", atMost: 1.1},
	{figure: "`make run` wall, 24 units ÷ 4 units, defaults", bench: "BenchmarkSuiteScaling/units=24",
		metric: "x-of-4-units", unit: "×", anchorBench: "BenchmarkSuiteScaling/units=4", anchorMetric: "wall-s",
		anchorName: "4-unit wall (s)"},
	{figure: "simulator CPU per unit, 4-unit run", bench: "BenchmarkSuiteScaling/units=4", metric: "sim-cpu-ms/unit", unit: "ms"},
	{figure: "simulator CPU per unit, 12-unit run", bench: "BenchmarkSuiteScaling/units=12", metric: "sim-cpu-ms/unit", unit: "ms"},
	{figure: "simulator CPU per unit, 24-unit run", bench: "BenchmarkSuiteScaling/units=24", metric: "sim-cpu-ms/unit", unit: "ms"},
	{figure: "suite CPU per unit (ginkgo and its spec processes), 4-unit run", bench: "BenchmarkSuiteScaling/units=4", metric: "suite-cpu-ms/unit", unit: "ms"},
	{figure: "suite CPU per unit (ginkgo and its spec processes), 12-unit run", bench: "BenchmarkSuiteScaling/units=12", metric: "suite-cpu-ms/unit", unit: "ms"},
	{figure: "boots per unit per `make run`, 4 units (mean)", bench: "BenchmarkSuiteScaling/units=4", metric: "boots/unit",
		unit: "boots", anchorText: "before issue 14: 12.75 (cam1 17, cam2 14, cam3 13, cam4 7)"},
	{figure: "boots per unit per `make run`, 4 units (most on one unit)", bench: "BenchmarkSuiteScaling/units=4",
		metric: "max-boots/unit", unit: "boots", anchorText: "before issue 14: 17"},
	{figure: "YMODEM efficiency into `loady`, 64 KiB at 115200", bench: "BenchmarkYmodemEfficiency",
		metric: "eff-ours", anchorMetric: "eff-sb", anchorName: "lrzsz sb", goal: "≥ 0.985", atLeast: 0.985},
	{figure: "reflash 1 MiB at 115200: transfer wall ÷ line-rate limit", bench: "BenchmarkReflash1MiB",
		metric: "xfer/line@115200", anchorText: "line rate: 1.0", goal: "≤ 1.10", atMost: 1.10},
	{figure: "YMODEM retransmissions per single fault into lrzsz rb", bench: "BenchmarkSingleFaultsIntoRB",
		metric: "retx/fault", goal: "≤ 2", atMost: 2},
}

// cell is a median with the number of runs it comes from.
func cell(res results, bench, metric string, scale float64) (v float64, runs []float64, ok bool) {
	vals := res[bench][metric]
	if scale == 0 {
		scale = 1
	}
	runs = make([]float64, len(vals))
	for i, x := range vals {
		runs[i] = x * scale
	}
	v, ok = median(runs)
	return v, runs, ok
}

func num(v float64) string {
	switch {
	case v == 0:
		return "0"
	case v >= 100:
		return fmt.Sprintf("%.0f", v)
	case v >= 10:
		return fmt.Sprintf("%.1f", v)
	case v >= 1:
		return fmt.Sprintf("%.2f", v)
	}
	return fmt.Sprintf("%.3f", v)
}

// printTable writes the table (Markdown, as the README quotes it), then
// the figures of benchmarks no row names, then the load.
func printTable(w io.Writer, res results, rows []row, load loadStats, cpus int) {
	fmt.Fprintln(w)
	fmt.Fprintln(w, "| figure | camrig (median) | runs | anchor, same run | ratio | goal | met |")
	fmt.Fprintln(w, "|---|---|---|---|---|---|---|")
	named := map[string]bool{}
	for _, r := range rows {
		named[r.bench+"\x00"+r.metric] = true
		if r.anchorMetric != "" {
			ab := r.anchorBench
			if ab == "" {
				ab = r.bench
			}
			named[ab+"\x00"+r.anchorMetric] = true
		}
		fmt.Fprintln(w, formatRow(res, r))
	}
	var others []string
	for bench, ms := range res {
		for metric, vals := range ms {
			if named[bench+"\x00"+metric] || metric == "ns/op" || metric == "B/op" || metric == "allocs/op" {
				continue
			}
			v, _ := median(vals)
			others = append(others, fmt.Sprintf("| %s `%s` | %s | %d | | | | |", bench, metric, num(v), len(vals)))
		}
	}
	sort.Strings(others)
	for _, o := range others {
		fmt.Fprintln(w, o)
	}
	fmt.Fprintln(w)
	fmt.Fprintln(w, load.String(cpus))
}

func formatRow(res results, r row) string {
	v, runs, ok := cell(res, r.bench, r.metric, r.scale)
	unit := ""
	if r.unit != "" && r.unit != "×" {
		unit = " " + r.unit
	} else if r.unit == "×" {
		unit = "×"
	}
	got, nruns := "not measured", "0"
	if ok {
		got = num(v) + unit
		nruns = fmt.Sprint(len(runs))
		if r.maxSpread > 0 && len(runs) > 1 {
			got += fmt.Sprintf(" (%s to %s)", num(minOf(runs)), num(maxOf(runs)))
		}
	}
	anchor, ratio := r.anchorText, ""
	var av float64
	aok := false
	if r.anchorMetric != "" {
		ab := r.anchorBench
		if ab == "" {
			ab = r.bench
		}
		av, _, aok = cell(res, ab, r.anchorMetric, r.scale)
		name := r.anchorName
		if aok {
			anchor = fmt.Sprintf("%s %s", name, num(av))
			if ab == r.bench && unit != "" && unit != "×" {
				anchor += unit
			}
			if ok && av != 0 && ab == r.bench {
				ratio = fmt.Sprintf("%.2f", v/av)
			}
		} else {
			anchor = name + ": not measured"
		}
	}
	met := ""
	if ok && r.goal != "" {
		yes := true
		switch {
		case r.vsAnchor:
			yes = aok && v <= av
		case r.atLeast != 0:
			yes = v >= r.atLeast
		case r.atMost != 0:
			yes = v <= r.atMost
		}
		if r.maxSpread > 0 && spread(runs) > r.maxSpread {
			yes = false
		}
		met = map[bool]string{true: "yes", false: "**no**"}[yes]
	}
	strs := []string{r.figure, got, nruns, anchor, ratio, r.goal, met}
	return "| " + strings.Join(strs, " | ") + " |"
}

func minOf(v []float64) float64 {
	m := v[0]
	for _, x := range v {
		m = min(m, x)
	}
	return m
}

func maxOf(v []float64) float64 {
	m := v[0]
	for _, x := range v {
		m = max(m, x)
	}
	return m
}
