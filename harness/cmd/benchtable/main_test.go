package main

import (
	"strings"
	"testing"
)

const sample = `goos: linux
pkg: github.com/camrig/camrig/harness/console
BenchmarkExpectLatencyVirtualRig-2   	       1	 9 ns/op	 80.0 camrig-p50-µs	 700 camrig-p99-µs	 70.0 expect-p50-µs	 400 expect-p99-µs
BenchmarkExpectLatencyVirtualRig-2   	       1	 9 ns/op	 60.0 camrig-p50-µs	 300 camrig-p99-µs	 75.0 expect-p50-µs	 410 expect-p99-µs
BenchmarkExpectLatencyVirtualRig-2   	       1	 9 ns/op	 65.0 camrig-p50-µs	 350 camrig-p99-µs	 72.0 expect-p50-µs	 405 expect-p99-µs
    rig_latency_test.go:90: BenchmarkNotAResult has words
BenchmarkSuiteScaling/units=4-2      	       1	 1 ns/op	 12.0 wall-s
BenchmarkSuiteScaling/units=12-2     	       1	 1 ns/op	 1.30 x-of-4-units	 3.2 odd-metric
BenchmarkHoldAccuracyPty             	       1	 1 ns/op	 0.2 board_p99_ms
BenchmarkReflash1MiB-2   	2026/12/03 07:52:21 INFO reflash: check image unit=cam4
2026/12/03 07:52:22 INFO reflash: done unit=cam4
       1	         1.023 xfer/line@115200	         1.116 xfer/line@921600
BenchmarkHoldAccuracyPty             	       1	 1 ns/op	 0.6 board_p99_ms
ok  	github.com/camrig/camrig/harness/console	1.0s
`

func TestReadBenchMediansAndTable(t *testing.T) {
	res, failed, err := readBench(strings.NewReader(sample))
	if err != nil || failed {
		t.Fatalf("readBench: %v, failed %v", err, failed)
	}
	if got := res["BenchmarkExpectLatencyVirtualRig"]["camrig-p99-µs"]; len(got) != 3 {
		t.Fatalf("three runs of camrig-p99-µs, got %v", got)
	}
	if v, _ := median(res["BenchmarkExpectLatencyVirtualRig"]["camrig-p99-µs"]); v != 350 {
		t.Errorf("median p99 = %v, want 350", v)
	}
	var out strings.Builder
	printTable(&out, res, rows, loadStats{samples: []float64{3, 5, 4}}, 2)
	table := out.String()
	for _, want := range []string{
		// p50 65 vs expect 72: met; p99 350 vs 405: met, ratio 0.86.
		"| console match latency p50, virtual rig, other units streaming | 65.0 µs | 3 | Debian expect 72.0 µs | 0.90 | ≤ expect's | yes |",
		"| console match latency p99, virtual rig, other units streaming | 350 µs | 3 | Debian expect 405 µs | 0.86 | ≤ expect's | yes |",
		// 12 ÷ 4 units 1.30: not met.
		"| 1.30× | 1 | 4-unit wall (s) 12.0 |  | ≤ 1.1× | **no** |",
		// pty p99 median 400 µs but spread 3× > 2×: not met.
		"| 400 µs (200 to 600) | 2 |",
		"| ≤ 500 µs, spread ≤ 2× | **no** |",
		// A result cut from its name by the benchmark's log still counts.
		"| reflash 1 MiB at 115200: transfer wall ÷ line-rate limit | 1.02 | 1 |",
		"| YMODEM efficiency into `loady`, 64 KiB at 115200 | not measured | 0 |",
		"| BenchmarkSuiteScaling/units=12 `odd-metric` | 3.20 | 1 |",
		"load average median 4.0, max 5.0 (3 samples), on 2 cores",
	} {
		if !strings.Contains(table, want) {
			t.Errorf("table lacks %q:\n%s", want, table)
		}
	}
	if strings.Contains(table, "NotAResult") {
		t.Errorf("a log line was read as a result:\n%s", table)
	}
}

func TestReadBenchSeesFailures(t *testing.T) {
	_, failed, err := readBench(strings.NewReader("--- FAIL: BenchmarkX\nFAIL\tpkg\t1s\n"))
	if err != nil || !failed {
		t.Fatalf("failed = %v (err %v), want true", failed, err)
	}
}

func TestStealFromProcStat(t *testing.T) {
	for _, tc := range []struct {
		name, stat string
		want       cpuTimes
		ok         bool
	}{
		{"kvm guest", "cpu  1558221 1280 613920 4902253 17313 0 12199 102937 0 0\ncpu0 1 2 3 4 5 6 7 8 0 0\n",
			cpuTimes{total: 1558221 + 1280 + 613920 + 4902253 + 17313 + 12199 + 102937, steal: 102937}, true},
		{"old kernel without steal", "cpu  1 2 3 4 5 6 7\n", cpuTimes{}, false},
		{"not the cpu line first", "intr 5\ncpu  1 2 3 4 5 6 7 8\n", cpuTimes{}, false},
		{"garbage", "cpu  1 2 3 x 5 6 7 8\n", cpuTimes{}, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, ok := parseCPUTimes(tc.stat)
			if got != tc.want || ok != tc.ok {
				t.Fatalf("parseCPUTimes = %+v, %v; want %+v, %v", got, ok, tc.want, tc.ok)
			}
		})
	}
	if s, ok := stealShare(cpuTimes{total: 1000, steal: 10}, cpuTimes{total: 2000, steal: 60}); !ok || s != 0.05 {
		t.Fatalf("stealShare = %v, %v; want 0.05", s, ok)
	}
	if _, ok := stealShare(cpuTimes{total: 1000}, cpuTimes{total: 1000}); ok {
		t.Fatal("a share over no time")
	}
	l := loadStats{samples: []float64{0.2}, steal: 0.011, peakSteal: 0.2, stealKnown: true}
	if got := l.String(2); !strings.Contains(got, "steal): 1.1% of the run, at most 20.0% in one 5s stretch") {
		t.Fatalf("load line %q", got)
	}
}
