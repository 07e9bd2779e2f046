package ubootsim_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/camrig/camrig/harness/ymodem"
	"github.com/camrig/camrig/harness/ymodem/ymodemtest"
	"github.com/camrig/camrig/rigs/virtual/ubootsim"
)

// Our sender into the virtual loady at 115200, paced like a bench UART,
// with one fault on the line: the image lands byte-exact in RAM and the
// fault costs at most two retransmissions. U-Boot's character timeout is
// shortened (as the virtual rig scales it) so a stall and a dropped byte
// cost tenths of a second, not 2 s each.
func TestLoadySurvivesSingleFaults(t *testing.T) {
	tm := ubootsim.DefaultTiming()
	tm.CharTimeout = 300 * time.Millisecond
	for _, f := range ymodemtest.SingleFaults {
		t.Run(string(f), func(t *testing.T) {
			t.Parallel()
			r := newRig(t, w25q128, ubootsim.WithTiming(tm))
			l := newLine(t, 115200)
			data := randomBytes(16<<10, 77)
			done := runOnLine(r, l, "loady")
			port := &transcriptPort{Port: ymodem.FilePort(l.slave)}
			line := &ymodemtest.FaultLine{Port: port, Fault: f, Block: 5, StallFor: 3 * tm.CharTimeout}
			ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
			defer cancel()
			st, err := ymodem.New(line, ymodem.WithAckTimeout(2*time.Second)).YModem(ctx, ymodem.File{Name: "fw.bin", Data: data})
			if err != nil {
				t.Fatalf("send: %v; the unit said %q", err, port.seen)
			}
			if err := waitCmd(t, done); err != nil {
				t.Fatal(err)
			}
			if !line.Played() {
				t.Fatal("the fault was never played")
			}
			checkLoaded(t, r, string(port.seen)+string(l.readAll(50*time.Millisecond)), data)
			t.Logf("%s: %d retransmission(s)", f, st.Retransmits)
			if st.Retransmits < 1 || st.Retransmits > 2 {
				t.Fatalf("%s cost %d retransmissions, want 1 or 2", f, st.Retransmits)
			}
		})
	}
}

// Random corruption at 1 in 2000 bytes into loady: byte-exact in RAM, or
// a clear error (never a silent success with wrong bytes).
func TestLoadyUnderRandomCorruption(t *testing.T) {
	tm := ubootsim.DefaultTiming()
	tm.CharTimeout = 300 * time.Millisecond
	for seed := uint64(1); seed <= 3; seed++ {
		t.Run(fmt.Sprint("seed", seed), func(t *testing.T) {
			t.Parallel()
			r := newRig(t, w25q128, ubootsim.WithTiming(tm))
			l := newLine(t, 115200)
			data := randomBytes(24<<10, byte(seed))
			done := runOnLine(r, l, "loady")
			port := &transcriptPort{Port: ymodem.FilePort(l.slave)}
			line := &ymodemtest.NoisyLine{Port: port, Rand: rand.New(rand.NewPCG(seed, 2000)), Every: 2000}
			ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
			defer cancel()
			st, err := ymodem.New(line, ymodem.WithAckTimeout(2*time.Second)).YModem(ctx, ymodem.File{Name: "fw.bin", Data: data})
			if err != nil {
				var ye *ymodem.Error
				if !errors.As(err, &ye) || ye.Stage == "" {
					t.Fatalf("unclear error: %v", err)
				}
				t.Logf("failed clearly after %d flipped bytes: %v", line.Hits, err)
				return
			}
			if err := waitCmd(t, done); err != nil {
				// Every data block was acknowledged, then the end of the
				// batch was hit: loady says so (and LoadY fails on its
				// missing summary); what it acknowledged must be exact.
				if got, _ := r.ram.Read(ramBase, len(data)); !bytes.Equal(got, data) {
					t.Fatalf("the sender reported success, loady said %v and RAM holds other bytes", err)
				}
				t.Logf("%d flipped bytes: data byte-exact, then loady said %v", line.Hits, err)
				return
			}
			checkLoaded(t, r, string(port.seen)+string(l.readAll(50*time.Millisecond)), data)
			t.Logf("%d flipped bytes, %d retransmissions, byte-exact", line.Hits, st.Retransmits)
		})
	}
}

// NAK->ACK into loady: U-Boot sees the next block out of sequence and
// refuses it until the sender gives up; the sender's error names where.
func TestLoadyNakReadAsAck(t *testing.T) {
	tm := ubootsim.DefaultTiming()
	tm.CharTimeout = 300 * time.Millisecond
	r := newRig(t, w25q128, ubootsim.WithTiming(tm))
	l := newLine(t, 115200)
	data := randomBytes(16<<10, 78)
	done := runOnLine(r, l, "loady")
	port := &transcriptPort{Port: ymodem.FilePort(l.slave)}
	line := &ymodemtest.FaultLine{Port: port, Fault: ymodemtest.NakToAck, Block: 5}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	_, err := ymodem.New(line, ymodem.WithAckTimeout(2*time.Second), ymodem.WithRetries(3)).YModem(ctx, ymodem.File{Name: "fw.bin", Data: data})
	if !line.Played() {
		t.Fatal("the fault was never played")
	}
	waitCmd(t, done)
	if err == nil {
		checkLoaded(t, r, string(port.seen)+string(l.readAll(50*time.Millisecond)), data)
		return
	}
	var ye *ymodem.Error
	if !errors.As(err, &ye) || ye.Stage == "" {
		t.Fatalf("unclear error: %v", err)
	}
	t.Logf("failed clearly: %v", err)
}
