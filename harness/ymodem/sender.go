package ymodem

import (
	"context"
	"errors"
	"fmt"
	"io"
	"time"
)

// Port is the line to the receiver. harness/console's *Console satisfies it;
// FilePort adapts an *os.File (a pty master, a tty).
type Port interface {
	io.Writer
	// ReadContext blocks until at least one byte has arrived or ctx ends
	// (then it returns ctx's error or cause).
	ReadContext(ctx context.Context, p []byte) (int, error)
}

// File is one YMODEM file.
type File struct {
	// Name goes into block 0; the receiver uses it to name the file. It must
	// not be empty (an empty name ends the batch) nor hold a NUL.
	Name string
	Data []byte
	// ModTime, if set, is sent in block 0 (octal seconds since 1970).
	ModTime time.Time
}

// Stats describe a finished (or failed) transfer.
type Stats struct {
	// CRC is true if blocks carried CRC-16, false for the 8-bit checksum.
	CRC bool
	// Blocks counts acknowledged data blocks (not block 0 or EOT).
	Blocks int
	// Retransmits counts blocks (and EOTs) sent more than once.
	Retransmits int
	// Bytes is the payload the receiver acknowledged.
	Bytes int64
	// EndUnconfirmed is set when every data block was acknowledged but the
	// receiver went silent instead of answering the transfer's last EOT
	// (XMODEM) or end-of-batch block 0 (YMODEM). lrzsz does that: it
	// flushes its tty on exit, discarding its last ACK. Verify the image
	// (crc32) before trusting it, as always.
	EndUnconfirmed bool
}

// Sender sends files over a Port. A Sender runs one transfer at a time.
type Sender struct {
	port Port
	cfg  config
}

// New returns a Sender on p.
func New(p Port, opts ...Option) *Sender {
	return &Sender{port: p, cfg: newConfig(opts)}
}

// XModem sends data with 128-byte blocks, in CRC or checksum mode as the
// receiver asks. The receiver gets data padded with 0x1A to a whole block.
func (s *Sender) XModem(ctx context.Context, data []byte) (Stats, error) {
	return s.xmodem(ctx, data, false)
}

// XModem1K sends data with 1024-byte blocks (128-byte ones for a short tail,
// and throughout if the receiver asks for checksum mode).
func (s *Sender) XModem1K(ctx context.Context, data []byte) (Stats, error) {
	return s.xmodem(ctx, data, !s.cfg.small)
}

func (s *Sender) xmodem(ctx context.Context, data []byte, big bool) (Stats, error) {
	ss := s.session(ctx, big, int64(len(data)))
	err := ss.runXModem(data)
	return ss.finish(err)
}

// YModem sends files as one YMODEM batch, then ends the batch.
func (s *Sender) YModem(ctx context.Context, files ...File) (Stats, error) {
	var total int64
	for _, f := range files {
		if f.Name == "" {
			return Stats{}, &Error{Stage: "checking the files", Err: fmt.Errorf("%w: empty name", ErrBadFile)}
		}
		total += int64(len(f.Data))
	}
	ss := s.session(ctx, !s.cfg.small, total)
	err := ss.runYModem(files)
	return ss.finish(err)
}

func (s *Sender) session(ctx context.Context, big bool, total int64) *session {
	ss := &session{port: s.port, cfg: &s.cfg, ctx: ctx, big: big, total: total}
	ss.progress()
	return ss
}

// session is the state of one transfer.
type session struct {
	port  Port
	cfg   *config
	ctx   context.Context
	big   bool // 1024-byte blocks allowed (XMODEM-1K, YMODEM)
	crc   bool
	stats Stats
	total int64

	file    string // current YMODEM file, for errors
	fileOff int64  // acknowledged bytes of file
	lastRTT time.Duration
	last    string // last byte received, described
	cans    int    // consecutive CANs received
	buf     [maxPacket]byte
}

func (ss *session) runXModem(data []byte) error {
	if err := ss.awaitStart(ss.cfg.startTimeout, true); err != nil {
		return err
	}
	if err := ss.sendData(data, true); err != nil {
		return err
	}
	return ss.sendEOT(true)
}

func (ss *session) runYModem(files []File) error {
	for i, f := range files {
		ss.file, ss.fileOff = f.Name, 0
		hdr, err := header(f)
		if err != nil {
			return ss.fail("block 0", 0, err)
		}
		timeout, strict := ss.cfg.startTimeout, true
		if i > 0 {
			timeout, strict = ss.cfg.ackTimeout, false
		}
		if err := ss.awaitStart(timeout, strict); err != nil {
			return err
		}
		size := smallBlock
		if len(hdr) >= smallBlock { // block 0 needs a NUL after the fields
			if !ss.crc || !ss.big {
				return ss.fail("block 0", 0, fmt.Errorf("%w: name %q needs a 1024-byte block 0, which checksum mode or 128-byte blocks do not allow", ErrBadFile, f.Name))
			}
			size = bigBlock
		}
		if err := ss.sendBlock("block 0", 0, size, hdr, true, false, false); err != nil {
			return err
		}
		sawStart, err := ss.awaitDataStart()
		if err != nil {
			return err
		}
		if err := ss.sendData(f.Data, sawStart); err != nil {
			return err
		}
		if err := ss.sendEOT(false); err != nil {
			return err
		}
	}
	ss.file, ss.fileOff = "", 0
	if err := ss.awaitStart(ss.cfg.ackTimeout, false); err != nil {
		return err
	}
	return ss.sendBlock("end-of-batch block 0", 0, smallBlock, nil, true, false, true)
}

// awaitStart waits for the receiver's 'C' (CRC mode) or NAK (checksum
// mode). If strict, silence is an error; otherwise the sender goes ahead in
// the current mode (the receiver may have asked and the byte was lost).
func (ss *session) awaitStart(d time.Duration, strict bool) error {
	var got byte
	err := ss.wait(d, "the receiver's 'C' or NAK", func(b byte) bool {
		if b == crc || b == nak {
			got = b
			return true
		}
		return false
	})
	switch {
	case err == nil:
		ss.crc = got == crc
		return nil
	case errors.Is(err, errTimedOut) && !strict:
		return nil
	case errors.Is(err, errTimedOut):
		return ss.fail("waiting for the receiver to start", 0, ErrNoAnswer)
	}
	return ss.fail("waiting for the receiver to start", 0, err)
}

// awaitDataStart waits a short grace after block 0 for the 'C' that asks
// for the data; U-Boot never sends it, so its absence is not an error (and
// with WithoutStartGrace there is no wait at all).
func (ss *session) awaitDataStart() (bool, error) {
	if ss.cfg.noGrace {
		return false, nil
	}
	g := ss.cfg.grace
	if g == 0 {
		g = max(DefaultMinGrace, ss.lastRTT/4)
	}
	err := ss.wait(g, "the receiver's 'C' after block 0", func(b byte) bool {
		return b == crc || b == nak
	})
	switch {
	case err == nil:
		return true, nil
	case errors.Is(err, errTimedOut):
		return false, nil
	}
	return false, ss.fail("waiting for the receiver to ask for data", 0, err)
}

// sendData sends data in blocks numbered from 1. If the receiver has not
// asked for the data yet (sawStart false), its late 'C' or NAK during the
// first block is taken as that request, not as a refusal.
func (ss *session) sendData(data []byte, sawStart bool) error {
	blk := byte(1)
	for off, n := 0, 1; off < len(data); n++ {
		size := ss.blockSize(len(data) - off)
		end := min(off+size, len(data))
		stage := fmt.Sprintf("block %d", n)
		if err := ss.sendBlock(stage, blk, size, data[off:end], false, !sawStart && n == 1, false); err != nil {
			return err
		}
		ss.stats.Blocks++
		ss.stats.Bytes += int64(end - off)
		ss.fileOff += int64(end - off)
		ss.progress()
		off = end
		blk++
	}
	return nil
}

// blockSize picks 1024 bytes where allowed, but 128-byte blocks for a tail
// of at most six of them: 6×133 wire bytes beat one 1029-byte packet.
func (ss *session) blockSize(remaining int) int {
	if !ss.big || !ss.crc || remaining <= 6*smallBlock {
		return smallBlock
	}
	return bigBlock
}

// sendBlock sends one packet until the receiver ACKs it. absorb lets one
// 'C'/NAK pass without a retransmission (see sendData).
//
// final marks the end-of-batch block 0, the receiver's last word. Nothing
// may be read after its ACK (settling would eat the bootloader's summary
// line), and silence for the final-ACK timeout counts as done: the file is
// complete by then, and lrzsz rb flushes its tty on exit, which over a pty
// discards that ACK before anyone can read it.
func (ss *session) sendBlock(stage string, blk byte, size int, data []byte, zeroPad, absorb, final bool) error {
	pkt := encodePacket(ss.buf[:], blk, size, data, ss.crc, zeroPad)
	for attempt := 1; ; attempt++ {
		if attempt > 1 {
			ss.stats.Retransmits++
			ss.cfg.log.Debug("ymodem: resending", "stage", stage, "file", ss.file, "attempt", attempt, "last", ss.last)
		}
		if _, err := ss.port.Write(pkt); err != nil {
			return ss.fail(stage, attempt, err)
		}
		sentAt := ss.cfg.clk.Now()
		acked := false
		timeout := ss.cfg.ackTimeout
		if final {
			timeout = ss.cfg.finalAckTimeout
		}
		err := ss.wait(timeout, "the answer to "+stage, func(b byte) bool {
			switch b {
			case ack:
				acked = true
				return true
			case nak, crc: // U-Boot asks again with 'C' in CRC mode
				if absorb {
					absorb = false
					return false
				}
				return true
			}
			return false
		})
		timedOut := errors.Is(err, errTimedOut)
		if err != nil && !timedOut {
			return ss.fail(stage, attempt, err)
		}
		if final && timedOut {
			ss.cfg.log.Debug("ymodem: no ACK for the end of the batch; taking silence as done", "attempt", attempt)
			ss.stats.EndUnconfirmed = true
			return nil
		}
		if acked {
			ss.lastRTT = ss.cfg.clk.Now().Sub(sentAt)
			if attempt > 1 && !final {
				return ss.settle(stage)
			}
			return nil
		}
		if attempt > ss.cfg.retries {
			if timedOut {
				err = fmt.Errorf("%w (the last attempt: %w)", ErrRetries, ErrNoAnswer)
			} else {
				err = ErrRetries
			}
			return ss.fail(stage, attempt, err)
		}
		if !timedOut {
			if err := ss.purge(stage); err != nil {
				return err
			}
		}
	}
}

// maxQuiet bounds how long purge waits for silence between two bytes: a
// receiver that keeps talking longer than that is not echoing one refusal.
const maxQuiet = 100 * time.Millisecond

// purge runs after a refusal (NAK or 'C'), before the block goes out
// again: it discards what the receiver still sends until the line has
// been quiet for a while (half a block's round trip, at least
// DefaultMinGrace, at most maxQuiet). On a noisy line one bad packet can
// draw more than one refusal (the receiver resyncs on garbage, times out
// on a dropped byte, answers the tail of a garbled header); resending on
// each of them would put two copies of the block on the line and leave a
// refusal to be read as the answer to the next one. The whole purge is
// bounded by the ACK timeout: a line that never goes quiet gets the block
// anyway.
func (ss *session) purge(stage string) error {
	quiet := min(max(DefaultMinGrace, ss.lastRTT/2), maxQuiet)
	until := ss.cfg.clk.Now().Add(ss.cfg.ackTimeout)
	for n := 0; ; n++ {
		err := ss.wait(quiet, "silence before resending "+stage, func(byte) bool { return true })
		switch {
		case errors.Is(err, errTimedOut):
			if n > 0 {
				ss.cfg.log.Debug("ymodem: purged before resending", "stage", stage, "bytes", n, "last", ss.last)
			}
			return nil
		case err != nil:
			return ss.fail(stage, 0, err)
		case !ss.cfg.clk.Now().Before(until):
			return nil
		}
	}
}

// settle runs after a block needed more than one attempt: the receiver may
// have got it twice (a stale NAK, a late 'C', an ACK that was only slow)
// and then ACKs twice. Swallowing that second ACK now keeps it from being
// taken as the answer to the next block.
func (ss *session) settle(stage string) error {
	d := max(DefaultMinGrace, ss.lastRTT*3/2)
	err := ss.wait(d, "stray answers after "+stage, func(byte) bool { return false })
	if err == nil || errors.Is(err, errTimedOut) {
		return nil
	}
	return ss.fail(stage, 0, err)
}

// sendEOT ends a file. The spec's receiver NAKs the first EOT and ACKs the
// second; U-Boot ACKs the first. Both end here on the first ACK. final marks
// XMODEM's EOT, the receiver's last word: silence for the whole ACK timeout
// (longer than any receiver waits before asking again) counts as done, see
// Stats.EndUnconfirmed.
func (ss *session) sendEOT(final bool) error {
	for attempt := 1; ; attempt++ {
		if attempt > 2 { // the second EOT is the protocol, not a retry
			ss.stats.Retransmits++
		}
		if _, err := ss.port.Write([]byte{eot}); err != nil {
			return ss.fail("EOT", attempt, err)
		}
		acked := false
		err := ss.wait(ss.cfg.ackTimeout, "the answer to EOT", func(b byte) bool {
			switch b {
			case ack:
				acked = true
				return true
			case nak, crc:
				return true
			}
			return false
		})
		timedOut := errors.Is(err, errTimedOut)
		if err != nil && !timedOut {
			return ss.fail("EOT", attempt, err)
		}
		if acked {
			return nil
		}
		if final && timedOut {
			ss.cfg.log.Debug("ymodem: no answer to the final EOT; taking silence as done", "attempt", attempt)
			ss.stats.EndUnconfirmed = true
			return nil
		}
		if attempt > ss.cfg.retries {
			return ss.fail("EOT", attempt, ErrRetries)
		}
	}
}

func (ss *session) progress() {
	if ss.cfg.progress != nil {
		ss.cfg.progress(ss.stats.Bytes, ss.total)
	}
}

func (ss *session) fail(stage string, attempts int, err error) error {
	return &Error{Stage: stage, File: ss.file, Offset: ss.fileOff, Attempts: attempts, Last: ss.last, Err: err}
}

// finish cancels the receiver unless it cancelled itself or all went well.
func (ss *session) finish(err error) (Stats, error) {
	ss.stats.CRC = ss.crc
	if err != nil && !errors.Is(err, ErrCancelled) {
		// Best effort: the line may be the thing that failed.
		_, _ = ss.port.Write([]byte{can, can, can})
	}
	if err == nil {
		ss.cfg.log.Debug("ymodem: sent", "bytes", ss.stats.Bytes, "blocks", ss.stats.Blocks, "retransmits", ss.stats.Retransmits, "crc", ss.crc)
	}
	return ss.stats, err
}
