package uboottest

import (
	"bytes"
	"strconv"

	"github.com/camrig/camrig/harness/ymodem"
)

// YMODEM bytes (ymodem.txt).
const (
	soh = 0x01
	stx = 0x02
	eot = 0x04
	ack = 0x06
	nak = 0x15
	can = 0x18
)

// receiver is the unit's side of a loady, fed one byte at a time.
type receiver struct {
	addr      uint64
	buf       []byte
	header    bool // block 0 received
	size      int
	next      byte
	data      []byte
	eotSeen   bool
	cans      int
	cancelled bool
}

func (r *receiver) reply(u *Unit, b ...byte) { u.dev.Write(b) }

func (r *receiver) feed(u *Unit, b byte) {
	if len(r.buf) == 0 {
		switch b {
		case eot:
			r.reply(u, ack)
			if !r.eotSeen {
				r.eotSeen = true
				r.reply(u, 'C') // ask for the end-of-batch block 0
			}
			return
		case can:
			if r.cans++; r.cans >= 2 {
				u.loadDone(nil, true)
			}
			return
		case soh, stx:
			r.cans = 0
		default:
			return // line noise between packets
		}
	}
	r.buf = append(r.buf, b)
	size := 128
	if r.buf[0] == stx {
		size = 1024
	}
	if len(r.buf) < 3+size+2 {
		return
	}
	pkt := r.buf
	r.buf = nil
	blk, data := pkt[1], pkt[3:3+size]
	crc := uint16(pkt[3+size])<<8 | uint16(pkt[4+size])
	if pkt[1]^pkt[2] != 0xff || crc != ymodem.CRC16(data) {
		r.reply(u, nak)
		return
	}
	switch {
	case blk == 0 && !r.header:
		name, rest, _ := bytes.Cut(data, []byte{0})
		f := bytes.Fields(rest)
		if len(name) == 0 || len(f) == 0 {
			r.reply(u, ack) // an empty batch
			u.loadDone(nil, false)
			return
		}
		r.size, _ = strconv.Atoi(string(bytes.TrimRight(f[0], "\x00")))
		r.header, r.next = true, 1
		r.reply(u, ack, 'C')
	case blk == 0 && r.eotSeen:
		r.reply(u, ack)
		u.loadDone(r.data[:min(r.size, len(r.data))], false)
	case blk == r.next:
		r.data = append(r.data, data...)
		r.next++
		if u.CancelLoads > 0 {
			u.CancelLoads--
			r.reply(u, can, can, can)
			u.loadDone(nil, true)
			return
		}
		r.reply(u, ack)
	case blk == r.next-1:
		r.reply(u, ack) // a repeat of a block already taken
	default:
		r.reply(u, nak)
	}
}
