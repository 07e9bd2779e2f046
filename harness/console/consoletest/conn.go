package consoletest

import (
	"io"
	"sync"
)

// conn is one console.Port connection to the Device: bytes queued for the
// harness, and the error that ends it.
type conn struct {
	d    *Device
	mu   sync.Mutex
	out  []byte
	err  error
	wake chan struct{} // closed when out grows or err is set
}

func (c *conn) push(p []byte) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.err != nil {
		return
	}
	c.out = append(c.out, p...)
	c.signal()
}

func (c *conn) fail(err error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.err == nil {
		c.err = err
		c.signal()
	}
}

func (c *conn) signal() {
	close(c.wake)
	c.wake = make(chan struct{})
}

func (c *conn) Read(p []byte) (int, error) {
	for {
		c.mu.Lock()
		if len(c.out) > 0 {
			n := copy(p, c.out)
			c.out = c.out[n:]
			if len(c.out) == 0 {
				c.signal() // Trickle waits for this
			}
			c.mu.Unlock()
			return n, nil
		}
		if c.err != nil {
			err := c.err
			c.mu.Unlock()
			return 0, err
		}
		w := c.wake
		c.mu.Unlock()
		<-w
	}
}

func (c *conn) Write(p []byte) (int, error) {
	c.mu.Lock()
	err := c.err
	c.mu.Unlock()
	if err != nil {
		return 0, err
	}
	c.d.fromHost(append([]byte(nil), p...))
	return len(p), nil
}

func (c *conn) Close() error {
	c.fail(io.ErrClosedPipe)
	return nil
}

func (c *conn) SetBaud(baud int) error {
	c.d.mu.Lock()
	defer c.d.mu.Unlock()
	c.d.baud = baud
	return nil
}

// waitDrained returns true once the console has read everything queued,
// false if the connection ended first.
func (c *conn) waitDrained() bool {
	for {
		c.mu.Lock()
		if c.err != nil {
			c.mu.Unlock()
			return false
		}
		if len(c.out) == 0 {
			c.mu.Unlock()
			return true
		}
		w := c.wake
		c.mu.Unlock()
		<-w
	}
}
