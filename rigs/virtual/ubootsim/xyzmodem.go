package ubootsim

// The device side of YMODEM/XMODEM, and its CRC-16, are written here on
// their own, independently of the harness's sender (harness/ymodem), on
// purpose: a shared implementation would carry one bug to both ends of the
// wire, and the transfer tests could not see it. lrzsz and Debian's real
// U-Boot under qemu check both ends against third parties.

import (
	"context"
	"hash/crc32"

	"github.com/camrig/camrig/rigs/virtual/device"
)

const (
	soh = 0x01
	stx = 0x02
	etx = 0x03
	eot = 0x04
	ack = 0x06
	nak = 0x15
	can = 0x18
	pad = 0x1A
)

// U-Boot's xyzModem limits.
const (
	maxRetries        = 20 // per header
	maxRetriesWithCRC = 10 // header timeouts before checksum mode
	canCount          = 3  // CANs that cancel
)

type xmode int

const (
	xmodem xmode = iota
	ymodem
)

// status is xyzModem's result code.
type status int

const (
	statOK status = iota
	statTimeout
	statEOF
	statCancel
	statFrame
	statCksum
	statSequence
)

// String is xyzModem_error's text.
func (s status) String() string {
	switch s {
	case statTimeout:
		return "Timed out"
	case statEOF:
		return "End of file"
	case statCancel:
		return "Cancelled"
	case statFrame:
		return "Invalid framing"
	case statCksum:
		return "CRC/checksum error"
	case statSequence:
		return "Block sequence error"
	}
	return "Unknown error"
}

// receiver is one xyzModem transfer. I/O errors (the unit losing power)
// end it at once and are returned as Go errors; protocol outcomes are
// statuses, as in U-Boot.
type receiver struct {
	ctx  context.Context
	io   device.BootIO
	t    Timing
	mode xmode

	crc        bool
	atEOF      bool
	txAck      bool
	nextBlk    byte
	blk, cblk  byte
	pkt        [1024]byte
	plen       int
	fileLength int64
	readLength int64

	totalSOH, totalSTX, totalCAN, totalRetries int
}

// getc reads one character with the per-character timeout; ok is false on
// a timeout.
func (x *receiver) getc() (c byte, ok bool, err error) {
	ctx, cancel := context.WithTimeout(x.ctx, x.t.CharTimeout)
	defer cancel()
	c, err = x.io.ReadByteContext(ctx)
	switch {
	case err == nil:
		return c, true, nil
	case x.ctx.Err() != nil:
		return 0, false, context.Cause(x.ctx)
	case ctx.Err() != nil:
		return 0, false, nil
	}
	return 0, false, err
}

func (x *receiver) put(c byte) error {
	_, err := x.io.Write([]byte{c})
	return err
}

// nakChar is what asks for a block again: 'C' in CRC mode, NAK otherwise.
func (x *receiver) nakChar() byte {
	if x.crc {
		return 'C'
	}
	return nak
}

// flush reads until the line has been quiet for a character timeout.
func (x *receiver) flush() error {
	for {
		_, ok, err := x.getc()
		if err != nil || !ok {
			return err
		}
	}
}

// getHeader reads one packet into pkt (xyzModem_get_hdr).
func (x *receiver) getHeader() (status, error) {
	if x.txAck {
		if err := x.put(ack); err != nil {
			return 0, err
		}
		x.txAck = false
	}
	var start byte
	for cans, chars := 0, 0; start == 0; {
		c, ok, err := x.getc()
		if err != nil {
			return 0, err
		}
		if !ok {
			if err := x.flush(); err != nil {
				return 0, err
			}
			if err := pause(x.ctx, x.t.HeaderTimeoutDelay); err != nil {
				return 0, err
			}
			return statTimeout, nil
		}
		chars++
		switch c {
		case soh:
			x.totalSOH++
			start = c
		case stx:
			x.totalSTX++
			start = c
		case can, etx:
			x.totalCAN++
			if cans++; cans == canCount {
				return statCancel, nil
			}
		case eot:
			// Only a clean EOT counts: after noise it is noise.
			if chars == 1 {
				if err := x.put(ack); err != nil {
					return 0, err
				}
				return statEOF, nil
			}
		}
	}
	var ok bool
	var err error
	if x.blk, ok, err = x.getc(); err != nil || !ok {
		return statTimeout, err
	}
	if x.cblk, ok, err = x.getc(); err != nil || !ok {
		return statTimeout, err
	}
	x.plen = 128
	if start == stx {
		x.plen = 1024
	}
	for i := range x.plen {
		if x.pkt[i], ok, err = x.getc(); err != nil || !ok {
			return statTimeout, err
		}
	}
	crc1, ok, err := x.getc()
	if err != nil || !ok {
		return statTimeout, err
	}
	var crc2 byte
	if x.crc {
		if crc2, ok, err = x.getc(); err != nil || !ok {
			return statTimeout, err
		}
	}
	if x.blk^x.cblk != 0xFF {
		if err := x.flush(); err != nil {
			return 0, err
		}
		return statFrame, nil
	}
	data := x.pkt[:x.plen]
	if x.crc {
		if crc16(data) != uint16(crc1)<<8|uint16(crc2) {
			return statCksum, nil
		}
	} else if checksum(data) != crc1 {
		return statCksum, nil
	}
	return statOK, nil
}

// open starts the transfer (xyzModem_stream_open): 'C' at once, then in
// YMODEM mode wait for block 0.
func (x *receiver) open() (status, error) {
	x.crc = true
	if err := x.put(x.nakChar()); err != nil {
		return 0, err
	}
	if x.mode == xmodem {
		x.nextBlk = 1
		return statOK, nil
	}
	crcRetries := maxRetriesWithCRC
	var st status
	for range maxRetries {
		var err error
		if st, err = x.getHeader(); err != nil {
			return 0, err
		}
		if st == statOK {
			if x.blk == 0 {
				x.fileLength = parseBlock0Length(x.pkt[:x.plen])
				x.txAck = true
			}
			x.nextBlk = 1
			x.plen = 0
			return statOK, nil
		}
		if st == statTimeout {
			if crcRetries--; crcRetries <= 0 {
				x.crc = false
			}
			if err := pause(x.ctx, x.t.OpenRetryDelay); err != nil {
				return 0, err
			}
			if err := x.put(x.nakChar()); err != nil {
				return 0, err
			}
			x.totalRetries++
		}
		if st == statCancel {
			break
		}
	}
	return st, nil
}

// next returns the next block's payload, empty at the end of the file
// (then x.atEOF is set), or the status that ended the transfer
// (xyzModem_stream_read for one block).
func (x *receiver) next() ([]byte, status, error) {
	var st status
	for range maxRetries {
		var err error
		if st, err = x.getHeader(); err != nil {
			return nil, 0, err
		}
		if st == statOK {
			switch x.blk {
			case x.nextBlk:
				x.txAck = true
				x.nextBlk++
				return x.trim(x.pkt[:x.plen]), statOK, nil
			case x.nextBlk - 1:
				// A repeat of the last block: ACK it again, read on.
				if err := x.put(ack); err != nil {
					return nil, 0, err
				}
				continue
			default:
				st = statSequence
			}
		}
		if st == statCancel {
			break
		}
		if st == statEOF {
			if err := x.put(ack); err != nil {
				return nil, 0, err
			}
			if x.mode == ymodem {
				if err := x.put(x.nakChar()); err != nil {
					return nil, 0, err
				}
				x.totalRetries++
				if st, err = x.getHeader(); err != nil {
					return nil, 0, err
				}
				if err := x.put(ack); err != nil {
					return nil, 0, err
				}
			}
			x.atEOF = true
			break
		}
		if err := x.put(x.nakChar()); err != nil {
			return nil, 0, err
		}
		x.totalRetries++
	}
	if x.atEOF && (st == statOK || st == statEOF) {
		return nil, statOK, nil
	}
	return nil, st, nil
}

// trim drops padding: trailing ^Z runs of three or more where the length
// is unknown (XMODEM, or YMODEM without a length), else what lies past the
// length from block 0.
func (x *receiver) trim(p []byte) []byte {
	n := len(p)
	if x.mode == xmodem || x.fileLength == 0 {
		if n >= 3 && p[n-1] == pad && p[n-2] == pad && p[n-3] == pad {
			for n > 0 && p[n-1] == pad {
				n--
			}
		}
		return p[:n]
	}
	x.readLength += int64(n)
	if over := x.readLength - x.fileLength; over > 0 {
		n = max(0, n-int(min(over, int64(n))))
	}
	return p[:n]
}

// drain eats what has already arrived, as xyzModem_stream_terminate does
// so the shell does not take protocol bytes for typing.
func (x *receiver) drain() {
	done, cancel := context.WithCancel(x.ctx)
	cancel()
	for range 1 << 16 {
		if _, err := x.io.ReadByteContext(done); err != nil {
			return
		}
	}
}

// parseBlock0Length reads the decimal length after the NUL-terminated name
// (U-Boot's parse_num up to a space); a malformed length counts as unknown.
func parseBlock0Length(b []byte) int64 {
	i := 0
	for i < len(b) && b[i] != 0 {
		i++
	}
	i++
	for i < len(b) && b[i] == ' ' {
		i++
	}
	var v int64
	for ; i < len(b) && b[i] != 0 && b[i] != ' '; i++ {
		if b[i] < '0' || b[i] > '9' || v > (1<<53) {
			return 0
		}
		v = v*10 + int64(b[i]-'0')
	}
	return v
}

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

// crc16 is CRC-16/CCITT as U-Boot's crc16_ccitt(0, ...) (XMODEM's CRC).
func crc16(p []byte) uint16 {
	var c uint16
	for _, b := range p {
		c = c<<8 ^ crcTable[byte(c>>8)^b]
	}
	return c
}

func checksum(p []byte) byte {
	var s byte
	for _, b := range p {
		s += b
	}
	return s
}

// crc32IEEE is what U-Boot's crc32 command prints.
func crc32IEEE(p []byte) uint32 { return crc32.ChecksumIEEE(p) }
