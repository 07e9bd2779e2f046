package console_test

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/camrig/camrig/harness/console"
	"github.com/camrig/camrig/rigs/virtual"
	"github.com/camrig/camrig/rigs/virtual/unit"
	"github.com/camrig/camrig/rigs/virtual/virtualtest"
)

// markerTaps records when the last byte ('>') of each marker written on
// one unit's UART reached its pty, in order.
type markerTaps struct {
	mu    sync.Mutex
	unit  string
	times []time.Time
	more  chan struct{}
}

func (m *markerTaps) tap(u string, p []byte, at time.Time) {
	if u != m.unit {
		return
	}
	n := strings.Count(string(p), ">")
	if n == 0 {
		return
	}
	m.mu.Lock()
	for i := 0; i < n; i++ {
		m.times = append(m.times, at)
	}
	m.mu.Unlock()
	select {
	case m.more <- struct{}{}:
	default:
	}
}

func (m *markerTaps) at(ctx context.Context, i int) (time.Time, error) {
	for {
		m.mu.Lock()
		if i < len(m.times) {
			t := m.times[i]
			m.mu.Unlock()
			return t, nil
		}
		m.mu.Unlock()
		select {
		case <-m.more:
		case <-ctx.Done():
			return time.Time{}, fmt.Errorf("marker %d never reached the pty", i)
		}
	}
}

const latencyMarkers = 1000

// latencyBlocks is how many turns each reader gets.
const latencyBlocks = 4

func marker(i int) string { return fmt.Sprintf("<MK%04d>", i) }

// BenchmarkExpectLatencyVirtualRig measures, over 1000 markers, the time
// from the virtual unit putting the last byte of a marker on its pty to
// Expect returning, while the rig's other units stream boot logs (power
// cycled in a loop). In the same run Debian's expect reads the same stream
// from the same unit as the baseline, 1000 markers too, the two taking
// turns in blocks of 250. Reported: medians and p99 of both.
func BenchmarkExpectLatencyVirtualRig(b *testing.B) {
	for i := 0; i < b.N; i++ {
		ours, theirs := runLatency(b)
		b.ReportMetric(percentile(ours, 50), "camrig-p50-µs")
		b.ReportMetric(percentile(ours, 99), "camrig-p99-µs")
		if theirs != nil {
			b.ReportMetric(percentile(theirs, 50), "expect-p50-µs")
			b.ReportMetric(percentile(theirs, 99), "expect-p99-µs")
		}
	}
}

func runLatency(b *testing.B) (ours, theirs []float64) {
	b.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	dir := b.TempDir()
	taps := &markerTaps{unit: "cam1", more: make(chan struct{}, 1)}
	rigFile := virtualtest.Relocate(b, filepath.Join("..", "..", "rigs", "virtual.yaml"), b.TempDir(), 0)
	r, err := virtual.Start(ctx, rigFile, virtual.WithStateDir(dir), virtual.WithUARTTap(taps.tap))
	if err != nil {
		b.Fatal(err)
	}
	defer r.Close()

	// The other units stream boot logs for the whole measurement.
	streamCtx, stopStreaming := context.WithCancel(ctx)
	var streaming sync.WaitGroup
	for _, u := range r.Units() {
		if u.Name() == "cam1" {
			continue
		}
		streaming.Add(1)
		go func(u *unit.Unit) {
			defer streaming.Done()
			for streamCtx.Err() == nil {
				u.SetPower(true)
				u.WaitState(streamCtx, unit.StateUp, unit.StateShell, unit.StateBricked)
				u.SetPower(false)
			}
		}(u)
	}
	defer func() { stopStreaming(); streaming.Wait() }()

	cam1 := r.Unit("cam1")
	cam1.SetPower(true)
	if err := cam1.WaitState(ctx, unit.StateUp); err != nil {
		b.Fatalf("cam1 did not come up: %v", err)
	}
	port := r.File().Units[0].Console.Port

	// The two readers take turns in blocks, so a stretch of host noise
	// (these machines are shared) falls on both rather than on one.
	_, noExpect := exec.LookPath("expect")
	next := 0
	for blk := 0; blk < 2*latencyBlocks; blk++ {
		if blk%2 == 1 {
			if noExpect != nil {
				continue
			}
			theirs = append(theirs, expectBaseline(b, ctx, cam1, port, taps, next, latencyMarkers/latencyBlocks)...)
		} else {
			ours = append(ours, camrigBlock(b, ctx, cam1, port, taps, next, latencyMarkers/latencyBlocks)...)
		}
		next += latencyMarkers / latencyBlocks
	}
	if noExpect != nil {
		b.Logf("Debian expect not installed (make deps installs it): no baseline")
	}
	return ours, theirs
}

// camrigBlock opens the console and measures n markers from marker first.
func camrigBlock(b *testing.B, ctx context.Context, u *unit.Unit, port string, taps *markerTaps, first, n int) []float64 {
	con, err := console.Open(ctx, console.Config{Port: port, Baud: 115200})
	if err != nil {
		b.Fatal(err)
	}
	defer con.Close()
	con.Skip()
	var lat []float64
	for i := first; i < first+n; i++ {
		u.UART().Queue([]byte("noise " + marker(i) + "\r\n"))
		if _, err := con.Expect(ctx, console.Lit(marker(i))); err != nil {
			b.Fatal(err)
		}
		returned := time.Now()
		wrote, err := taps.at(ctx, i)
		if err != nil {
			b.Fatal(err)
		}
		lat = append(lat, float64(returned.Sub(wrote).Microseconds()))
	}
	return lat
}

// expectScript reads markers with Debian's expect and prints the wall
// clock (µs) at which each matched.
const expectScript = `
set f [open [lindex $argv 0] {RDWR NOCTTY}]
fconfigure $f -translation binary -buffering none
log_user 0
spawn -noecho -open $f
set timeout 20
puts ready
flush stdout
set first [lindex $argv 1]
set n [lindex $argv 2]
for {set i $first} {$i < $first + $n} {incr i} {
	set mk [format "<MK%04d>" $i]
	expect -exact $mk { puts "$i [clock microseconds]"; flush stdout } timeout { puts stderr "timeout $mk"; exit 1 }
}
`

// expectBaseline has Debian's expect measure n markers from marker first.
func expectBaseline(b *testing.B, ctx context.Context, u *unit.Unit, port string, taps *markerTaps, first, n int) []float64 {
	bin, err := exec.LookPath("expect")
	if err != nil {
		b.Fatal(err)
	}
	script := filepath.Join(b.TempDir(), "latency.exp")
	if err := os.WriteFile(script, []byte(expectScript), 0o644); err != nil {
		b.Fatal(err)
	}
	cmd := exec.CommandContext(ctx, bin, script, port, strconv.Itoa(first), strconv.Itoa(n))
	out, err := cmd.StdoutPipe()
	if err != nil {
		b.Fatal(err)
	}
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		b.Fatal(err)
	}
	defer cmd.Wait()
	lines := bufio.NewScanner(out)
	if !lines.Scan() || lines.Text() != "ready" {
		b.Fatalf("expect did not start: %q", lines.Text())
	}
	var lat []float64
	for i := first; i < first+n; i++ {
		u.UART().Queue([]byte("noise " + marker(i) + "\r\n"))
		if !lines.Scan() {
			b.Fatalf("expect stopped at marker %d", i)
		}
		f := strings.Fields(lines.Text())
		if len(f) != 2 || f[0] != strconv.Itoa(i) {
			b.Fatalf("expect said %q for marker %d", lines.Text(), i)
		}
		us, _ := strconv.ParseInt(f[1], 10, 64)
		wrote, err := taps.at(ctx, i)
		if err != nil {
			b.Fatal(err)
		}
		lat = append(lat, float64(us-wrote.UnixMicro()))
	}
	return lat
}

func percentile(v []float64, p float64) float64 {
	s := slices.Clone(v)
	slices.Sort(s)
	if len(s) == 0 {
		return 0
	}
	i := int(float64(len(s)-1) * p / 100)
	return s[i]
}
