package press_test

import (
	"errors"
	"fmt"
	"runtime"
	"sync"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// stallProbe is how long the hold benchmarks watch for host stalls before
// and after their presses (per CPU; see hostStalls).
const stallProbe = 2 * time.Second

// stallOver is the shortest gap hostStalls counts: a sub-millisecond hold
// budget can afford no stall of a millisecond on either side.
const stallOver = time.Millisecond

// stalls is what hostStalls saw.
type stalls struct {
	// spun is the CPU time watched, summed over the CPUs.
	spun time.Duration
	// over is how many gaps were longer than stallOver; longest the
	// longest gap.
	over    int
	longest time.Duration
}

func (s stalls) add(o stalls) stalls {
	return stalls{spun: s.spun + o.spun, over: s.over + o.over, longest: max(s.longest, o.longest)}
}

// perCPUMinute is how many stalls over stallOver a thread met per minute
// of running.
func (s stalls) perCPUMinute() float64 {
	if s.spun <= 0 {
		return 0
	}
	return float64(s.over) / s.spun.Minutes()
}

// hostStalls measures how this machine stalls a thread that only wants to
// run: on every CPU the process may use, a thread pinned there reads the
// clock for d, and any gap between two readings longer than stallOver is a
// stall (the hypervisor running another guest on this vCPU, an interrupt
// storm, a kernel thread). No code in the guest can avoid those, and a
// stall at either wire edge of a press (the harness sending the release,
// the board reading a command) lengthens or shortens the hold by as much:
// the hold benchmarks report them beside their errors, so a table says
// whether its sub-millisecond goals were within the host's reach that
// run. The CPUs are all busy while it runs: call it when nothing else is.
func hostStalls(d time.Duration) (stalls, error) {
	var set unix.CPUSet
	if err := unix.SchedGetaffinity(0, &set); err != nil {
		return stalls{}, fmt.Errorf("host stalls: the process's CPUs: %w", err)
	}
	// A garbage collection starting mid-watch would preempt the spinning
	// threads for its own workers: a stall of the runtime, not the host's.
	// The watch allocates nothing, so one collected now keeps it out.
	runtime.GC()
	var (
		mu    sync.Mutex
		total stalls
		err   error
		wg    sync.WaitGroup
	)
	for cpu := 0; cpu < 1024; cpu++ { // the CPUs a unix.CPUSet can name
		if !set.IsSet(cpu) {
			continue
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			// The thread stays pinned until it exits: an unlocked
			// goroutine's thread would go back to the runtime's pool
			// with this one CPU as its whole affinity.
			runtime.LockOSThread()
			var one unix.CPUSet
			one.Set(cpu)
			if perr := unix.SchedSetaffinity(0, &one); perr != nil {
				mu.Lock()
				err = errors.Join(err, fmt.Errorf("host stalls: pin to CPU %d: %w", cpu, perr))
				mu.Unlock()
				return
			}
			s := spinFor(d, stallOver, time.Now)
			mu.Lock()
			total = total.add(s)
			mu.Unlock()
		}()
	}
	wg.Wait()
	return total, err
}

// spinFor reads now until d has passed and counts the gaps between two
// readings longer than over.
func spinFor(d, over time.Duration, now func() time.Time) stalls {
	start := now()
	last := start
	var s stalls
	for {
		t := now()
		if gap := t.Sub(last); gap > over {
			s.over++
			s.longest = max(s.longest, gap)
		}
		last = t
		if t.Sub(start) >= d {
			s.spun = t.Sub(start)
			return s
		}
	}
}

// measureStalls watches the host's stalls for stallProbe (hostStalls);
// where the process cannot pin its threads the benchmark says so and goes
// on with none (the figure is then missing from its table).
func measureStalls(b *testing.B) stalls {
	b.Helper()
	s, err := hostStalls(stallProbe)
	if err != nil {
		b.Logf("no host stall figure: %v", err)
		return stalls{}
	}
	return s
}

// reportStalls reports what measureStalls gathered.
func reportStalls(b *testing.B, s stalls) {
	b.Helper()
	if s.spun == 0 {
		return
	}
	b.ReportMetric(s.perCPUMinute(), "host-stalls-over-1ms/cpu-min")
	b.ReportMetric(float64(s.longest.Microseconds()), "host-longest-stall-µs")
}

func TestSpinForCountsTheGapsOverItsBound(t *testing.T) {
	base := time.Date(2026, 12, 3, 0, 0, 0, 0, time.UTC)
	for _, tc := range []struct {
		name    string
		steps   []time.Duration // between readings
		over    int
		longest time.Duration
	}{
		{"a gap of exactly the bound is not a stall", []time.Duration{time.Millisecond, time.Millisecond, time.Millisecond, time.Millisecond, time.Millisecond,
			time.Millisecond, time.Millisecond, time.Millisecond, time.Millisecond, time.Millisecond}, 0, 0},
		{"one stall", []time.Duration{100 * time.Microsecond, 100 * time.Microsecond, 9800 * time.Microsecond}, 1, 9800 * time.Microsecond},
		{"three stalls", []time.Duration{50 * time.Microsecond, 3 * time.Millisecond, 50 * time.Microsecond, 1500 * time.Microsecond, 5400 * time.Microsecond}, 3, 5400 * time.Microsecond},
	} {
		t.Run(tc.name, func(t *testing.T) {
			i, at := 0, base
			now := func() time.Time {
				if i > 0 && i <= len(tc.steps) {
					at = at.Add(tc.steps[i-1])
				}
				i++
				return at
			}
			s := spinFor(10*time.Millisecond, time.Millisecond, now)
			if s.over != tc.over || s.longest != tc.longest || s.spun < 10*time.Millisecond {
				t.Fatalf("got %d over, longest %v, spun %v; want %d, %v, ≥ 10ms", s.over, s.longest, s.spun, tc.over, tc.longest)
			}
		})
	}
}

func TestHostStallsWatchesEveryCPU(t *testing.T) {
	s, err := hostStalls(50 * time.Millisecond)
	if err != nil {
		t.Fatal(err)
	}
	var set unix.CPUSet
	if err := unix.SchedGetaffinity(0, &set); err != nil {
		t.Fatal(err)
	}
	if want := time.Duration(set.Count()) * 50 * time.Millisecond; s.spun < want {
		t.Fatalf("watched %v, want at least %v (%d CPUs × 50ms)", s.spun, want, set.Count())
	}
}
