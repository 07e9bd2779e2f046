package console

import (
	"context"
	"fmt"
	"os"
	"sort"
	"testing"
	"time"

	"github.com/camrig/camrig/harness/clock"
)

// uartPacer writes to a pty master at a UART's byte rate: each byte leaves
// no earlier than it would on a real line at baud (10 bits a byte, 8N1).
// It catches up in bursts after a late wake-up, as a UART FIFO would.
type uartPacer struct {
	w       *os.File
	perByte time.Duration
	next    time.Time
}

func newUARTPacer(w *os.File, baud int) *uartPacer {
	return &uartPacer{w: w, perByte: time.Second * 10 / time.Duration(baud), next: time.Now()}
}

// write sends p paced and returns when its last byte was written.
func (u *uartPacer) write(p []byte) (time.Time, error) {
	for len(p) > 0 {
		now := time.Now()
		if now.Before(u.next) {
			time.Sleep(u.next.Sub(now)) // pacing is the point here, not synchronisation
			now = time.Now()
		}
		due := 1 + int(now.Sub(u.next)/u.perByte)
		n := min(due, len(p))
		if _, err := u.w.Write(p[:n]); err != nil {
			return time.Time{}, err
		}
		u.next = u.next.Add(time.Duration(n) * u.perByte)
		if now.Sub(u.next) > 10*u.perByte {
			u.next = now // do not burst a backlog after a long stall
		}
		p = p[n:]
	}
	return time.Now(), nil
}

// BenchmarkExpectLatency measures how long after a device writes the last
// byte of a marker line Expect returns it: a pty, a device goroutine
// pacing boot-log lines and markers at 115200 baud, Expect for each marker
// in turn. Reports p50 and p99 in microseconds. Percentiles need a sample,
// so it runs at least minMarkers markers whatever b.N is (`make bench` uses
// -benchtime=1x); ns/op is reported per marker.
func BenchmarkExpectLatency(b *testing.B) {
	const minMarkers = 1000
	n := max(b.N, minMarkers)
	c, pair := ptyConsole(b)
	pacer := newUARTPacer(pair.Master, 115200)
	wrote := make(chan time.Time, n)
	stop := make(chan struct{})
	defer close(stop)
	go func() {
		for i := 0; i < n; i++ {
			select {
			case <-stop:
				return
			default:
			}
			if _, err := pacer.write([]byte("[    1.234567] ubi0: attaching\r\n")); err != nil {
				return
			}
			at, err := pacer.write(fmt.Appendf(nil, "MARK-%06d ready\r\n", i))
			if err != nil {
				return
			}
			wrote <- at
		}
	}()
	lat := make([]time.Duration, 0, n)
	b.ResetTimer()
	start := time.Now()
	for i := 0; i < n; i++ {
		ctx, cancel := clock.WithTimeout(context.Background(), clock.Real{}, testDeadline, "marker")
		_, err := c.Expect(ctx, Lit(fmt.Sprintf("MARK-%06d ready\r\n", i)))
		got := time.Now()
		cancel()
		if err != nil {
			b.Fatal(err)
		}
		lat = append(lat, got.Sub(<-wrote))
	}
	b.StopTimer()
	b.ReportMetric(float64(time.Since(start).Nanoseconds())/float64(n), "ns/op")
	sort.Slice(lat, func(i, j int) bool { return lat[i] < lat[j] })
	pct := func(p float64) float64 { return float64(lat[int(p*float64(len(lat)-1))].Microseconds()) }
	b.ReportMetric(pct(0.50), "p50-µs")
	b.ReportMetric(pct(0.99), "p99-µs")
	b.ReportMetric(float64(lat[len(lat)-1].Microseconds()), "max-µs")
}
