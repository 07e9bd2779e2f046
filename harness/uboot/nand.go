package uboot

import (
	"context"
	"errors"
	"fmt"
)

// NAND (SPI NAND and raw NAND) goes through U-Boot's `nand` commands,
// which skip bad blocks: erase skips them, write puts the data in the good
// blocks from the offset on, read takes it back from the same blocks, so
// a read-back CRC over the same offset and size checks what was written.

// NANDErase erases a partition: `nand erase.part name` when part is set
// (the bootloader knows it from mtdparts), else `nand erase off n`.
func (s *Session) NANDErase(ctx context.Context, part string, off, n uint64) (NANDErase, error) {
	cmd := fmt.Sprintf("nand erase %#x %#x", off, n)
	if part != "" {
		cmd = "nand erase.part " + part
	}
	out, err := s.RunFor(ctx, s.allowance(n, eraseTime, block), cmd)
	r := ParseNANDErase(out)
	if err != nil {
		return r, err
	}
	switch {
	case r.Problem != "":
		err = errors.New(r.Problem)
	case !r.OK:
		err = errors.New("no OK from nand erase")
	}
	if err != nil {
		return r, &CommandError{Cmd: cmd, Output: out, Err: err}
	}
	return r, nil
}

// NANDWrite writes n bytes from RAM at addr to NAND at dst (an offset, or
// a partition name, which bounds bad-block skipping to that partition).
func (s *Session) NANDWrite(ctx context.Context, addr uint64, dst string, n uint64) (NANDOp, error) {
	return s.nandOp(ctx, "write", "written", addr, dst, n)
}

// NANDRead reads n bytes of NAND at src into RAM at addr.
func (s *Session) NANDRead(ctx context.Context, addr uint64, src string, n uint64) (NANDOp, error) {
	return s.nandOp(ctx, "read", "read", addr, src, n)
}

func (s *Session) nandOp(ctx context.Context, op, verb string, addr uint64, where string, n uint64) (NANDOp, error) {
	cmd := fmt.Sprintf("nand %s %#x %s %#x", op, addr, where, n)
	per := writeTime
	if op == "read" {
		per = readTime
	}
	out, err := s.RunFor(ctx, s.allowance(n, per, block), cmd)
	r, perr := ParseNANDOp(out, verb)
	if err != nil {
		return r, err
	}
	switch {
	case perr != nil:
		err = perr
	case !r.OK:
		err = fmt.Errorf("the bootloader reports %d bytes %s: ERROR", r.Bytes, verb)
	case r.Bytes != n:
		err = fmt.Errorf("the bootloader %s %d bytes, asked %d", verb, r.Bytes, n)
	}
	if err != nil {
		return r, &CommandError{Cmd: cmd, Output: out, Err: err}
	}
	return r, nil
}
