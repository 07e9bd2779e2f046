package ymodem

import (
	"context"
	"errors"
	"io"
	"time"

	"github.com/camrig/camrig/harness/clock"
)

// errTimedOut is wait's internal "the deadline passed" result.
var errTimedOut = errors.New("timed out")

// maxEmptyReads bounds a Port that keeps returning (0, nil).
const maxEmptyReads = 100

// wait reads the receiver's bytes one at a time until handle returns true,
// d passes (errTimedOut), two CANs arrive in a row (ErrCancelled), the
// session's context ends (its cause) or the port fails. The deadline is fixed
// when the wait starts, so a receiver sending noise cannot stretch it.
func (ss *session) wait(d time.Duration, what string, handle func(b byte) bool) error {
	wctx, cancel := clock.WithTimeout(ss.ctx, ss.cfg.clk, d, what)
	defer cancel()
	for {
		b, err := ss.readByte(wctx)
		if err != nil {
			if ss.ctx.Err() != nil {
				return context.Cause(ss.ctx)
			}
			if wctx.Err() != nil {
				return errTimedOut
			}
			return err
		}
		if b == can {
			ss.cans++
			if ss.cans >= 2 {
				return ErrCancelled
			}
			continue
		}
		ss.cans = 0
		if handle(b) {
			return nil
		}
	}
}

// readByte reads exactly one byte, so nothing after the receiver's last
// answer is consumed.
func (ss *session) readByte(ctx context.Context) (byte, error) {
	var b [1]byte
	for range maxEmptyReads {
		n, err := ss.port.ReadContext(ctx, b[:])
		if n > 0 {
			ss.last = describe(b[0])
			return b[0], nil
		}
		if err != nil {
			return 0, err
		}
	}
	return 0, io.ErrNoProgress
}
