package ubootsim_test

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/camrig/camrig/harness/ymodem"
	"github.com/camrig/camrig/rigs/virtual/flashsim"
	"github.com/camrig/camrig/rigs/virtual/uart"
)

// BenchmarkYmodemEfficiency sends 64 KiB with YMODEM to the loady receiver
// behind a UART paced at 115200 baud 8N1, with U-Boot's own timing, from
// our sender and from Debian lrzsz sb (128-byte and 1K blocks):
//
//	efficiency = payload bytes / (elapsed × baud / 10)
//
// elapsed runs from the receiver's first 'C' leaving the UART to the
// sender's return (ours: after the final ACK; sb: its exit). eff-ours is
// our sender as harness/uboot's LoadY sends into loady (no wait for a 'C'
// after block 0: U-Boot never sends one); eff-ours-grace is the sender's
// default for any receiver, which waits DefaultMinGrace (5 ms) for it.
//
// Where the rest goes, for our sender:
//
//   - eff-bound is the payload over every byte that crossed the line in
//     that time, both ways: what a transfer with no turnaround at all would
//     reach. For 64 KiB in 1K blocks into loady it is 65536 / 66192 =
//     0.9901: block 0 (133 bytes) and its ACK, 64 × (1029 + 1 ACK), EOT
//     and loady's ACK, ACK, 'C', the end-of-batch block 0 (133) and its
//     ACK. Stop-and-wait YMODEM-1K cannot do better at any baud.
//   - turn-µs is the rest divided among the exchanges (block 0, each
//     block, EOT, the end of the batch): the mean time from the receiver's
//     last byte being on the wire to the sender's next one, both ways of
//     the pty and both programs' reaction included.
//   - turn-p50-µs and turn-max-µs are the median and the worst, over the
//     data blocks alone, of the sender's ACK read less its block write less
//     the line time of both (a host's scheduling stall shows in the max).
//   - retx counts our sender's retransmissions (0 on a clean line: a
//     stall long enough for one would show here, not as turnaround).
//
// At 115200 each 100 µs of turnaround per exchange costs 0.0011 of
// efficiency. 0.985 leaves 29.7 ms beyond the line time of those bytes:
// turn-µs at most 443 µs over the 67 exchanges (368 µs with the 5 ms
// grace).
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
	byteTime := 10 * time.Second / baud
	var ours, oursGrace, bound, turn, turnP50, turnMax, retx, lrzsb, lrzsb1k float64
	for b.Loop() {
		var port *timedPort
		var back int
		elapsed := benchOnce(b, baud, data, func(l *line) {
			ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
			defer cancel()
			port = &timedPort{Port: ymodem.FilePort(l.slave)}
			st, err := ymodem.New(port, ymodem.WithoutStartGrace()).YModem(ctx, ymodem.File{Name: "fw.bin", Data: data})
			if err != nil {
				b.Fatal(err)
			}
			retx += float64(st.Retransmits)
		}, &back)
		ours += efficiency(elapsed)
		wire := port.written + back
		bound += float64(size) / float64(wire)
		turn += float64((elapsed - time.Duration(wire)*byteTime).Microseconds()) / float64(len(port.writes))
		p50, most := port.blockTurnaround(byteTime)
		turnP50 += float64(p50.Microseconds())
		turnMax += float64(most.Microseconds())
		oursGrace += efficiency(benchOnce(b, baud, data, func(l *line) {
			ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
			defer cancel()
			if _, err := ymodem.New(ymodem.FilePort(l.slave)).YModem(ctx, ymodem.File{Name: "fw.bin", Data: data}); err != nil {
				b.Fatal(err)
			}
		}, nil))
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
			}, nil))
			if k {
				lrzsb1k += e
			} else {
				lrzsb += e
			}
		}
	}
	n := float64(b.N)
	b.ReportMetric(ours/n, "eff-ours")
	b.ReportMetric(oursGrace/n, "eff-ours-grace")
	b.ReportMetric(bound/n, "eff-bound")
	b.ReportMetric(turn/n, "turn-µs")
	b.ReportMetric(turnP50/n, "turn-p50-µs")
	b.ReportMetric(turnMax/n, "turn-max-µs")
	b.ReportMetric(retx/n, "retx")
	if sb != "" {
		b.ReportMetric(lrzsb/n, "eff-sb")
		b.ReportMetric(lrzsb1k/n, "eff-sb-k")
	}
	b.ReportMetric(0, "ns/op")
}

// timedPort times our sender's writes and the ACKs it reads.
type timedPort struct {
	ymodem.Port
	mu      sync.Mutex
	written int
	writes  []timedWrite
}

type timedWrite struct {
	at  time.Time // when the write began
	n   int
	ack time.Time // when the first ACK after it was read
}

func (p *timedPort) Write(b []byte) (int, error) {
	at := time.Now()
	n, err := p.Port.Write(b)
	p.mu.Lock()
	p.written += n
	p.writes = append(p.writes, timedWrite{at: at, n: n})
	p.mu.Unlock()
	return n, err
}

func (p *timedPort) ReadContext(ctx context.Context, b []byte) (int, error) {
	n, err := p.Port.ReadContext(ctx, b)
	if n > 0 {
		at := time.Now()
		p.mu.Lock()
		if w := len(p.writes) - 1; w >= 0 && p.writes[w].ack.IsZero() && bytes.IndexByte(b[:n], 0x06) >= 0 {
			p.writes[w].ack = at
		}
		p.mu.Unlock()
	}
	return n, err
}

// blockTurnaround is the median and the maximum, over the 1K data blocks,
// of the time from a block's write to its ACK being read, less the line
// time of both.
func (p *timedPort) blockTurnaround(byteTime time.Duration) (p50, most time.Duration) {
	p.mu.Lock()
	defer p.mu.Unlock()
	var d []time.Duration
	for _, w := range p.writes {
		if w.n == 1029 && !w.ack.IsZero() {
			d = append(d, w.ack.Sub(w.at)-time.Duration(w.n+1)*byteTime)
		}
	}
	if len(d) == 0 {
		return 0, 0
	}
	slices.Sort(d)
	return d[len(d)/2], d[len(d)-1]
}

// benchOnce runs loady on a fresh paced line while send runs, and returns
// how long send took; it checks the data arrived. If back is not nil it
// gets how many bytes the receiver put on the line in that time.
func benchOnce(b *testing.B, baud int, data []byte, send func(*line), back *int) time.Duration {
	b.Helper()
	// No flash chip: loady loads into RAM, and a 16 MiB flash image made
	// for every run would leave its writeback to the disk to the next
	// transfers, as noise that is neither the sender's nor the unit's.
	r := newRig(b, flashsim.Geometry{})
	var mu sync.Mutex
	var firstC time.Time
	type chunk struct {
		at time.Time
		n  int
	}
	var chunks []chunk
	l := newLineConfig(b, uart.Config{Baud: baud, Tap: func(p []byte, at time.Time) {
		mu.Lock()
		defer mu.Unlock()
		if firstC.IsZero() {
			if i := bytes.IndexByte(p, 'C'); i >= 0 {
				firstC = at
				p = p[i+1:]
			}
		}
		if !firstC.IsZero() && len(p) > 0 {
			chunks = append(chunks, chunk{at, len(p)})
		}
	}})
	done := runOnLine(r, l, "loady")
	send(l)
	end := time.Now()
	mu.Lock()
	elapsed := end.Sub(firstC)
	if back != nil {
		for _, c := range chunks {
			if !c.at.After(end) {
				*back += c.n
			}
		}
	}
	mu.Unlock()
	if err := waitCmd(b, done); err != nil {
		b.Fatal(err)
	}
	if got, _ := r.ram.Read(ramBase, len(data)); string(got) != string(data) {
		b.Fatal("RAM differs from what was sent")
	}
	return elapsed
}
