package main

import (
	"context"
	"fmt"
	"os"
	"strconv"
	"strings"
	"time"
)

// loadStats are the 1-minute load averages sampled while the benchmarks ran.
type loadStats struct{ samples []float64 }

func (l loadStats) String(cpus int) string {
	if len(l.samples) == 0 {
		return fmt.Sprintf("Machine load while it ran: not known (no /proc/loadavg); %d cores.", cpus)
	}
	m, _ := median(l.samples)
	return fmt.Sprintf("Machine load while it ran: 1-minute load average median %.1f, max %.1f (%d samples), on %d cores.",
		m, maxOf(l.samples), len(l.samples), cpus)
}

// sampleLoad reads the 1-minute load average now and every interval until
// ctx ends, then sends what it saw.
func sampleLoad(ctx context.Context, every time.Duration) <-chan loadStats {
	out := make(chan loadStats, 1)
	go func() {
		var l loadStats
		t := time.NewTicker(every)
		defer t.Stop()
		for {
			if v, ok := loadAvg(); ok {
				l.samples = append(l.samples, v)
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
