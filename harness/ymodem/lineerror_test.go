package ymodem_test

import (
	"bytes"
	"context"
	"testing"
	"time"

	"github.com/camrig/camrig/harness/ymodem"
)

// faultyLine sits between the sender and the pty like a noisy cable: it
// flips one bit in the first copy of one data block and loses the
// receiver's ACK to another.
type faultyLine struct {
	ymodem.Port
	flipBlock, dropAckOf byte
	flipped, dropped     bool
	lastBlk              int // block number of the last packet written, -1 otherwise
}

func (f *faultyLine) Write(p []byte) (int, error) {
	f.lastBlk = -1
	if len(p) >= 128 && (p[0] == SOH || p[0] == STX) {
		f.lastBlk = int(p[1])
		if p[1] == f.flipBlock && !f.flipped {
			f.flipped = true
			q := append([]byte(nil), p...)
			q[3+17] ^= 0x10
			_, err := f.Port.Write(q)
			return len(p), err
		}
	}
	return f.Port.Write(p)
}

func (f *faultyLine) ReadContext(ctx context.Context, b []byte) (int, error) {
	for {
		n, err := f.Port.ReadContext(ctx, b[:1])
		if n == 1 && b[0] == ACK && f.lastBlk == int(f.dropAckOf) && !f.dropped {
			f.dropped = true
			continue
		}
		return n, err
	}
}

func TestLineErrorsStillByteExact(t *testing.T) {
	cases := []struct {
		name string
		prog string
		args []string
		send func(*ymodem.Sender, context.Context, []byte) error
		file string
	}{
		{"ymodem to rb", "rb", []string{"-b", "-q"}, func(s *ymodem.Sender, ctx context.Context, d []byte) error {
			_, err := s.YModem(ctx, ymodem.File{Name: "noisy.bin", Data: d})
			return err
		}, "noisy.bin"},
		{"xmodem-1k to rx", "rx", []string{"-b", "-q", "-c", "noisy.bin"}, func(s *ymodem.Sender, ctx context.Context, d []byte) error {
			_, err := s.XModem1K(ctx, d)
			return err
		}, "noisy.bin"},
	}
	var runs concurrentRuns
	defer runs.wait()
	for _, c := range cases {
		runs.run(t, c.name, func(t *testing.T) {
			p := startPeer(t, lrzsz(t, c.prog), c.args...)
			data := randomData(64<<10, 9)
			line := &faultyLine{Port: newFlushAwarePort(t, p.pair.Master), flipBlock: 3, dropAckOf: 5, lastBlk: -1}
			s := ymodem.New(line, ymodem.WithAckTimeout(2*time.Second), ymodem.WithLogger(testLogger(t)))
			if err := c.send(s, testCtx(t, time.Minute), data); err != nil {
				t.Fatalf("send: %v; stderr:\n%s", err, p.stderr.String())
			}
			if !line.flipped || !line.dropped {
				t.Fatalf("faults not injected: flipped %v dropped %v", line.flipped, line.dropped)
			}
			if err := p.wait(t, 10*time.Second); err != nil {
				t.Fatalf("%s: %v; stderr:\n%s", c.prog, err, p.stderr.String())
			}
			if got := p.file(t, c.file); !bytes.Equal(got[:min(len(got), len(data))], data) || len(got) != len(data) {
				t.Fatalf("received %d bytes, want %d identical", len(got), len(data))
			}
		})
	}
}
