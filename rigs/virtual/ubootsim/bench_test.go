package ubootsim_test

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/camrig/camrig/harness/ymodem"
	"github.com/camrig/camrig/rigs/virtual/uart"
)

// BenchmarkYmodemEfficiency sends 64 KiB with YMODEM to the loady receiver
// behind a UART paced at 115200 baud 8N1, with U-Boot's own timing, from
// our sender and from Debian lrzsz sb (128-byte and 1K blocks):
//
//	efficiency = payload bytes / (elapsed × baud / 10)
//
// elapsed runs from the receiver's first 'C' leaving the UART to the
// sender's return (ours: after the final ACK; sb: its exit). The ideal for
// 64 KiB in 1K blocks is 0.987 (packet framing, block 0, EOT, the end of
// the batch and one ACK per block). Target: ours >= 0.97 and >= sb.
func BenchmarkYmodemEfficiency(b *testing.B) {
	const (
		baud = 115200
		size = 64 << 10
	)
	data := randomBytes(size, 42)
	path := filepath.Join(b.TempDir(), "fw.bin")
	if err := os.WriteFile(path, data, 0o644); err != nil {
		b.Fatal(err)
	}
	sb := ""
	if p, err := lookLRZSZ("sb"); err == nil {
		sb = p
	}
	efficiency := func(d time.Duration) float64 {
		return float64(size) / (d.Seconds() * baud / 10)
	}
	var ours, lrzsb, lrzsb1k float64
	for b.Loop() {
		ours += efficiency(benchOnce(b, baud, data, func(l *line) {
			ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
			defer cancel()
			if _, err := ymodem.New(ymodem.FilePort(l.slave)).YModem(ctx, ymodem.File{Name: "fw.bin", Data: data}); err != nil {
				b.Fatal(err)
			}
		}))
		if sb == "" {
			continue
		}
		for _, k := range []bool{false, true} {
			args := []string{"-q", path}
			if k {
				args = []string{"-q", "-k", path}
			}
			e := efficiency(benchOnce(b, baud, data, func(l *line) {
				if _, err := runSender(b, l, sb, args...)(); err != nil {
					b.Fatal(err)
				}
			}))
			if k {
				lrzsb1k += e
			} else {
				lrzsb += e
			}
		}
	}
	n := float64(b.N)
	b.ReportMetric(ours/n, "eff-ours")
	if sb != "" {
		b.ReportMetric(lrzsb/n, "eff-sb")
		b.ReportMetric(lrzsb1k/n, "eff-sb-k")
	}
	b.ReportMetric(0, "ns/op")
}

// benchOnce runs loady on a fresh paced line while send runs, and returns
// how long send took; it checks the data arrived.
func benchOnce(b *testing.B, baud int, data []byte, send func(*line)) time.Duration {
	b.Helper()
	r := newRig(b, w25q128)
	var mu sync.Mutex
	var firstC time.Time
	l := newLineConfig(b, uart.Config{Baud: baud, Tap: func(p []byte, at time.Time) {
		mu.Lock()
		defer mu.Unlock()
		if firstC.IsZero() && bytes.IndexByte(p, 'C') >= 0 {
			firstC = at
		}
	}})
	done := runOnLine(r, l, "loady")
	send(l)
	end := time.Now()
	mu.Lock()
	elapsed := end.Sub(firstC)
	mu.Unlock()
	if err := waitCmd(b, done); err != nil {
		b.Fatal(err)
	}
	if got, _ := r.ram.Read(ramBase, len(data)); string(got) != string(data) {
		b.Fatal("RAM differs from what was sent")
	}
	return elapsed
}
