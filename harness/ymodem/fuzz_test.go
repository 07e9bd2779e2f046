package ymodem_test

import (
	"context"
	"testing"
	"time"

	"github.com/camrig/camrig/harness/clock/clocktest"
	"github.com/camrig/camrig/harness/ymodem"
)

// scriptPort answers with a fixed script of receiver bytes; once it runs
// out, every read is a timeout (the fake clock jumps past any deadline).
type scriptPort struct {
	t      *testing.T
	clk    *clocktest.Fake
	script []byte
	reads  int
	writes int
}

func (s *scriptPort) Write(p []byte) (int, error) {
	s.writes++
	switch {
	case len(p) == 1 && p[0] == EOT:
	case len(p) == 3 && p[0] == CAN && p[1] == CAN && p[2] == CAN:
	case len(p) == 133 || len(p) == 1029:
		decode(s.t, p, true)
	case len(p) == 132:
		decode(s.t, p, false)
	default:
		s.t.Fatalf("malformed write of %d bytes: % x", len(p), p[:min(len(p), 8)])
	}
	return len(p), nil
}

func (s *scriptPort) ReadContext(ctx context.Context, p []byte) (int, error) {
	s.reads++
	if len(s.script) > 0 {
		p[0] = s.script[0]
		s.script = s.script[1:]
		return 1, nil
	}
	s.clk.Advance(time.Hour)
	<-ctx.Done()
	return 0, context.Cause(ctx)
}

// FuzzSenderGarbage feeds arbitrary receiver bytes to the sender: it must
// not panic, must send only well-formed packets and must finish within a
// bounded number of steps.
func FuzzSenderGarbage(f *testing.F) {
	f.Add([]byte("C\x06\x06\x06\x06"), uint8(0), uint16(300))
	f.Add([]byte("C\x06C\x06\x06\x06C\x06"), uint8(2), uint16(1500))
	f.Add([]byte("\x15\x15\x15\x06\x18\x06\x06"), uint8(1), uint16(2000))
	f.Add([]byte("C\x18\x18"), uint8(2), uint16(10))
	f.Add([]byte("junk\r\nC\x06\x00\xffC"), uint8(2), uint16(0))
	f.Fuzz(func(t *testing.T, script []byte, proto uint8, size uint16) {
		const retries = 3
		clk := clocktest.New(time.Unix(0, 0))
		port := &scriptPort{t: t, clk: clk, script: script}
		s := ymodem.New(port, ymodem.WithClock(clk), ymodem.WithRetries(retries))
		data := randomData(int(size%4096), uint64(size))
		var st ymodem.Stats
		var err error
		switch proto % 3 {
		case 0:
			st, err = s.XModem(context.Background(), data)
		case 1:
			st, err = s.XModem1K(context.Background(), data)
		default:
			st, err = s.YModem(context.Background(), ymodem.File{Name: "f", Data: data})
		}
		if err == nil && st.Bytes != int64(len(data)) {
			t.Fatalf("success after %d of %d bytes", st.Bytes, len(data))
		}
		// Every wait ends on a script byte or a timeout, and each stage
		// (start, block, EOT) tolerates at most retries+1 timeouts.
		stages := len(data)/128 + 8
		if bound := len(script) + stages*(retries+2); port.reads > bound {
			t.Fatalf("%d reads for a %d-byte script, bound %d", port.reads, len(script), bound)
		}
	})
}
