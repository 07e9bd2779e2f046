package console

import (
	"fmt"
	"strconv"
)

// SetBaud switches the line rate, as U-Boot's `loady addr baud` asks. On a
// socket (qemu) there is no line rate and only the bookkeeping changes. A
// port reopened after a drop comes back at this rate.
func (c *Console) SetBaud(baud int) error {
	if baud <= 0 {
		return fmt.Errorf("console %s: baud %d must be positive", c.name, baud)
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.closed {
		return fmt.Errorf("console %s: set baud: %w", c.name, ErrClosed)
	}
	if bs, ok := c.port.(BaudSetter); ok && c.port != nil {
		if err := bs.SetBaud(baud); err != nil {
			return fmt.Errorf("console %s: set baud %d: %w", c.name, baud, err)
		}
	}
	c.baud = baud
	c.mark("baud", strconv.Itoa(baud))
	return nil
}

// Baud is the current line rate (0 if unknown, e.g. a Dial'd port).
func (c *Console) Baud() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.baud
}
