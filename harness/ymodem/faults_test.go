package ymodem_test

import (
	"bytes"
	"errors"
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"
	"time"

	"github.com/camrig/camrig/harness/ymodem"
	"github.com/camrig/camrig/harness/ymodem/ymodemtest"
)

// Every single fault on the line to lrzsz rb costs at most two
// retransmissions, and the file arrives byte-exact.
func TestSingleFaultsIntoRB(t *testing.T) {
	var runs concurrentRuns
	defer runs.wait()
	for _, kind := range ymodemtest.SingleFaults {
		runs.run(t, string(kind), func(t *testing.T) {
			p := startPeer(t, lrzsz(t, "rb"), "-b", "-q")
			data := randomData(16<<10, 21)
			line := &ymodemtest.FaultLine{Port: newFlushAwarePort(t, p.pair.Master), Fault: kind, Block: 5, StallFor: 2500 * time.Millisecond}
			s := ymodem.New(line, ymodem.WithAckTimeout(3*time.Second), ymodem.WithLogger(testLogger(t)))
			st, err := s.YModem(testCtx(t, time.Minute), ymodem.File{Name: "fault.bin", Data: data})
			if err != nil {
				t.Fatalf("send: %v; stderr:\n%s", err, p.stderr.String())
			}
			if !line.Played() {
				t.Fatal("the fault was never played")
			}
			if err := p.wait(t, 10*time.Second); err != nil {
				t.Fatalf("rb: %v; stderr:\n%s", err, p.stderr.String())
			}
			if got := p.file(t, "fault.bin"); !bytes.Equal(got, data) {
				t.Fatalf("received %d bytes, want %d identical", len(got), len(data))
			}
			t.Logf("%s: %d retransmission(s)", kind, st.Retransmits)
			if st.Retransmits < 1 || st.Retransmits > 2 {
				t.Fatalf("%s cost %d retransmissions, want 1 or 2", kind, st.Retransmits)
			}
		})
	}
}

// Random corruption at 1 in 2000 bytes: the transfer completes byte-exact
// or fails with a *ymodem.Error saying where.
func TestRandomCorruptionIntoRB(t *testing.T) {
	var runs concurrentRuns
	defer runs.wait()
	for seed := uint64(1); seed <= 4; seed++ {
		runs.run(t, fmt.Sprint("seed", seed), func(t *testing.T) {
			p := startPeer(t, lrzsz(t, "rb"), "-b", "-q")
			data := randomData(32<<10, seed)
			line := &ymodemtest.NoisyLine{Port: newFlushAwarePort(t, p.pair.Master), Rand: rand.New(rand.NewPCG(seed, 2000)), Every: 2000}
			s := ymodem.New(line, ymodem.WithAckTimeout(3*time.Second))
			st, err := s.YModem(testCtx(t, 2*time.Minute), ymodem.File{Name: "noise.bin", Data: data})
			if err != nil {
				var ye *ymodem.Error
				if !errors.As(err, &ye) || ye.Stage == "" {
					t.Fatalf("unclear error: %v", err)
				}
				t.Logf("failed clearly after %d flipped bytes: %v", line.Hits, err)
				return
			}
			if err := p.wait(t, 10*time.Second); err != nil {
				t.Fatalf("rb: %v; stderr:\n%s", err, p.stderr.String())
			}
			if got := p.file(t, "noise.bin"); !bytes.Equal(got, data) {
				t.Fatalf("the sender reported success but rb holds %d different bytes", len(got))
			}
			t.Logf("%d flipped bytes, %d retransmissions, byte-exact", line.Hits, st.Retransmits)
		})
	}
}

// BenchmarkSingleFaultsIntoRB: retransmissions per fault, sending 16 KiB
// to lrzsz rb once per single fault (one metric per fault; goal <= 2).
func BenchmarkSingleFaultsIntoRB(b *testing.B) {
	sums := map[ymodemtest.Fault]int{}
	for b.Loop() {
		for _, kind := range ymodemtest.SingleFaults {
			p := startPeer(b, lrzsz(b, "rb"), "-b", "-q")
			data := randomData(16<<10, 21)
			line := &ymodemtest.FaultLine{Port: newFlushAwarePort(b, p.pair.Master), Fault: kind, Block: 5, StallFor: 2500 * time.Millisecond}
			st, err := ymodem.New(line, ymodem.WithAckTimeout(3*time.Second)).YModem(testCtx(b, time.Minute), ymodem.File{Name: "fault.bin", Data: data})
			if err != nil {
				b.Fatalf("%s: %v", kind, err)
			}
			if err := p.wait(b, 10*time.Second); err != nil {
				b.Fatalf("%s: rb: %v", kind, err)
			}
			if got := p.file(b, "fault.bin"); !bytes.Equal(got, data) {
				b.Fatalf("%s: rb holds different bytes", kind)
			}
			sums[kind] += st.Retransmits
		}
	}
	total := 0
	for _, kind := range ymodemtest.SingleFaults {
		total += sums[kind]
		b.ReportMetric(float64(sums[kind])/float64(b.N), "retx-"+strings.NewReplacer(" ", "-", ">", "").Replace(string(kind)))
	}
	b.ReportMetric(float64(total)/float64(b.N*len(ymodemtest.SingleFaults)), "retx/fault")
	b.ReportMetric(0, "ns/op")
}

// A refusal read as an ACK (NAK->ACK on a garbled block) cannot be repaired
// by any YMODEM sender: it moves on while the receiver still wants the
// block. The transfer must then fail with a *ymodem.Error, or (if the
// receiver resyncs) complete byte-exact, never end "successfully" with
// other bytes.
func TestNakReadAsAckIntoRB(t *testing.T) {
	p := startPeer(t, lrzsz(t, "rb"), "-b", "-q")
	data := randomData(16<<10, 22)
	line := &ymodemtest.FaultLine{Port: newFlushAwarePort(t, p.pair.Master), Fault: ymodemtest.NakToAck, Block: 5}
	_, err := ymodem.New(line, ymodem.WithAckTimeout(2*time.Second), ymodem.WithRetries(3)).YModem(testCtx(t, time.Minute), ymodem.File{Name: "nak.bin", Data: data})
	if !line.Played() {
		t.Fatal("the fault was never played")
	}
	if err != nil {
		var ye *ymodem.Error
		if !errors.As(err, &ye) || ye.Stage == "" {
			t.Fatalf("unclear error: %v", err)
		}
		t.Logf("failed clearly: %v", err)
		return
	}
	p.wait(t, 10*time.Second)
	if got := p.file(t, "nak.bin"); !bytes.Equal(got, data) {
		t.Fatal("the sender reported success but rb holds other bytes")
	}
}
