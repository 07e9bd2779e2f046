package ymodem_test

import (
	"context"
	"testing"
	"time"

	"github.com/camrig/camrig/harness/ymodem"
)

// memPort is an in-memory line: each Write is one message the test reads
// with next; the test plays the receiver by queueing bytes with send.
type memPort struct {
	written chan []byte
	replies chan byte
}

func newMemPort() *memPort {
	return &memPort{written: make(chan []byte, 4096), replies: make(chan byte, 4096)}
}

func (m *memPort) Write(p []byte) (int, error) {
	m.written <- append([]byte(nil), p...)
	return len(p), nil
}

func (m *memPort) ReadContext(ctx context.Context, p []byte) (int, error) {
	select {
	case b := <-m.replies:
		p[0] = b
		return 1, nil
	case <-ctx.Done():
		return 0, context.Cause(ctx)
	}
}

func (m *memPort) send(bs ...byte) {
	for _, b := range bs {
		m.replies <- b
	}
}

// next returns the sender's next write, failing if none comes.
func (m *memPort) next(t *testing.T) []byte {
	t.Helper()
	select {
	case b := <-m.written:
		return b
	case <-time.After(5 * time.Second):
		t.Fatal("the sender wrote nothing within 5 s")
		return nil
	}
}

// quiet fails if the sender writes anything within d.
func (m *memPort) quiet(t *testing.T, d time.Duration) {
	t.Helper()
	select {
	case b := <-m.written:
		t.Fatalf("unexpected write % x", b[:min(len(b), 8)])
	case <-time.After(d):
	}
}

const (
	SOH = 0x01
	STX = 0x02
	EOT = 0x04
	ACK = 0x06
	NAK = 0x15
	CAN = 0x18
)

// packet is a decoded block.
type packet struct {
	blk  byte
	data []byte
}

// decode checks framing and trailer of a block sent in crc or checksum
// mode.
func decode(t *testing.T, p []byte, crc bool) packet {
	t.Helper()
	size := 128
	switch {
	case len(p) > 0 && p[0] == STX:
		size = 1024
	case len(p) > 0 && p[0] == SOH:
	default:
		t.Fatalf("not a block: % x", p[:min(len(p), 8)])
	}
	trailer := 1
	if crc {
		trailer = 2
	}
	if len(p) != 3+size+trailer {
		t.Fatalf("block of %d bytes, want %d", len(p), 3+size+trailer)
	}
	if p[1] != ^p[2] {
		t.Fatalf("blk %02x ~blk %02x", p[1], p[2])
	}
	data := p[3 : 3+size]
	if crc {
		if got, want := uint16(p[3+size])<<8|uint16(p[4+size]), ymodem.CRC16(data); got != want {
			t.Fatalf("CRC %04x, want %04x", got, want)
		}
	} else if p[3+size] != ymodem.Checksum(data) {
		t.Fatalf("checksum %02x, want %02x", p[3+size], ymodem.Checksum(data))
	}
	return packet{blk: p[1], data: data}
}

type result struct {
	st  ymodem.Stats
	err error
}

func goSend(f func() (ymodem.Stats, error)) <-chan result {
	ch := make(chan result, 1)
	go func() {
		st, err := f()
		ch <- result{st, err}
	}()
	return ch
}

func wait(t *testing.T, ch <-chan result) result {
	t.Helper()
	select {
	case r := <-ch:
		return r
	case <-time.After(10 * time.Second):
		t.Fatal("the sender did not return within 10 s")
		return result{}
	}
}
