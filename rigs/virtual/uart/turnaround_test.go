package uart

import (
	"bytes"
	"context"

	"slices"
	"testing"
	"time"
)

// TestInputNeverEarly: every byte the harness sends becomes readable no
// earlier than it has fully arrived at line rate, in the body of a burst
// (timer batches) and in its tail (the precise wait), for bursts longer and
// shorter than the tail.
func TestInputNeverEarly(t *testing.T) {
	cases := []struct {
		name string
		cfg  Config
		n    int
	}{
		{"1 KiB block at 115200 8N1", Config{Baud: 115200}, 1029},
		{"a short line at 115200 8N1", Config{Baud: 115200}, 12},
		{"one byte at 115200 8N1", Config{Baud: 115200}, 1},
		{"a line at 9600 8E1", Config{Baud: 9600, Parity: "even"}, 40},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			u, s := newLine(t, tc.cfg)
			u.PowerOn()
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			byteTime := time.Duration(u.bits) * time.Second / time.Duration(tc.cfg.Baud)
			msg := bytes.Repeat([]byte{0x5A}, tc.n)
			start := time.Now() // before the write: the bound is never too late
			if _, err := s.Write(msg); err != nil {
				t.Fatal(err)
			}
			for i := range msg {
				if _, err := u.ReadByteContext(ctx); err != nil {
					t.Fatalf("byte %d: %v", i, err)
				}
				if got, arrived := time.Since(start), time.Duration(i+1)*byteTime; got < arrived {
					t.Fatalf("byte %d of %d was readable %v after the write, before it had arrived (%v)", i, tc.n, got, arrived)
				}
			}
		})
	}
}

// BenchmarkTurnaround measures the virtual UART's own part of a stop-and-
// wait round trip at 115200 8N1, what a YMODEM transfer pays per block on
// top of the line time:
//
//   - rx-late: from the moment the last byte of a 1029-byte burst (a 1K
//     block) has arrived to ReadByteContext returning it;
//   - tx-late: from Write of one byte (an ACK) on an idle line to the byte
//     being readable on the harness's side, beyond its 87 µs on the wire
//     (this includes the pty's own latency).
func BenchmarkTurnaround(b *testing.B) {
	const baud, block = 115200, 1029
	u, s := newLine(b, Config{Baud: baud})
	u.PowerOn()
	byteTime := time.Duration(u.bits) * time.Second / baud
	ctx := context.Background()
	msg := bytes.Repeat([]byte{0x5A}, block)
	var rx, tx []time.Duration
	buf := make([]byte, 16)
	for b.Loop() {
		start := time.Now()
		if _, err := s.Write(msg); err != nil {
			b.Fatal(err)
		}
		for range block {
			if _, err := u.ReadByteContext(ctx); err != nil {
				b.Fatal(err)
			}
		}
		rx = append(rx, time.Since(start)-block*byteTime)

		start = time.Now()
		if _, err := u.Write([]byte{0x06}); err != nil {
			b.Fatal(err)
		}
		if err := s.SetReadDeadline(time.Now().Add(5 * time.Second)); err != nil {
			b.Fatal(err)
		}
		if _, err := s.Read(buf); err != nil {
			b.Fatal(err)
		}
		tx = append(tx, time.Since(start)-byteTime)
	}
	for _, m := range []struct {
		name string
		d    []time.Duration
	}{{"rx-late", rx}, {"tx-late", tx}} {
		slices.Sort(m.d)
		b.ReportMetric(float64(m.d[len(m.d)/2].Microseconds()), m.name+"-p50-µs")
		b.ReportMetric(float64(m.d[len(m.d)*99/100].Microseconds()), m.name+"-p99-µs")
	}
	b.ReportMetric(0, "ns/op")
}
