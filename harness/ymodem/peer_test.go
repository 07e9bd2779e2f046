package ymodem_test

import (
	"bytes"
	"context"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/camrig/camrig/harness/ymodem"
	"github.com/camrig/camrig/rigs/virtual/pty"
	"golang.org/x/sys/unix"
)

// lrzsz finds one of Debian lrzsz's programs (rb, rx...), under its plain
// or l-prefixed name, or skips the test.
func lrzsz(t testing.TB, name string) string {
	t.Helper()
	for _, n := range []string{name, "l" + name} {
		if p, err := exec.LookPath(n); err == nil {
			return p
		}
	}
	t.Skipf("lrzsz %s not installed (apt-get install lrzsz; `make deps` does it)", name)
	return ""
}

// peer is an lrzsz program running on the slave side of a pty; the test
// talks to it through the master.
type peer struct {
	pair   *pty.Pair
	cmd    *exec.Cmd
	dir    string
	stderr lockedBuffer
	done   chan error
}

// startPeer runs prog args... in a fresh temp dir with stdin/stdout on a new
// pty's slave. Cleanup kills it if it is still running and closes the pty.
func startPeer(t testing.TB, prog string, args ...string) *peer {
	t.Helper()
	pair, err := pty.Open("")
	if err != nil {
		t.Fatalf("pty: %v", err)
	}
	slave, err := os.OpenFile(pair.SlavePath, os.O_RDWR|unix.O_NOCTTY, 0)
	if err != nil {
		pair.Close()
		t.Fatalf("open %s: %v", pair.SlavePath, err)
	}
	p := &peer{pair: pair, dir: t.TempDir(), done: make(chan error, 1)}
	p.cmd = exec.Command(prog, args...)
	p.cmd.Dir = p.dir
	p.cmd.Stdin, p.cmd.Stdout, p.cmd.Stderr = slave, slave, &p.stderr
	if err := p.cmd.Start(); err != nil {
		slave.Close()
		pair.Close()
		t.Fatalf("start %s: %v", prog, err)
	}
	slave.Close()
	go func() { p.done <- p.cmd.Wait() }()
	t.Cleanup(func() {
		select {
		case <-p.done:
		default:
			p.cmd.Process.Kill()
			<-p.done
		}
		pair.Close()
	})
	return p
}

// wait returns the program's exit error, failing the test if it does not
// exit within d.
func (p *peer) wait(t testing.TB, d time.Duration) error {
	t.Helper()
	select {
	case err := <-p.done:
		p.done <- err
		return err
	case <-time.After(d):
		t.Fatalf("%s still running after %v; stderr:\n%s", p.cmd.Path, d, p.stderr.String())
		return nil
	}
}

func (p *peer) file(t testing.TB, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(p.dir, name))
	if err != nil {
		t.Fatalf("%s wrote no %s: %v; stderr:\n%s", p.cmd.Path, name, err, p.stderr.String())
	}
	return b
}

// lockedBuffer collects a child's stderr while the test may read it.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

func testCtx(t testing.TB, d time.Duration) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), d)
	t.Cleanup(cancel)
	return ctx
}

// flushAwarePort is the pty master in packet mode (TIOCPKT), which tells
// the master when the slave flushes its input. lrzsz's receivers send each
// ACK or 'C' and then flush their input (harmless on a wire, where the next
// block cannot arrive that fast); on a zero-latency pty an immediate next
// block races that flush and is thrown away. So Write first waits until
// the receiver has flushed once for every answer (ACK, NAK, 'C') it sent
// since our last write: an event, not a guessed delay. The packet mode
// reports a flush ahead of data still unread, so counting is the only
// order-proof rule. If the flushes do not come within flushWait (lrzsz does
// not flush after ACKing a YMODEM header) the write goes ahead anyway.
// Used by one goroutine at a time, like any Port.
type flushAwarePort struct {
	f       *os.File
	port    ymodem.Port // f without packet mode awareness, for its deadlines
	pending []byte      // data read but not yet handed out
	answers int         // ACK/NAK/'C' read since our last write
	flushes int         // input flushes by the slave since our last write
}

const flushWait = 200 * time.Millisecond

func newFlushAwarePort(t testing.TB, master *os.File) *flushAwarePort {
	t.Helper()
	raw, err := master.SyscallConn()
	if err != nil {
		t.Fatal(err)
	}
	var ioErr error
	if err := raw.Control(func(fd uintptr) { ioErr = unix.IoctlSetPointerInt(int(fd), unix.TIOCPKT, 1) }); err != nil || ioErr != nil {
		t.Fatalf("TIOCPKT: %v %v", err, ioErr)
	}
	return &flushAwarePort{f: master, port: ymodem.FilePort(master)}
}

// readPacket reads one packet: data (status 0) goes to pending, a
// FLUSHREAD status sets flushed.
func (p *flushAwarePort) readPacket(ctx context.Context) error {
	var buf [4096]byte
	n, err := p.port.ReadContext(ctx, buf[:])
	if n == 0 {
		return err
	}
	if buf[0] == unix.TIOCPKT_DATA {
		for _, c := range buf[1:n] {
			if c == 0x06 || c == 0x15 || c == 'C' {
				p.answers++
			}
		}
		p.pending = append(p.pending, buf[1:n]...)
	} else if buf[0]&unix.TIOCPKT_FLUSHREAD != 0 {
		p.flushes++
	}
	return nil
}

func (p *flushAwarePort) ReadContext(ctx context.Context, b []byte) (int, error) {
	for len(p.pending) == 0 {
		if err := p.readPacket(ctx); err != nil {
			return 0, err
		}
	}
	n := copy(b, p.pending)
	p.pending = p.pending[n:]
	return n, nil
}

func (p *flushAwarePort) Write(b []byte) (int, error) {
	ctx, cancel := context.WithTimeout(context.Background(), flushWait)
	for p.flushes < max(p.answers, 1) && p.readPacket(ctx) == nil {
	}
	cancel()
	p.answers, p.flushes = 0, 0
	return p.f.Write(b)
}

// testLogger sends the sender's debug log to t.Log.
func testLogger(t testing.TB) *slog.Logger {
	return slog.New(slog.NewTextHandler(tWriter{t}, &slog.HandlerOptions{Level: slog.LevelDebug}))
}

type tWriter struct{ t testing.TB }

func (w tWriter) Write(p []byte) (int, error) {
	w.t.Helper()
	w.t.Log(strings.TrimSpace(string(p)))
	return len(p), nil
}

// concurrentRuns runs subtests side by side, more of them than -parallel
// (GOMAXPROCS) would allow: the lrzsz transfers spend most of their time in
// lrzsz's own fixed one-second pauses, not on a CPU. t.Run may be called
// from several goroutines, as long as all return before the parent test
// does: call wait (deferred) in the parent.
type concurrentRuns struct {
	wg  sync.WaitGroup
	sem chan struct{}
}

const maxConcurrentPeers = 8

func (c *concurrentRuns) run(t *testing.T, name string, f func(t *testing.T)) {
	if c.sem == nil {
		c.sem = make(chan struct{}, maxConcurrentPeers)
	}
	c.wg.Add(1)
	go func() {
		defer c.wg.Done()
		c.sem <- struct{}{}
		defer func() { <-c.sem }()
		t.Run(name, f)
	}()
}

func (c *concurrentRuns) wait() { c.wg.Wait() }
