package console

import (
	"context"
	"io"
	"sync"
	"testing"
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
