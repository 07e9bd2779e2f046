package boardtest

import (
	"fmt"
	"io"
	"sync"
)

// LCUS plays an LCUS USB relay board: frames A0 ch state sum, no answer;
// with Status set it answers the query FF with "CHn:ON|OFF\r\n" for
// Channels channels.
type LCUS struct {
	recorder

	Status   bool
	Channels int
	// StatusReply, when set, is sent instead of the status lines (a board
	// answering something else).
	StatusReply string

	mu  sync.Mutex
	buf []byte
	bad int
}

// BadFrames counts frames with a wrong checksum or state byte.
func (l *LCUS) BadFrames() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.bad
}

// Serve plays the board on rw until a read or write fails.
func (l *LCUS) Serve(rw io.ReadWriter) error { return l.serve(rw, l.handle) }

func (l *LCUS) handle(p []byte) []byte {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.buf = append(l.buf, p...)
	var out []byte
	for len(l.buf) > 0 {
		switch l.buf[0] {
		case 0xFF:
			l.buf = l.buf[1:]
			if l.StatusReply != "" {
				out = append(out, l.StatusReply...)
			} else if l.Status {
				for ch := 1; ch <= max(l.Channels, 1); ch++ {
					st := "OFF"
					if l.Relay(ch) {
						st = "ON"
					}
					out = append(out, fmt.Sprintf("CH%d:%s\r\n", ch, st)...)
				}
			}
		case 0xA0:
			if len(l.buf) < 4 {
				return out
			}
			f := l.buf[:4]
			l.buf = l.buf[4:]
			if f[3] != f[0]+f[1]+f[2] || f[2] > 1 {
				l.bad++
				continue
			}
			l.setRelay(int(f[1]), f[2] == 1)
		default:
			l.bad++
			l.buf = l.buf[1:]
		}
	}
	return out
}

// KMTronic plays a KMTronic one/two-relay USB board: FF nn 00|01 sets,
// FF nn 03 asks (answered FF nn 00|01 when Status is set).
type KMTronic struct {
	recorder

	Status bool

	mu  sync.Mutex
	buf []byte
	bad int
}

// BadFrames counts frames it did not understand.
func (k *KMTronic) BadFrames() int {
	k.mu.Lock()
	defer k.mu.Unlock()
	return k.bad
}

// Serve plays the board on rw until a read or write fails.
func (k *KMTronic) Serve(rw io.ReadWriter) error { return k.serve(rw, k.handle) }

func (k *KMTronic) handle(p []byte) []byte {
	k.mu.Lock()
	defer k.mu.Unlock()
	k.buf = append(k.buf, p...)
	var out []byte
	for len(k.buf) >= 3 {
		f := k.buf[:3]
		if f[0] != 0xFF {
			k.bad++
			k.buf = k.buf[1:]
			continue
		}
		k.buf = k.buf[3:]
		ch := int(f[1])
		switch f[2] {
		case 0x00, 0x01:
			k.setRelay(ch, f[2] == 1)
		case 0x03:
			if k.Status {
				st := byte(0)
				if k.Relay(ch) {
					st = 1
				}
				out = append(out, 0xFF, f[1], st)
			}
		default:
			k.bad++
		}
	}
	return out
}
