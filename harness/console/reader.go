package console

// readLoop is the console's one reader: it stamps every chunk into the
// transcript, and when the port fails it reports the disconnection and
// reopens, until Close.
func (c *Console) readLoop(p Port) {
	defer close(c.readerEnd)
	buf := make([]byte, 4096)
	for {
		n, err := p.Read(buf)
		if n > 0 {
			c.tr.append(c.clk.Now(), buf[:n])
		}
		if err == nil {
			// (0, nil) is a read timeout on some drivers: no data, not EOF.
			continue
		}
		if c.isClosed() {
			return
		}
		c.dropped(p, err)
		if p = c.reopen(); p == nil {
			return
		}
	}
}

func (c *Console) isClosed() bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.closed
}

// dropped records that p failed with err and closes it.
func (c *Console) dropped(p Port, err error) {
	now := c.clk.Now()
	de := &DisconnectedError{Port: c.name, Since: now, Err: err}
	c.mu.Lock()
	if c.port == p {
		c.port = nil
	}
	c.connErr = de
	c.lastDrop = de
	c.drops++
	c.changedLocked()
	c.mu.Unlock()
	c.tr.gapDown(now)
	p.Close()
	c.log.Warn("console disconnected; will reopen when the port returns", "err", err)
	c.markAt(now, "disconnected", err.Error(), nil)
}

// reconnected installs p as the port unless the console closed meanwhile.
func (c *Console) reconnected(p Port) bool {
	c.mu.Lock()
	if c.closed {
		c.mu.Unlock()
		return false
	}
	var baudErr error
	if bs, ok := p.(BaudSetter); ok && c.baud != c.openBaud && c.baud > 0 {
		// SetBaud switched the line before the drop; the device is still
		// at that rate.
		baudErr = bs.SetBaud(c.baud)
	}
	c.port = p
	c.connErr = nil
	c.changedLocked()
	c.mu.Unlock()
	c.tr.gapUp(c.clk.Now())
	if baudErr != nil {
		c.log.Error("console reopened but could not restore its baud rate", "baud", c.baud, "err", baudErr)
	}
	c.log.Info("console reopened")
	c.mark("reconnected", "")
	return true
}
