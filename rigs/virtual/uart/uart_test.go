package uart

import (
	"bytes"
	"context"
	"errors"
	"os"
	"syscall"
	"testing"
	"time"

	"github.com/camrig/camrig/rigs/virtual/device"
	"github.com/camrig/camrig/rigs/virtual/pty"
	"golang.org/x/sys/unix"
)

// newLine makes a UART on a fresh pty and opens the slave end as the
// harness would (non-blocking, so read deadlines work).
func newLine(t testing.TB, cfg Config) (*UART, *os.File) {
	t.Helper()
	p, err := pty.Open("")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { p.Close() })
	u, err := New(p.Master, cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { u.Close() })
	s, err := os.OpenFile(p.SlavePath, os.O_RDWR|unix.O_NOCTTY|unix.O_NONBLOCK, 0)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return u, s
}

// readFor collects what arrives on f until quiet for d after at least want
// bytes (or the overall deadline).
func readAtLeast(t testing.TB, f *os.File, want int, deadline time.Duration) []byte {
	t.Helper()
	var got []byte
	buf := make([]byte, 4096)
	end := time.Now().Add(deadline)
	for len(got) < want {
		f.SetReadDeadline(end)
		n, err := f.Read(buf)
		got = append(got, buf[:n]...)
		if err != nil {
			t.Fatalf("read after %d/%d bytes: %v", len(got), want, err)
		}
	}
	return got
}

// drainFor reads everything that arrives within d.
func drainFor(f *os.File, d time.Duration) []byte {
	var got []byte
	buf := make([]byte, 4096)
	end := time.Now().Add(d)
	for {
		f.SetReadDeadline(end)
		n, err := f.Read(buf)
		got = append(got, buf[:n]...)
		if err != nil {
			return got
		}
	}
}

func TestOutputTakesLineTime(t *testing.T) {
	cases := []struct {
		name    string
		cfg     Config
		n       int
		atLeast time.Duration
	}{
		{"9600 8N1: 10 bits a byte", Config{Baud: 9600}, 96, 100 * time.Millisecond},
		{"9600 8E1: 11 bits a byte", Config{Baud: 9600, Parity: "even"}, 96, 110 * time.Millisecond},
		{"19200 7N2: 10 bits a byte", Config{Baud: 19200, DataBits: 7, StopBits: 2}, 192, 100 * time.Millisecond},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			u, s := newLine(t, tc.cfg)
			u.PowerOn()
			msg := bytes.Repeat([]byte("0123456789abcdef"), tc.n/16)
			start := time.Now()
			if _, err := u.Write(msg); err != nil {
				t.Fatal(err)
			}
			if el := time.Since(start); el < tc.atLeast {
				t.Errorf("Write of %d bytes returned after %v, want >= %v (line rate)", len(msg), el, tc.atLeast)
			}
			got := readAtLeast(t, s, len(msg), 5*time.Second)
			if !bytes.Equal(got, msg) {
				t.Errorf("slave got %q, want %q", got, msg)
			}
			if u.Sent() != uint64(len(msg)) {
				t.Errorf("Sent() = %d, want %d", u.Sent(), len(msg))
			}
		})
	}
}

func TestPowerCutIsSilence(t *testing.T) {
	u, s := newLine(t, Config{Baud: 9600})
	u.PowerOn()
	pending := u.Queue(bytes.Repeat([]byte("x"), 2000)) // about 2 s of line time
	first := readAtLeast(t, s, 10, 5*time.Second)
	u.PowerOff()
	atCut := u.Sent()
	if err := <-pending; !errors.Is(err, ErrPowerOff) {
		t.Fatalf("pending write ended with %v, want ErrPowerOff", err)
	}
	rest := drainFor(s, 100*time.Millisecond)
	if got := uint64(len(first) + len(rest)); got != atCut {
		t.Fatalf("slave got %d bytes in all, but %d were on the wire at the cut", got, atCut)
	}
	if atCut >= 2000 {
		t.Fatalf("everything (%d bytes) was sent before the cut; the test proves nothing", atCut)
	}
	if err := <-u.Queue([]byte("late")); !errors.Is(err, ErrPowerOff) {
		t.Fatalf("write while off: %v, want ErrPowerOff", err)
	}
	if got := drainFor(s, 30*time.Millisecond); len(got) != 0 {
		t.Fatalf("bytes after the cut: %q", got)
	}
}

func TestInputIgnoredWhileOffAndPacedWhileOn(t *testing.T) {
	u, s := newLine(t, Config{Baud: 9600})
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()

	if _, err := s.Write([]byte("lost")); err != nil {
		t.Fatal(err)
	}
	// The receive goroutine consumes the bytes and drops them; once power
	// is on, nothing of them may be readable.
	waitFor(t, func() bool { return u.Received() == 4 })
	if u.Buffered() != 0 {
		t.Fatalf("%d bytes buffered while off", u.Buffered())
	}
	u.PowerOn()

	msg := bytes.Repeat([]byte("k"), 48) // 50 ms at 9600 8N1
	start := time.Now()
	if _, err := s.Write(msg); err != nil {
		t.Fatal(err)
	}
	for i := range msg {
		b, err := u.ReadByteContext(ctx)
		if err != nil {
			t.Fatalf("byte %d: %v", i, err)
		}
		if b != 'k' {
			t.Fatalf("byte %d = %q, want 'k' (input from before power-on leaked?)", i, b)
		}
	}
	if el := time.Since(start); el < 50*time.Millisecond {
		t.Errorf("48 bytes at 9600 baud were readable after %v, want >= 50ms", el)
	}
}

func TestReadByteEndsWithStop(t *testing.T) {
	u, _ := newLine(t, Config{})
	u.PowerOn()
	stop := make(chan struct{})
	close(stop)
	if _, err := u.ReadByteUntil(context.Background(), stop); !errors.Is(err, context.Canceled) {
		t.Fatalf("ReadByteUntil with stop closed: %v", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := u.ReadByteContext(ctx); !errors.Is(err, context.Canceled) {
		t.Fatalf("ReadByteContext with ctx cancelled: %v", err)
	}
}

func TestSetBaudSlowsTheLine(t *testing.T) {
	u, s := newLine(t, Config{Baud: 115200})
	u.PowerOn()
	u.SetBaud(4800)
	if u.Baud() != 4800 {
		t.Fatalf("Baud() = %d", u.Baud())
	}
	start := time.Now()
	if _, err := u.Write(bytes.Repeat([]byte("b"), 24)); err != nil { // 50 ms at 4800
		t.Fatal(err)
	}
	if el := time.Since(start); el < 50*time.Millisecond {
		t.Errorf("24 bytes at 4800 baud took %v, want >= 50ms", el)
	}
	readAtLeast(t, s, 24, 5*time.Second)
}

func TestBadLineSetup(t *testing.T) {
	p, err := pty.Open("")
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	for _, cfg := range []Config{{DataBits: 9}, {StopBits: 3}, {Parity: "weird"}, {Baud: -1}} {
		if u, err := New(p.Master, cfg); err == nil {
			u.Close()
			t.Errorf("New(%+v) accepted a bad setup", cfg)
		}
	}
}

func waitFor(t *testing.T, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatal("condition not reached in 5s")
		}
		time.Sleep(time.Millisecond)
	}
}

// BenchmarkThreeUnitsStreaming streams at 115200 baud on three UARTs at
// once and reports the CPU time spent per second of line time (the
// transmitters must stay cheap while three units print boot logs).
func BenchmarkThreeUnitsStreaming(b *testing.B) {
	const units = 3
	type line struct {
		u *UART
		s *os.File
	}
	var lines []line
	for range units {
		u, s := newLine(b, Config{Baud: 115200})
		u.PowerOn()
		lines = append(lines, line{u, s})
	}
	for _, l := range lines {
		go func() { // the harness side: keep reading
			buf := make([]byte, 4096)
			for {
				l.s.SetReadDeadline(time.Now().Add(time.Minute))
				if _, err := l.s.Read(buf); err != nil {
					return
				}
			}
		}()
	}
	chunk := bytes.Repeat([]byte("U-Boot 2016.11 boot log line........\r\n"), 30) // ~1.1 KiB, ~100 ms
	var before, after syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &before)
	start := time.Now()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		done := make(chan error, units)
		for _, l := range lines {
			go func() { _, err := l.u.Write(chunk); done <- err }()
		}
		for range units {
			if err := <-done; err != nil {
				b.Fatal(err)
			}
		}
	}
	b.StopTimer()
	wall := time.Since(start)
	syscall.Getrusage(syscall.RUSAGE_SELF, &after)
	cpu := time.Duration(after.Utime.Nano()+after.Stime.Nano()-before.Utime.Nano()-before.Stime.Nano()) * time.Nanosecond
	b.ReportMetric(float64(cpu)/float64(wall)*100, "%cpu")
}

var _ device.BootIO = (*UART)(nil)
