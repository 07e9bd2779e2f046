package ymodem_test

import (
	"bytes"
	"context"
	"fmt"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/camrig/camrig/harness/ymodem"
)

var conformanceSizes = []int{0, 1, 127, 128, 129, 1023, 1024, 1025, 1 << 20}

func randomData(n int, seed uint64) []byte {
	r := rand.New(rand.NewPCG(seed, 0x9e3779b97f4a7c15))
	b := make([]byte, n)
	for i := range b {
		b[i] = byte(r.Uint32())
	}
	return b
}

// TestYModemToRB sends one file per size to lrzsz rb and compares bytes.
func TestYModemToRB(t *testing.T) {
	rb := lrzsz(t, "rb")
	var runs concurrentRuns
	defer runs.wait()
	for _, size := range conformanceSizes {
		runs.run(t, fmt.Sprint(size), func(t *testing.T) {
			p := startPeer(t, rb, "-b", "-q")
			data := randomData(size, uint64(size))
			name := fmt.Sprintf("f%d.bin", size)
			st, err := ymodem.New(newFlushAwarePort(t, p.pair.Master), ymodem.WithAckTimeout(2*time.Second), ymodem.WithLogger(testLogger(t))).YModem(testCtx(t, time.Minute), ymodem.File{Name: name, Data: data})
			if err != nil {
				t.Fatalf("send: %v; rb stderr:\n%s", err, p.stderr.String())
			}
			if err := p.wait(t, 10*time.Second); err != nil {
				t.Fatalf("rb: %v; stderr:\n%s", err, p.stderr.String())
			}
			if got := p.file(t, name); !bytes.Equal(got, data) {
				t.Fatalf("rb received %d bytes, want %d identical bytes", len(got), len(data))
			}
			t.Logf("stats %+v", st)
			if !st.CRC || st.Bytes != int64(size) {
				t.Errorf("stats = %+v", st)
			}
		})
	}
}

// TestXModemToRX sends each size with XMODEM (CRC and checksum) and
// XMODEM-1K to lrzsz rx. XMODEM has no length: rx keeps the 0x1A padding of
// the last block, so the file must be data followed only by padding.
func TestXModemToRX(t *testing.T) {
	rx := lrzsz(t, "rx")
	modes := []struct {
		name   string
		rxArgs []string
		crc    bool
		send   func(*ymodem.Sender, context.Context, []byte) (ymodem.Stats, error)
	}{
		{"crc", []string{"-c"}, true, (*ymodem.Sender).XModem},
		{"checksum", nil, false, (*ymodem.Sender).XModem},
		{"1k", []string{"-c"}, true, (*ymodem.Sender).XModem1K},
	}
	var runs concurrentRuns
	defer runs.wait()
	for _, m := range modes {
		for _, size := range conformanceSizes {
			runs.run(t, fmt.Sprintf("%s/%d", m.name, size), func(t *testing.T) {
				args := append([]string{"-b", "-q"}, m.rxArgs...)
				p := startPeer(t, rx, append(args, "out.bin")...)
				data := randomData(size, uint64(size)+7)
				s := ymodem.New(newFlushAwarePort(t, p.pair.Master), ymodem.WithAckTimeout(2*time.Second), ymodem.WithLogger(testLogger(t)))
				st, err := m.send(s, testCtx(t, time.Minute), data)
				if err != nil {
					t.Fatalf("send: %v; rx stderr:\n%s", err, p.stderr.String())
				}
				if err := p.wait(t, 10*time.Second); err != nil {
					t.Fatalf("rx: %v; stderr:\n%s", err, p.stderr.String())
				}
				got := p.file(t, "out.bin")
				if len(got) < size || !bytes.Equal(got[:size], data) {
					t.Fatalf("rx received %d bytes; the first %d differ from what was sent", len(got), size)
				}
				if padLen := len(got) - size; padLen >= 1024 || len(got)%128 != 0 {
					t.Errorf("rx received %d bytes for %d sent: not whole blocks or too much padding", len(got), size)
				}
				if i := bytes.IndexFunc(got[size:], func(r rune) bool { return r != 0x1A }); i >= 0 {
					t.Errorf("padding byte %d is 0x%02X, want 0x1A", size+i, got[size+i])
				}
				if st.CRC != m.crc || st.Bytes != int64(size) {
					t.Errorf("stats = %+v, want CRC=%v Bytes=%d", st, m.crc, size)
				}
			})
		}
	}
}
