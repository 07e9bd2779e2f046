package ymodem

import "fmt"

// Control characters of the protocol.
const (
	soh = 0x01 // start of a 128-byte block
	stx = 0x02 // start of a 1024-byte block
	eot = 0x04 // end of file
	ack = 0x06
	nak = 0x15
	can = 0x18 // cancel; two in a row abort
	crc = 'C'  // receiver asks for CRC-16 mode
	pad = 0x1A // CP/M EOF, fills the last block
)

const (
	smallBlock = 128
	bigBlock   = 1024
	// maxPacket is STX, blk, ~blk, 1024 data bytes and a 2-byte CRC.
	maxPacket = 3 + bigBlock + 2
)

// crcTable is CRC-16/XMODEM (poly 0x1021, init 0, no reflection) by byte.
var crcTable = func() (t [256]uint16) {
	for i := range t {
		c := uint16(i) << 8
		for range 8 {
			if c&0x8000 != 0 {
				c = c<<1 ^ 0x1021
			} else {
				c <<= 1
			}
		}
		t[i] = c
	}
	return t
}()

// CRC16 is the CRC-16/XMODEM of p (poly 0x1021, init 0), the trailer of a
// block in CRC mode (sent high byte first).
func CRC16(p []byte) uint16 {
	var c uint16
	for _, b := range p {
		c = c<<8 ^ crcTable[byte(c>>8)^b]
	}
	return c
}

// Checksum is the 8-bit arithmetic sum of p, the trailer of a block in
// checksum mode.
func Checksum(p []byte) byte {
	var s byte
	for _, b := range p {
		s += b
	}
	return s
}

// encodePacket writes one block into dst (which must hold maxPacket bytes)
// and returns the packet. data shorter than size is padded with 0x1A (or
// with NUL for YMODEM's block 0, see zeroPad).
func encodePacket(dst []byte, blk byte, size int, data []byte, useCRC, zeroPad bool) []byte {
	if len(data) > size {
		panic(fmt.Sprintf("ymodem: %d bytes do not fit a %d-byte block", len(data), size))
	}
	start := byte(soh)
	if size == bigBlock {
		start = stx
	}
	p := dst[:3+size]
	p[0], p[1], p[2] = start, blk, ^blk
	body := p[3:]
	n := copy(body, data)
	fill := byte(pad)
	if zeroPad {
		fill = 0
	}
	for i := n; i < size; i++ {
		body[i] = fill
	}
	if useCRC {
		c := CRC16(body)
		return append(p, byte(c>>8), byte(c))
	}
	return append(p, Checksum(body))
}

// describe names a byte from the receiver for error messages.
func describe(b byte) string {
	switch b {
	case ack:
		return "ACK"
	case nak:
		return "NAK"
	case can:
		return "CAN"
	case eot:
		return "EOT"
	case crc:
		return "'C'"
	}
	if b >= 0x20 && b < 0x7f {
		return fmt.Sprintf("%q", rune(b))
	}
	return fmt.Sprintf("0x%02X", b)
}
