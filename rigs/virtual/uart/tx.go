package uart

import (
	"errors"
	"time"

	"golang.org/x/sys/unix"
)

// maxLag is how far behind line time the transmitter may fall (a stalled
// process) before it stops catching up and restarts the line from now.
const maxLag = 20 * time.Millisecond

// Queue hands p to the transmitter and returns at once. The channel gets
// nil when the last byte of p is on the wire, or ErrPowerOff / ErrClosed if
// it was dropped. p is copied.
func (u *UART) Queue(p []byte) <-chan error {
	done := make(chan error, 1)
	u.mu.Lock()
	defer u.mu.Unlock()
	switch {
	case u.closed:
		done <- ErrClosed
		return done
	case !u.on:
		done <- ErrPowerOff
		return done
	case len(p) == 0:
		done <- nil
		return done
	}
	now := time.Now()
	// On an idle line the first bit leaves now, as a real UART starts
	// shifting the moment its holding register is written; the
	// transmitter waking up later must not delay it.
	if len(u.queue) == 0 && u.lineFree.Before(now) {
		u.lineFree = now
	}
	u.queue = append(u.queue, &segment{data: append([]byte(nil), p...), done: done})
	select {
	case u.txWake <- struct{}{}:
	default:
	}
	return done
}

// Write sends p at line rate and returns when its last byte is on the
// wire. A power cut in between ends it with ErrPowerOff.
func (u *UART) Write(p []byte) (int, error) {
	if err := <-u.Queue(p); err != nil {
		return 0, err
	}
	return len(p), nil
}

// transmit is the line driver: it takes up to one chunk of line time from
// the queue, waits until that chunk would have finished on the wire, and
// writes it to the pty.
func (u *UART) transmit() {
	defer u.wg.Done()
	timer := time.NewTimer(time.Hour)
	timer.Stop()
	buf := make([]byte, 0, 1024)
	for {
		u.mu.Lock()
		for !u.closed && (len(u.queue) == 0 || !u.on) {
			u.mu.Unlock()
			select {
			case <-u.txWake:
			case <-u.done:
			}
			u.mu.Lock()
		}
		if u.closed {
			u.mu.Unlock()
			return
		}
		k := max(1, int(int64(u.chunkN)*int64(u.baud)/int64(u.bits)/int64(time.Second)))
		buf = u.peekLocked(buf[:0], k)
		epoch := u.epoch
		// While streaming, the next chunk starts where the last one ended
		// even if this goroutine woke late, so timer latency does not add
		// up; after an idle line it starts when it was queued (see Queue),
		// after a long stall now.
		if now := time.Now(); u.lineFree.Before(now.Add(-maxLag)) {
			u.lineFree = now
		}
		due := u.lineFree.Add(u.lineTimeLocked(len(buf)))
		u.mu.Unlock()

		if !u.waitUntil(timer, due, epoch) {
			continue // cut or closed while the chunk was "on the wire"
		}

		u.mu.Lock()
		if u.closed || u.epoch != epoch {
			u.mu.Unlock()
			continue
		}
		var n int
		if u.raw == nil {
			u.lost += uint64(len(buf)) // on the wire, but no adapter to hear it
		} else {
			n = u.writeLocked(buf)
			u.sent += uint64(n)
			u.overruns += uint64(len(buf) - n)
		}
		u.lineFree = due
		u.consumeLocked(len(buf))
		tap := u.cfg.Tap
		u.mu.Unlock()
		if tap != nil && n > 0 {
			tap(buf[:n], time.Now())
		}
	}
}

// waitUntil sleeps until due; it returns false early if the queue was
// dropped (a cut: epoch changed) or the UART closed.
func (u *UART) waitUntil(timer *time.Timer, due time.Time, epoch uint64) bool {
	d := time.Until(due)
	if d <= 0 {
		return true
	}
	if d < preciseBelow {
		sleepUntil(due)
		u.mu.Lock()
		defer u.mu.Unlock()
		return !u.closed && u.epoch == epoch
	}
	timer.Reset(d)
	defer timer.Stop()
	for {
		select {
		case <-timer.C:
			return true
		case <-u.done:
			return false
		case <-u.txWake:
			// New data or a cut; only a cut matters now.
			u.mu.Lock()
			cut := u.epoch != epoch
			u.mu.Unlock()
			if cut {
				return false
			}
		}
	}
}

// peekLocked copies up to k queued bytes, without consuming them.
func (u *UART) peekLocked(buf []byte, k int) []byte {
	off := u.headOff
	for _, s := range u.queue {
		rest := s.data[off:]
		off = 0
		if need := k - len(buf); len(rest) > need {
			rest = rest[:need]
		}
		buf = append(buf, rest...)
		if len(buf) == k {
			break
		}
	}
	return buf
}

// consumeLocked marks n bytes as sent, completing whole segments.
func (u *UART) consumeLocked(n int) {
	for n > 0 && len(u.queue) > 0 {
		s := u.queue[0]
		rest := len(s.data) - u.headOff
		if n < rest {
			u.headOff += n
			return
		}
		n -= rest
		s.done <- nil
		u.queue[0] = nil
		u.queue = u.queue[1:]
		u.headOff = 0
	}
}

// writeLocked writes without blocking: a real UART does not wait for the
// far end, so when the pty buffer is full (nobody reads the slave) the rest
// is lost, as bytes are lost on a bench with no cable attached.
func (u *UART) writeLocked(p []byte) int {
	var n int
	var werr error
	err := u.raw.Write(func(fd uintptr) bool {
		for n < len(p) {
			m, err := unix.Write(int(fd), p[n:])
			if m > 0 {
				n += m
			}
			if errors.Is(err, unix.EINTR) {
				continue
			}
			if err != nil && !errors.Is(err, unix.EAGAIN) {
				werr = err
			}
			if err != nil || m <= 0 {
				break
			}
		}
		return true
	})
	if err == nil {
		err = werr
	}
	if err != nil {
		u.log.Warn("uart: write to pty", "err", err)
	}
	return n
}
