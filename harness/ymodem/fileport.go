package ymodem

import (
	"context"
	"errors"
	"os"
	"time"
)

// FilePort adapts an *os.File whose reads honour deadlines (a pty master
// opened non-blocking, a tty opened by os.OpenFile) to a Port. A read that
// ctx ends returns ctx's cause; the file stays usable.
func FilePort(f *os.File) Port { return filePort{f} }

type filePort struct{ f *os.File }

func (p filePort) Write(b []byte) (int, error) { return p.f.Write(b) }

func (p filePort) ReadContext(ctx context.Context, b []byte) (int, error) {
	if err := ctx.Err(); err != nil {
		return 0, context.Cause(ctx)
	}
	// Ending ctx pulls the read deadline into the past, which wakes the
	// read; fired tells us to wait for that before clearing the deadline,
	// so a late SetReadDeadline cannot poison the next read.
	fired := make(chan struct{})
	stop := context.AfterFunc(ctx, func() {
		defer close(fired)
		_ = p.f.SetReadDeadline(time.Unix(1, 0))
	})
	n, err := p.f.Read(b)
	if !stop() {
		<-fired
		_ = p.f.SetReadDeadline(time.Time{})
		if n > 0 {
			return n, nil
		}
		if err == nil || errors.Is(err, os.ErrDeadlineExceeded) {
			return 0, context.Cause(ctx)
		}
	}
	return n, err
}
