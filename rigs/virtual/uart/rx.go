package uart

import (
	"context"
	"errors"
	"os"
	"time"
)

// minRxWait batches paced input: a reader waiting for the next byte sleeps
// at least this long, then takes every byte that has arrived by then. It
// keeps a 1 KiB YMODEM block from costing a timer per byte.
const minRxWait = time.Millisecond

// receive reads what the harness sends through adapter f and queues it
// with arrival times, until f is unplugged or the UART closes.
func (u *UART) receive(f *os.File, done chan struct{}) {
	defer u.wg.Done()
	defer close(done)
	buf := make([]byte, 4096)
	for {
		n, err := f.Read(buf)
		if n > 0 {
			u.deliver(buf[:n], time.Now())
		}
		if err != nil {
			u.mu.Lock()
			gone := u.closed || u.f != f
			u.mu.Unlock()
			if !gone && !errors.Is(err, os.ErrDeadlineExceeded) {
				u.log.Warn("uart: read from pty; input stops", "err", err)
			}
			return
		}
	}
}

func (u *UART) deliver(p []byte, now time.Time) {
	u.mu.Lock()
	defer u.mu.Unlock()
	u.received += uint64(len(p))
	if !u.on || u.closed {
		return // a dead unit hears nothing
	}
	if room := u.cfg.RxBuffer - u.rxLen; len(p) > room {
		u.rxDropped += uint64(len(p) - room)
		p = p[:room]
	}
	if len(p) == 0 {
		return
	}
	if u.rxNext.Before(now) {
		u.rxNext = now
	}
	c := rxChunk{data: append([]byte(nil), p...), start: u.rxNext, bits: int64(u.bits), baud: int64(u.baud)}
	u.rxNext = c.avail(len(p) - 1)
	u.rx = append(u.rx, c)
	u.rxLen += len(p)
	close(u.rxChanged)
	u.rxChanged = make(chan struct{})
}

func (u *UART) clearRxLocked() {
	u.rx, u.rxLen = nil, 0
	close(u.rxChanged)
	u.rxChanged = make(chan struct{})
}

// ClearInput discards input not read yet (a bootloader handing over to
// the kernel loses its FIFO).
func (u *UART) ClearInput() {
	u.mu.Lock()
	defer u.mu.Unlock()
	u.clearRxLocked()
}

// Received is how many bytes the harness sent in all, heard or not.
func (u *UART) Received() uint64 {
	u.mu.Lock()
	defer u.mu.Unlock()
	return u.received
}

// Buffered is how many input bytes wait to be read (arrived or arriving).
func (u *UART) Buffered() int {
	u.mu.Lock()
	defer u.mu.Unlock()
	return u.rxLen
}

// ReadByteContext returns the next byte the harness sent, once it has
// arrived at line rate, or ctx's error (device.BootIO).
func (u *UART) ReadByteContext(ctx context.Context) (byte, error) {
	return u.ReadByteUntil(ctx, nil)
}

// ReadByteUntil is ReadByteContext that also gives up when stop is closed (the
// unit's own power/reboot context), returning context.Canceled.
func (u *UART) ReadByteUntil(ctx context.Context, stop <-chan struct{}) (byte, error) {
	var timer *time.Timer
	defer func() {
		if timer != nil {
			timer.Stop()
		}
	}()
	for {
		u.mu.Lock()
		if u.closed {
			u.mu.Unlock()
			return 0, ErrClosed
		}
		changed := u.rxChanged
		var wait <-chan time.Time
		if len(u.rx) > 0 {
			c := &u.rx[0]
			now := time.Now()
			at := c.avail(0)
			if !at.After(now) {
				b := c.data[0]
				c.data = c.data[1:]
				c.start = at
				u.rxLen--
				if len(c.data) == 0 {
					u.rx[0] = rxChunk{}
					u.rx = u.rx[1:]
				}
				u.mu.Unlock()
				return b, nil
			}
			// The tail of a burst (a YMODEM block's last bytes and CRC, the
			// end of a typed line) is waited for precisely, so the reader
			// has the last byte the moment it has arrived, as a bootloader
			// polling its FIFO does (bytes before it are taken then too:
			// a byte may be read late, never early). The body of the burst
			// is taken in timer batches, and the last batch's timer is
			// set early enough that its lateness cannot make the reader
			// late for the tail: a 1 KiB block read a batch late (a
			// millisecond) would add that to every round trip.
			end := u.rx[len(u.rx)-1].availLast()
			if end.Sub(now) < preciseTail {
				u.mu.Unlock()
				sleepUntil(end)
				continue
			}
			d := min(max(at.Sub(now), minRxWait), end.Sub(now)-preciseTail)
			if timer == nil {
				timer = time.NewTimer(d)
			} else {
				timer.Reset(d)
			}
			wait = timer.C
		}
		u.mu.Unlock()
		select {
		case <-wait:
		case <-changed:
			if timer != nil {
				timer.Stop()
			}
		case <-ctx.Done():
			return 0, context.Cause(ctx)
		case <-stop:
			return 0, context.Canceled
		case <-u.done:
			return 0, ErrClosed
		}
	}
}
