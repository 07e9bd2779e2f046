package ymodem_test

import (
	"bytes"
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/camrig/camrig/harness/clock/clocktest"
	"github.com/camrig/camrig/harness/ymodem"
)

// TestYModemSpecReceiver walks a batch the way ymodem.txt describes it:
// 'C', block 0, ACK 'C', data (one NAKed), EOT NAK, EOT ACK, 'C', empty
// block 0, ACK.
func TestYModemSpecReceiver(t *testing.T) {
	port := newMemPort()
	data := randomData(1500, 1)
	mtime := time.Unix(0o1234567, 0)
	var progress [][2]int64
	s := ymodem.New(port, ymodem.WithProgress(func(sent, total int64) { progress = append(progress, [2]int64{sent, total}) }))
	done := goSend(func() (ymodem.Stats, error) {
		return s.YModem(context.Background(), ymodem.File{Name: "fw.bin", Data: data, ModTime: mtime})
	})

	port.send('C')
	hdr := decode(t, port.next(t), true)
	if want := "fw.bin\x001500 1234567\x00"; hdr.blk != 0 || !strings.HasPrefix(string(hdr.data), want) || len(hdr.data) != 128 {
		t.Fatalf("block 0 = %d %q, want 0 %q", hdr.blk, hdr.data[:24], want)
	}
	if strings.Trim(string(hdr.data[len("fw.bin\x001500 1234567"):]), "\x00") != "" {
		t.Fatal("block 0 not NUL padded")
	}
	port.send(ACK, 'C')
	b1 := decode(t, port.next(t), true)
	if b1.blk != 1 || len(b1.data) != 1024 || !bytes.Equal(b1.data, data[:1024]) {
		t.Fatalf("block 1: blk %d, %d bytes", b1.blk, len(b1.data))
	}
	port.send(NAK)
	if again := decode(t, port.next(t), true); again.blk != 1 || !bytes.Equal(again.data, b1.data) {
		t.Fatal("block 1 not resent after NAK")
	}
	port.send(ACK)
	// 476 bytes remain: four 128-byte blocks beat one 1024-byte block.
	var tail []byte
	for i := byte(2); i <= 5; i++ {
		b := decode(t, port.next(t), true)
		if b.blk != i || len(b.data) != 128 {
			t.Fatalf("block %d: got blk %d size %d", i, b.blk, len(b.data))
		}
		tail = append(tail, b.data...)
		port.send(ACK)
	}
	if !bytes.Equal(tail[:476], data[1024:]) || strings.Trim(string(tail[476:]), "\x1a") != "" {
		t.Fatal("tail blocks wrong or not padded with 0x1A")
	}
	if got := port.next(t); !bytes.Equal(got, []byte{EOT}) {
		t.Fatalf("want EOT, got % x", got[:min(8, len(got))])
	}
	port.send(NAK)
	if got := port.next(t); !bytes.Equal(got, []byte{EOT}) {
		t.Fatal("EOT not repeated after NAK")
	}
	port.send(ACK, 'C')
	end := decode(t, port.next(t), true)
	if end.blk != 0 || !bytes.Equal(end.data, make([]byte, 128)) {
		t.Fatal("end of batch is not an empty block 0")
	}
	port.send(ACK)
	r := wait(t, done)
	if r.err != nil {
		t.Fatal(r.err)
	}
	if r.st != (ymodem.Stats{CRC: true, Blocks: 5, Retransmits: 1, Bytes: 1500}) {
		t.Errorf("stats = %+v", r.st)
	}
	if len(progress) != 6 || progress[0] != [2]int64{0, 1500} || progress[1] != [2]int64{1024, 1500} || progress[5] != [2]int64{1500, 1500} {
		t.Errorf("progress = %v", progress)
	}
	port.quiet(t, 50*time.Millisecond)
}

// TestYModemUBootReceiver plays U-Boot's loady: no 'C' after block 0, 'C'
// (not NAK) for a bad block, the first EOT ACKed twice, then 'C'.
func TestYModemUBootReceiver(t *testing.T) {
	port := newMemPort()
	data := randomData(2048, 2)
	s := ymodem.New(port, ymodem.WithStartGrace(30*time.Millisecond))
	done := goSend(func() (ymodem.Stats, error) {
		return s.YModem(context.Background(), ymodem.File{Name: "a", Data: data})
	})
	port.send('C')
	decode(t, port.next(t), true)
	port.send(ACK) // and no 'C': the sender must start the data on its own
	decode(t, port.next(t), true)
	port.send(ACK)
	b2 := decode(t, port.next(t), true)
	port.send('C') // "bad block" in U-Boot's CRC mode
	if again := decode(t, port.next(t), true); again.blk != 2 || !bytes.Equal(again.data, b2.data) {
		t.Fatal("block 2 not resent after 'C'")
	}
	port.send(ACK)
	if got := port.next(t); !bytes.Equal(got, []byte{EOT}) {
		t.Fatal("want EOT")
	}
	port.send(ACK, ACK, 'C')
	end := decode(t, port.next(t), true)
	if end.blk != 0 {
		t.Fatal("want the empty block 0")
	}
	port.send(ACK, 'x', 'y') // U-Boot's summary follows: must stay unread
	r := wait(t, done)
	if r.err != nil || r.st.Bytes != 2048 || r.st.Retransmits != 1 {
		t.Fatalf("err %v stats %+v", r.err, r.st)
	}
	if len(port.replies) != 2 {
		t.Errorf("sender read past the final ACK: %d bytes left, want 2", len(port.replies))
	}
}

// TestLateStartRequestIsNotARefusal: a 'C' that arrives after the grace,
// while block 1 is out, is the receiver's slow start request; only a second
// one asks for the block again.
func TestLateStartRequestIsNotARefusal(t *testing.T) {
	port := newMemPort()
	s := ymodem.New(port, ymodem.WithStartGrace(10*time.Millisecond))
	done := goSend(func() (ymodem.Stats, error) {
		return s.YModem(context.Background(), ymodem.File{Name: "a", Data: []byte("x")})
	})
	port.send('C')
	port.next(t)
	port.send(ACK)
	decode(t, port.next(t), true)
	port.send('C') // late start request
	port.quiet(t, 50*time.Millisecond)
	port.send('C') // now a real refusal
	decode(t, port.next(t), true)
	port.send(ACK)
	port.next(t) // EOT
	port.send(ACK, 'C')
	port.next(t)
	port.send(ACK)
	if r := wait(t, done); r.err != nil || r.st.Retransmits != 1 {
		t.Fatalf("err %v stats %+v", r.err, r.st)
	}
}

// TestStaleStartRequestDuplicateACKIsSwallowed: a stale 'C' makes the
// sender repeat block 0; the receiver ACKs both copies and the second ACK
// must not count for block 1.
func TestStaleStartRequestDuplicateACKIsSwallowed(t *testing.T) {
	port := newMemPort()
	s := ymodem.New(port, ymodem.WithStartGrace(10*time.Millisecond))
	done := goSend(func() (ymodem.Stats, error) {
		return s.YModem(context.Background(), ymodem.File{Name: "a", Data: []byte("x")})
	})
	port.send('C', 'C') // two queued start requests
	port.next(t)        // block 0
	port.next(t)        // block 0 again, for the stale 'C'
	port.send(ACK, ACK) // one per copy
	b1 := decode(t, port.next(t), true)
	if b1.blk != 1 {
		t.Fatalf("blk %d", b1.blk)
	}
	// The duplicate ACK was swallowed: block 1 waits for its own answer.
	port.quiet(t, 50*time.Millisecond)
	port.send(ACK)
	port.next(t) // EOT
	port.send(ACK, 'C')
	port.next(t)
	port.send(ACK)
	if r := wait(t, done); r.err != nil {
		t.Fatal(r.err)
	}
}

func TestXModemModes(t *testing.T) {
	cases := []struct {
		name      string
		start     byte
		oneK      bool
		size      int
		wantSizes []int
		crc       bool
	}{
		{"crc 128", 'C', false, 300, []int{128, 128, 128}, true},
		{"checksum 128", NAK, false, 130, []int{128, 128}, false},
		{"1k crc", 'C', true, 2000, []int{1024, 1024}, true},
		{"1k tail of six small blocks", 'C', true, 1024 + 700, []int{1024, 128, 128, 128, 128, 128, 128}, true},
		{"1k asked for checksum falls back to 128", NAK, true, 300, []int{128, 128, 128}, false},
		{"empty", 'C', false, 0, nil, true},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			port := newMemPort()
			data := randomData(c.size, 3)
			s := ymodem.New(port)
			send := s.XModem
			if c.oneK {
				send = s.XModem1K
			}
			done := goSend(func() (ymodem.Stats, error) { return send(context.Background(), data) })
			port.send(c.start)
			var got []byte
			for i, want := range c.wantSizes {
				b := decode(t, port.next(t), c.crc)
				if int(b.blk) != i+1 || len(b.data) != want {
					t.Fatalf("block %d: blk %d size %d, want size %d", i+1, b.blk, len(b.data), want)
				}
				got = append(got, b.data...)
				port.send(ACK)
			}
			if eot := port.next(t); !bytes.Equal(eot, []byte{EOT}) {
				t.Fatalf("want EOT, got % x", eot[:min(len(eot), 4)])
			}
			port.send(ACK)
			r := wait(t, done)
			if r.err != nil || r.st.CRC != c.crc || r.st.Bytes != int64(c.size) {
				t.Fatalf("err %v stats %+v", r.err, r.st)
			}
			if !bytes.Equal(got[:c.size], data) || strings.Trim(string(got[c.size:]), "\x1a") != "" {
				t.Fatal("data or padding wrong")
			}
		})
	}
}

func TestBlockNumbersWrap(t *testing.T) {
	port := newMemPort()
	data := randomData(300*128, 4)
	done := goSend(func() (ymodem.Stats, error) { return ymodem.New(port).XModem(context.Background(), data) })
	port.send('C')
	for i := 1; i <= 300; i++ {
		if b := decode(t, port.next(t), true); b.blk != byte(i) {
			t.Fatalf("block %d numbered %d", i, b.blk)
		}
		port.send(ACK)
	}
	port.next(t)
	port.send(ACK)
	if r := wait(t, done); r.err != nil {
		t.Fatal(r.err)
	}
}

func TestGarbageWhileWaitingIsIgnored(t *testing.T) {
	port := newMemPort()
	done := goSend(func() (ymodem.Stats, error) { return ymodem.New(port).XModem(context.Background(), []byte("hi")) })
	port.send('#', 0x00, 0xFF, '\r', '\n', 'C') // noise before the start request
	decode(t, port.next(t), true)
	port.send(CAN, 'z', 0x7F, ACK) // a lone CAN is noise too
	port.next(t)
	port.send(ACK)
	if r := wait(t, done); r.err != nil {
		t.Fatal(r.err)
	}
}

func TestReceiverCancel(t *testing.T) {
	port := newMemPort()
	done := goSend(func() (ymodem.Stats, error) {
		return ymodem.New(port).YModem(context.Background(), ymodem.File{Name: "a", Data: randomData(4096, 5)})
	})
	port.send('C')
	port.next(t)
	port.send(ACK, 'C')
	port.next(t)
	port.send(CAN, CAN)
	r := wait(t, done)
	var e *ymodem.Error
	if !errors.Is(r.err, ymodem.ErrCancelled) || !errors.As(r.err, &e) || e.Stage != "block 1" || e.File != "a" {
		t.Fatalf("err = %v", r.err)
	}
	port.quiet(t, 20*time.Millisecond) // no CANs back to a receiver that left
}

func TestContextEndSendsCAN(t *testing.T) {
	port := newMemPort()
	ctx, cancel := context.WithCancelCause(context.Background())
	boom := errors.New("power cut")
	done := goSend(func() (ymodem.Stats, error) { return ymodem.New(port).XModem(ctx, []byte("x")) })
	port.send('C')
	port.next(t)
	cancel(boom)
	r := wait(t, done)
	if !errors.Is(r.err, boom) {
		t.Fatalf("err = %v, want the context's cause", r.err)
	}
	if got := port.next(t); !bytes.Equal(got, []byte{CAN, CAN, CAN}) {
		t.Fatalf("abort sent % x, want CAN CAN CAN", got)
	}
}

func TestBadFileNames(t *testing.T) {
	for _, f := range []ymodem.File{{Name: ""}, {Name: "a\x00b"}, {Name: strings.Repeat("n", 1100)}} {
		port := newMemPort()
		port.send('C')
		_, err := ymodem.New(port).YModem(context.Background(), f)
		if !errors.Is(err, ymodem.ErrBadFile) {
			t.Errorf("name %.10q: err = %v, want ErrBadFile", f.Name, err)
		}
	}
}

func TestLongNameUsesBigBlock0(t *testing.T) {
	port := newMemPort()
	name := strings.Repeat("n", 200)
	done := goSend(func() (ymodem.Stats, error) {
		return ymodem.New(port).YModem(context.Background(), ymodem.File{Name: name, Data: nil})
	})
	port.send('C')
	b := decode(t, port.next(t), true)
	if len(b.data) != 1024 || !strings.HasPrefix(string(b.data), name+"\x000\x00") {
		t.Fatalf("block 0: %d bytes", len(b.data))
	}
	port.send(ACK, 'C')
	port.next(t) // EOT (empty file: no data blocks)
	port.send(ACK, 'C')
	port.next(t)
	port.send(ACK)
	if r := wait(t, done); r.err != nil {
		t.Fatal(r.err)
	}
}

// advance moves the fake clock by step until the sender writes, so a test
// never depends on when the sender armed its timer.
func advance(t *testing.T, clk *clocktest.Fake, port *memPort, step time.Duration) []byte {
	t.Helper()
	for range 10000 {
		clk.Advance(step)
		select {
		case b := <-port.written:
			return b
		case <-time.After(time.Millisecond):
		}
	}
	t.Fatal("the sender never wrote")
	return nil
}

func TestSilentReceiverRetriesThenCancels(t *testing.T) {
	clk := clocktest.New(time.Unix(0, 0))
	port := newMemPort()
	s := ymodem.New(port, ymodem.WithClock(clk), ymodem.WithRetries(3))
	done := goSend(func() (ymodem.Stats, error) { return s.XModem(context.Background(), []byte("x")) })
	port.send('C')
	first := port.next(t)
	for i := range 3 {
		if again := advance(t, clk, port, ymodem.DefaultAckTimeout); !bytes.Equal(again, first) {
			t.Fatalf("retry %d sent % x", i+1, again[:4])
		}
	}
	if got := advance(t, clk, port, ymodem.DefaultAckTimeout); !bytes.Equal(got, []byte{CAN, CAN, CAN}) {
		t.Fatalf("after the retries: % x, want CAN CAN CAN", got[:min(len(got), 4)])
	}
	r := wait(t, done)
	var e *ymodem.Error
	if !errors.Is(r.err, ymodem.ErrRetries) || !errors.Is(r.err, ymodem.ErrNoAnswer) || !errors.As(r.err, &e) || e.Attempts != 4 || e.Stage != "block 1" {
		t.Fatalf("err = %v", r.err)
	}
	if r.st.Retransmits != 3 {
		t.Errorf("retransmits = %d", r.st.Retransmits)
	}
}

func TestNoStartRequest(t *testing.T) {
	clk := clocktest.New(time.Unix(0, 0))
	port := newMemPort()
	s := ymodem.New(port, ymodem.WithClock(clk), ymodem.WithStartTimeout(time.Minute))
	done := goSend(func() (ymodem.Stats, error) { return s.XModem(context.Background(), []byte("x")) })
	if got := advance(t, clk, port, 10*time.Second); !bytes.Equal(got, []byte{CAN, CAN, CAN}) {
		t.Fatalf("wrote % x", got)
	}
	r := wait(t, done)
	if !errors.Is(r.err, ymodem.ErrNoAnswer) || !strings.Contains(r.err.Error(), "waiting for the receiver to start") {
		t.Fatalf("err = %v", r.err)
	}
	if now := clk.Now(); now.Sub(time.Unix(0, 0)) < time.Minute {
		t.Errorf("gave up after %v, before the start timeout", now.Sub(time.Unix(0, 0)))
	}
}

// TestSilentEndIsUnconfirmed: lrzsz flushes its last ACK away; silence after
// the final EOT ends the transfer with EndUnconfirmed.
func TestSilentEndIsUnconfirmed(t *testing.T) {
	clk := clocktest.New(time.Unix(0, 0))
	port := newMemPort()
	s := ymodem.New(port, ymodem.WithClock(clk))
	done := goSend(func() (ymodem.Stats, error) { return s.XModem(context.Background(), []byte("x")) })
	port.send('C')
	port.next(t)
	port.send(ACK)
	port.next(t) // EOT
	for {
		clk.Advance(ymodem.DefaultAckTimeout)
		select {
		case r := <-done:
			if r.err != nil || !r.st.EndUnconfirmed || r.st.Bytes != 1 {
				t.Fatalf("err %v stats %+v", r.err, r.st)
			}
			return
		case b := <-port.written:
			t.Fatalf("wrote % x after a silent EOT", b)
		case <-time.After(time.Millisecond):
		}
	}
}

// TestRefusalBurstIsPurged: a receiver resyncing on a garbled packet can
// refuse it more than once. The sender waits for the line to go quiet and
// resends once, not once per refusal (three copies on the line, and
// refusals left over to be taken as the answer to the next block).
func TestRefusalBurstIsPurged(t *testing.T) {
	port := newMemPort()
	s := ymodem.New(port, ymodem.WithStartGrace(10*time.Millisecond))
	done := goSend(func() (ymodem.Stats, error) {
		return s.YModem(context.Background(), ymodem.File{Name: "a", Data: []byte("x")})
	})
	port.send('C')
	port.next(t) // block 0
	port.send(ACK, 'C')
	decode(t, port.next(t), true) // block 1
	port.send(NAK, NAK, 'C', NAK)
	if b := decode(t, port.next(t), true); b.blk != 1 {
		t.Fatalf("resent blk %d", b.blk)
	}
	port.quiet(t, 100*time.Millisecond) // one copy only
	port.send(ACK)
	if p := port.next(t); len(p) != 1 || p[0] != EOT {
		t.Fatalf("after the ACK: % x, want EOT", p[:min(len(p), 8)])
	}
	port.send(ACK, 'C')
	port.next(t)
	port.send(ACK)
	if r := wait(t, done); r.err != nil || r.st.Retransmits != 1 {
		t.Fatalf("err %v stats %+v", r.err, r.st)
	}
}

// TestWithoutStartGrace: into a receiver like U-Boot's loady, block 1
// follows block 0's ACK at once. The clock is frozen, so a grace would
// never end: the default sender must still be waiting (the negative),
// and a 'C' that comes anyway during block 1 must not be a refusal.
func TestWithoutStartGrace(t *testing.T) {
	cases := []struct {
		name    string
		opts    []ymodem.Option
		waits   bool // for the grace before block 1
		lateC   bool // the receiver sends a 'C' during block 1
		retrans int
	}{
		{name: "default sender waits for a 'C'", waits: true},
		{name: "without the grace, U-Boot", opts: []ymodem.Option{ymodem.WithoutStartGrace()}},
		{name: "without the grace, a late 'C' anyway", opts: []ymodem.Option{ymodem.WithoutStartGrace()}, lateC: true},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			clk := clocktest.New(time.Unix(0, 0))
			port := newMemPort()
			s := ymodem.New(port, append(tc.opts, ymodem.WithClock(clk))...)
			data := randomData(1024, 3)
			done := goSend(func() (ymodem.Stats, error) {
				return s.YModem(context.Background(), ymodem.File{Name: "a", Data: data})
			})
			port.send('C')
			if b0 := decode(t, port.next(t), true); b0.blk != 0 {
				t.Fatalf("blk %d, want block 0", b0.blk)
			}
			port.send(ACK) // and no 'C', as loady
			var b1 packet
			if tc.waits {
				port.quiet(t, 50*time.Millisecond)
				b1 = decode(t, advance(t, clk, port, ymodem.DefaultMinGrace), true)
			} else {
				b1 = decode(t, port.next(t), true)
			}
			if b1.blk != 1 || !bytes.Equal(b1.data, data) {
				t.Fatalf("blk %d, want block 1 with the data", b1.blk)
			}
			if tc.lateC {
				port.send('C')
				port.quiet(t, 50*time.Millisecond)
			}
			port.send(ACK)
			if got := port.next(t); !bytes.Equal(got, []byte{EOT}) {
				t.Fatalf("want EOT, got % x", got[:min(8, len(got))])
			}
			port.send(ACK, ACK, 'C')
			if end := decode(t, port.next(t), true); end.blk != 0 {
				t.Fatal("want the empty block 0")
			}
			port.send(ACK)
			if r := wait(t, done); r.err != nil || r.st.Bytes != 1024 || r.st.Retransmits != tc.retrans {
				t.Fatalf("err %v stats %+v", r.err, r.st)
			}
		})
	}
}
