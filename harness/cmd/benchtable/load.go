package main

import (
	"context"
	"fmt"
	"os"
	"strconv"
	"strings"
	"time"
)

// loadStats are the 1-minute load averages sampled while the benchmarks
// ran, and the CPU time the host (a hypervisor) took from this machine
// then: on a virtual machine that steal, not the machine's own load, is
// what makes a quiet run's tails milliseconds long.
type loadStats struct {
	samples []float64
	// steal is the share of CPU time stolen over the whole run; peakSteal
	// the largest share in one sampling interval; stealKnown whether
	// /proc/stat said.
	steal, peakSteal float64
	stealKnown       bool
}

func (l loadStats) String(cpus int) string {
	var s string
	if len(l.samples) == 0 {
		s = fmt.Sprintf("Machine load while it ran: not known (no /proc/loadavg); %d cores.", cpus)
	} else {
		m, _ := median(l.samples)
		s = fmt.Sprintf("Machine load while it ran: 1-minute load average median %.1f, max %.1f (%d samples), on %d cores.",
			m, maxOf(l.samples), len(l.samples), cpus)
	}
	if l.stealKnown {
		s += fmt.Sprintf(" CPU time taken by the host (steal): %.1f%% of the run, at most %.1f%% in one %v stretch.",
			100*l.steal, 100*l.peakSteal, loadEvery)
	}
	return s
}

// loadEvery is how often the load and the steal are sampled.
const loadEvery = 5 * time.Second

// cpuTimes are the first line of /proc/stat: all CPU time and the part of
// it stolen, in clock ticks.
type cpuTimes struct{ total, steal uint64 }

// parseCPUTimes reads the "cpu" line of /proc/stat: user nice system idle
// iowait irq softirq steal [guest guest_nice] (guest time is already in
// user, so it is not added again).
func parseCPUTimes(stat string) (cpuTimes, bool) {
	line, _, _ := strings.Cut(stat, "\n")
	f := strings.Fields(line)
	if len(f) < 9 || f[0] != "cpu" {
		return cpuTimes{}, false
	}
	var t cpuTimes
	for i, v := range f[1:9] {
		n, err := strconv.ParseUint(v, 10, 64)
		if err != nil {
			return cpuTimes{}, false
		}
		t.total += n
		if i == 7 {
			t.steal = n
		}
	}
	return t, true
}

// stealShare is the stolen share of the CPU time between two readings.
func stealShare(from, to cpuTimes) (float64, bool) {
	if to.total <= from.total || to.steal < from.steal {
		return 0, false
	}
	return float64(to.steal-from.steal) / float64(to.total-from.total), true
}

func readCPUTimes() (cpuTimes, bool) {
	data, err := os.ReadFile("/proc/stat")
	if err != nil {
		return cpuTimes{}, false
	}
	return parseCPUTimes(string(data))
}

// sampleLoad reads the 1-minute load average now and every interval until
// ctx ends, then sends what it saw.
func sampleLoad(ctx context.Context, every time.Duration) <-chan loadStats {
	out := make(chan loadStats, 1)
	go func() {
		var l loadStats
		first, haveFirst := readCPUTimes()
		prev := first
		t := time.NewTicker(every)
		defer t.Stop()
		for {
			if v, ok := loadAvg(); ok {
				l.samples = append(l.samples, v)
			}
			if now, ok := readCPUTimes(); ok && haveFirst {
				if share, ok := stealShare(prev, now); ok {
					l.peakSteal = max(l.peakSteal, share)
				}
				if share, ok := stealShare(first, now); ok {
					l.steal, l.stealKnown = share, true
				}
				prev = now
			}
			select {
			case <-ctx.Done():
				out <- l
				return
			case <-t.C:
			}
		}
	}()
	return out
}

// loadAvg is the first field of /proc/loadavg (Linux only: elsewhere not
// known).
func loadAvg() (float64, bool) {
	data, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return 0, false
	}
	f := strings.Fields(string(data))
	if len(f) == 0 {
		return 0, false
	}
	v, err := strconv.ParseFloat(f[0], 64)
	return v, err == nil
}
