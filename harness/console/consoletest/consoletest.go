// Package consoletest puts a real *console.Console over an in-memory
// device, for unit tests of code that drives a console (uboot, ymodem,
// procedures): the test scripts what the device prints, sees what the
// harness sends, and can pull the plug.
package consoletest

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"

	"github.com/camrig/camrig/harness/console"
)

// Device is the far end of the console.
type Device struct {
	mu       sync.Mutex
	conn     *conn // nil while unplugged
	plugged  bool
	received []byte // everything the harness wrote, ever
	cursor   int    // Expect's position in received
	pending  []byte // received bytes not yet consumed by a responder
	replies  []reply
	onWrite  func(d *Device, p []byte)
	baud     int
	changed  chan struct{}
}

type reply struct {
	when string
	say  string
	once bool
}

// New returns a console over a fresh Device, both closed at test end.
func New(t testing.TB, opts ...console.Option) (*console.Console, *Device) {
	t.Helper()
	d := &Device{plugged: true, changed: make(chan struct{})}
	c, err := console.Dial(context.Background(), "consoletest:"+t.Name(), d.dial, opts...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c, d
}

// ErrUnplugged is what the console's dial and reads see while unplugged.
var ErrUnplugged = errors.New("consoletest: device unplugged")

func (d *Device) dial(ctx context.Context) (console.Port, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if !d.plugged {
		return nil, ErrUnplugged
	}
	d.conn = &conn{d: d, wake: make(chan struct{})}
	return d.conn, nil
}

// Print queues s as device output.
func (d *Device) Print(s string) { d.Write([]byte(s)) }

// Write queues p as device output. While unplugged it is lost, as on a
// UART nobody listens to.
func (d *Device) Write(p []byte) (int, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.conn != nil {
		d.conn.push(p)
	}
	return len(p), nil
}

// Trickle queues s in pieces of n bytes, each only once the console has
// read the one before, so the console receives s split at every n-th
// byte, as from a UART that hands over a few bytes at a time (115200 baud
// in 2 ms pieces is 23 bytes). It returns when the console has read the
// last piece, or the connection ended (unplugged, closed).
func (d *Device) Trickle(s string, n int) {
	n = max(n, 1)
	for len(s) > 0 {
		k := min(n, len(s))
		d.mu.Lock()
		c := d.conn
		if c != nil {
			c.push([]byte(s[:k]))
		}
		d.mu.Unlock()
		if c == nil || !c.waitDrained() {
			return
		}
		s = s[k:]
	}
}

// Received is everything the harness has written so far.
func (d *Device) Received() []byte {
	d.mu.Lock()
	defer d.mu.Unlock()
	return append([]byte(nil), d.received...)
}

// Expect waits until the harness has written s after the previous Expect
// and consumes up to its end.
func (d *Device) Expect(ctx context.Context, s string) error {
	for {
		d.mu.Lock()
		i := bytes.Index(d.received[d.cursor:], []byte(s))
		ch := d.changed
		if i >= 0 {
			d.cursor += i + len(s)
			d.mu.Unlock()
			return nil
		}
		got := d.received[d.cursor:]
		d.mu.Unlock()
		select {
		case <-ch:
		case <-ctx.Done():
			return fmt.Errorf("consoletest: harness never sent %q (sent %q): %w", s, got, context.Cause(ctx))
		}
	}
}

// Reply makes the device print say each time the harness has sent when
// (matched in what it sent since the last reply fired).
func (d *Device) Reply(when, say string) {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.replies = append(d.replies, reply{when: when, say: say})
}

// ReplyOnce is Reply for one time only.
func (d *Device) ReplyOnce(when, say string) {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.replies = append(d.replies, reply{when: when, say: say, once: true})
}

// OnWrite calls fn with every write the harness makes, after replies. fn
// runs on the console's writer goroutine; it may call Print and Unplug.
func (d *Device) OnWrite(fn func(d *Device, p []byte)) {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.onWrite = fn
}

// Baud is the last rate the harness set (0 if never).
func (d *Device) Baud() int {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.baud
}

// Unplug breaks the connection: the console's reads fail, and it cannot
// reopen until Plug.
func (d *Device) Unplug() {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.plugged = false
	if d.conn != nil {
		d.conn.fail(ErrUnplugged)
		d.conn = nil
	}
}

// Plug lets the console reopen. It retries on its own clock, so with a fake
// clock the test advances it (or calls Plug before the console notices).
func (d *Device) Plug() {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.plugged = true
}

// fromHost handles a harness write (called by conn.Write).
func (d *Device) fromHost(p []byte) {
	d.mu.Lock()
	d.received = append(d.received, p...)
	d.pending = append(d.pending, p...)
	var say []string
	for i := 0; i < len(d.replies); i++ {
		r := d.replies[i]
		j := bytes.Index(d.pending, []byte(r.when))
		if j < 0 {
			continue
		}
		d.pending = d.pending[j+len(r.when):]
		say = append(say, r.say)
		if r.once {
			d.replies = append(d.replies[:i], d.replies[i+1:]...)
			i--
		}
	}
	close(d.changed)
	d.changed = make(chan struct{})
	if d.conn != nil {
		for _, s := range say {
			d.conn.push([]byte(s))
		}
	}
	fn := d.onWrite
	d.mu.Unlock()
	if fn != nil {
		fn(d, p)
	}
}
