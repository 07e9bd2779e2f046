package lab_test

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/camrig/camrig/harness/lab"
	"github.com/camrig/camrig/harness/lab/labtest"
)

// The test binary doubles as a holder that takes a unit and keeps it until
// it is killed (the take-over benchmark SIGKILLs it).
const (
	holderEnv     = "CAMRIG_LAB_HOLDER"
	holderEtcdEnv = "CAMRIG_LAB_HOLDER_ETCD"
)

func TestMain(m *testing.M) {
	if os.Getenv(holderEnv) != "" {
		os.Exit(hold())
	}
	os.Exit(m.Run())
}

func hold() int {
	s, err := lab.Open(lab.Config{Endpoints: strings.Split(os.Getenv(holderEtcdEnv), ","), TTL: ttl, Prefix: "/bench/"}, nil)
	if err != nil {
		fmt.Println("error:", err)
		return 1
	}
	if _, err := s.Acquire(context.Background(), os.Getenv(holderEnv), []byte(`{"host":"killed"}`), ""); err != nil {
		fmt.Println("error:", err)
		return 1
	}
	fmt.Println("held")
	select {}
}

// quantile of sorted durations.
func quantile(d []time.Duration, q float64) time.Duration {
	slices.Sort(d)
	return d[int(q*float64(len(d)-1))]
}

// BenchmarkLeaseAcquireRelease: one lease taken and given back on the
// local three-member cluster; p50 and p99 of the pair.
func BenchmarkLeaseAcquireRelease(b *testing.B) {
	c := labtest.Start(b, 3)
	s, err := lab.Open(lab.Config{Endpoints: c.Endpoints(), TTL: ttl, Prefix: "/bench/"}, nil)
	if err != nil {
		b.Fatal(err)
	}
	defer s.Close()
	ctx := context.Background()
	acq := make([]time.Duration, 0, b.N)
	rel := make([]time.Duration, 0, b.N)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		t0 := time.Now()
		l, err := s.Acquire(ctx, "cam1", []byte(`{"host":"bench"}`), "")
		if err != nil {
			b.Fatal(err)
		}
		t1 := time.Now()
		if err := l.Release(ctx, nil); err != nil {
			b.Fatal(err)
		}
		acq, rel = append(acq, t1.Sub(t0)), append(rel, time.Since(t1))
	}
	b.StopTimer()
	b.ReportMetric(float64(quantile(acq, 0.5).Microseconds()), "acquire-p50-µs")
	b.ReportMetric(float64(quantile(acq, 0.99).Microseconds()), "acquire-p99-µs")
	b.ReportMetric(float64(quantile(rel, 0.5).Microseconds()), "release-p50-µs")
	b.ReportMetric(float64(quantile(rel, 0.99).Microseconds()), "release-p99-µs")
}

// BenchmarkTakeOverAfterSIGKILL: a holder process is SIGKILLed; the time
// until another holder has the unit, as a ratio to the TTL (goal ≤ 1.2).
func BenchmarkTakeOverAfterSIGKILL(b *testing.B) {
	c := labtest.Start(b, 3)
	s, err := lab.Open(lab.Config{Endpoints: c.Endpoints(), TTL: ttl, Prefix: "/bench/"}, nil)
	if err != nil {
		b.Fatal(err)
	}
	defer s.Close()
	ctx := context.Background()
	var ratios []float64
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		b.StopTimer()
		unit := fmt.Sprintf("cam%d", i)
		cmd := exec.Command(os.Args[0], "-test.run=^$")
		cmd.Env = append(os.Environ(), holderEnv+"="+unit, holderEtcdEnv+"="+strings.Join(c.Endpoints(), ","))
		out, _ := cmd.StdoutPipe()
		if err := cmd.Start(); err != nil {
			b.Fatal(err)
		}
		line, _ := bufio.NewReader(out).ReadString('\n')
		if strings.TrimSpace(line) != "held" {
			b.Fatalf("holder: %q", line)
		}
		b.StartTimer()
		cmd.Process.Signal(syscall.SIGKILL)
		killed := time.Now()
		cmd.Wait()
		var l *lab.Lease
		for l == nil {
			l, err = s.Acquire(ctx, unit, []byte(`{"host":"next"}`), "")
			var busy *lab.BusyError
			if errors.As(err, &busy) {
				if err := s.Wait(ctx, busy.Revision); err != nil {
					b.Fatal(err)
				}
			} else if err != nil {
				b.Fatal(err)
			}
		}
		ratios = append(ratios, float64(time.Since(killed))/float64(ttl))
		b.StopTimer()
		if string(l.Previous) != `{"host":"killed"}` {
			b.Fatalf("take-over did not name the killed holder: %q", l.Previous)
		}
		l.Release(ctx, nil)
		b.StartTimer()
	}
	slices.Sort(ratios)
	b.ReportMetric(ratios[len(ratios)/2], "takeover/ttl-p50")
	b.ReportMetric(ratios[len(ratios)-1], "takeover/ttl-max")
}
