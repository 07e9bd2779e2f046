package unit

import (
	"context"

	"github.com/camrig/camrig/rigs/virtual/device"
)

// bootIO is the console as one boot generation sees it: once the unit is
// cut or restarted, its writes fail and its reads end, so a goroutine of an
// earlier boot can never print into a later one.
type bootIO struct {
	u   *Unit
	gen uint64
	ctx context.Context
	// powerOn: this boot began at power-on (not a restart).
	powerOn bool
}

var _ device.BootIO = (*bootIO)(nil)

// Write queues p on the UART and waits until it is on the wire.
func (b *bootIO) Write(p []byte) (int, error) {
	b.u.mu.Lock()
	if b.u.gen != b.gen {
		b.u.mu.Unlock()
		return 0, errStale
	}
	done := b.u.uart.Queue(p)
	b.u.mu.Unlock()
	select {
	case err := <-done:
		if err != nil {
			return 0, err
		}
		return len(p), nil
	case <-b.ctx.Done():
		return 0, context.Cause(b.ctx)
	}
}

// ReadByteContext is device.BootIO's read: the next input byte, ending when
// ctx or this boot ends.
func (b *bootIO) ReadByteContext(ctx context.Context) (byte, error) {
	return b.u.uart.ReadByteUntil(ctx, b.ctx.Done())
}

// Baud is the console's current rate.
func (b *bootIO) Baud() int { return b.u.uart.Baud() }

// SetBaud changes the console's rate (until the next boot).
func (b *bootIO) SetBaud(baud int) {
	b.u.mu.Lock()
	defer b.u.mu.Unlock()
	if b.u.gen == b.gen {
		b.u.uart.SetBaud(baud)
	}
}

// print writes s as a line.
func (b *bootIO) println(s string) error {
	_, err := b.Write([]byte(s + "\r\n"))
	return err
}

func (b *bootIO) print(s string) error {
	_, err := b.Write([]byte(s))
	return err
}
