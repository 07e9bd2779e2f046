package console

import (
	"context"
	"errors"
	"io"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/camrig/camrig/harness/clock"
	"github.com/camrig/camrig/harness/clock/clocktest"
)

// stutterPort returns (0, nil) several times around every real read, as a
// driver with a read timeout does, then blocks until closed.
type stutterPort struct {
	mu     sync.Mutex
	script [][]byte
	closed chan struct{}
	once   sync.Once
	zeros  int
}

func (p *stutterPort) Read(b []byte) (int, error) {
	p.mu.Lock()
	if p.zeros < 3*len(p.script)+3 {
		p.zeros++
		p.mu.Unlock()
		return 0, nil
	}
	if len(p.script) > 0 {
		n := copy(b, p.script[0])
		p.script = p.script[1:]
		p.zeros = 0
		p.mu.Unlock()
		return n, nil
	}
	p.mu.Unlock()
	<-p.closed
	return 0, io.EOF
}
func (p *stutterPort) Write(b []byte) (int, error) { return len(b), nil }
func (p *stutterPort) Close() error                { p.once.Do(func() { close(p.closed) }); return nil }

func TestZeroNilReadsAreNotEOF(t *testing.T) {
	p := &stutterPort{script: [][]byte{[]byte("Starting ker"), []byte("nel ...\r\n")}, closed: make(chan struct{})}
	c, err := Dial(context.Background(), "stutter", func(context.Context) (Port, error) { return p, nil })
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if _, err := c.Expect(ctxFor(t, "kernel"), Lit("Starting kernel")); err != nil {
		t.Fatal(err)
	}
	if !c.Connected() {
		t.Fatal("(0, nil) reads taken for a disconnection")
	}
}

// wedgedPort accepts no bytes: its Write blocks until Close, like an
// adapter whose driver hung or a pty nobody drains.
type wedgedPort struct {
	closed  chan struct{}
	entered chan struct{} // receives when a Write starts blocking
	once    sync.Once
}

func (p *wedgedPort) Read(b []byte) (int, error) { <-p.closed; return 0, io.EOF }
func (p *wedgedPort) Write(b []byte) (int, error) {
	p.entered <- struct{}{}
	<-p.closed
	return 0, io.ErrClosedPipe
}
func (p *wedgedPort) Close() error { p.once.Do(func() { close(p.closed) }); return nil }

func TestWedgedWriteCostsOnlyTheDeadline(t *testing.T) {
	fake := clocktest.New(time.Unix(0, 0))
	p := &wedgedPort{closed: make(chan struct{}), entered: make(chan struct{}, 1)}
	c, err := Dial(context.Background(), "wedged", func(context.Context) (Port, error) { return p, nil }, WithClock(fake))
	if err != nil {
		t.Fatal(err)
	}
	for i, what := range []string{"first send (stuck in the port)", "second send (queued behind it)"} {
		ctx, cancel := clock.WithTimeout(context.Background(), fake, time.Second, what)
		done := make(chan error, 1)
		go func() { done <- c.Send(ctx, "reset\r") }()
		if i == 0 {
			<-p.entered // the writer is stuck in the port now
		}
		fake.Advance(time.Second)
		err := <-done
		cancel()
		if !errors.Is(err, context.DeadlineExceeded) || !strings.Contains(err.Error(), what) {
			t.Fatalf("send %d: %v", i, err)
		}
	}
	if err := c.Close(); err != nil {
		t.Fatal(err)
	}
}
