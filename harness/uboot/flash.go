package uboot

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/camrig/camrig/harness/clock"
	"github.com/camrig/camrig/harness/console"
)

// allowance is how long a flash or memory command over n bytes may take on
// real hardware: the command timeout plus per for every chunk of perBytes.
// These are deadlines that catch a hung unit, not expectations.
func (s *Session) allowance(n uint64, per time.Duration, perBytes uint64) time.Duration {
	return s.timeout + time.Duration((n+perBytes-1)/perBytes)*per
}

// Chunk sizes behind the allowances: SPI/CFI NOR erases a 64 KiB block in
// up to ~2 s and programs it in up to ~1 s; reads and CRCs run at MB/s.
const (
	eraseTime = 2 * time.Second
	writeTime = time.Second
	readTime  = time.Second
	block     = 64 << 10
	mib       = 1 << 20
)

// CRC32 asks the bootloader for the CRC-32 (IEEE, as hash/crc32) of n bytes
// at addr, and checks the reply covers exactly that range.
func (s *Session) CRC32(ctx context.Context, addr, n uint64) (uint32, error) {
	cmd := fmt.Sprintf("crc32 %#x %#x", addr, n)
	if n == 0 {
		return 0, &CommandError{Cmd: cmd, RC: -1, Err: errors.New("refusing a CRC over zero bytes")}
	}
	out, err := s.RunFor(ctx, s.allowance(n, readTime, mib), cmd)
	if err != nil {
		return 0, err
	}
	r, err := ParseCRC32(out)
	if err == nil && (r.Start != addr || r.End != addr+n-1) {
		err = fmt.Errorf("the reply covers %#x..%#x, asked %#x..%#x", r.Start, r.End, addr, addr+n-1)
	}
	if err != nil {
		return 0, &CommandError{Cmd: cmd, Output: out, Err: err}
	}
	return r.Sum, nil
}

// SFProbe runs `sf probe 0` and returns the detected chip.
func (s *Session) SFProbe(ctx context.Context) (SFInfo, error) {
	cmd := "sf probe 0"
	out, err := s.Run(ctx, cmd)
	if err != nil {
		return SFInfo{}, err
	}
	info, err := ParseSFProbe(out)
	if err != nil {
		return SFInfo{}, &CommandError{Cmd: cmd, Output: out, Err: err}
	}
	return info, nil
}

// SFErase erases n bytes of SPI NOR at off (both erase-block aligned).
func (s *Session) SFErase(ctx context.Context, off, n uint64) error {
	return s.sfOp(ctx, "Erased", s.allowance(n, eraseTime, block), fmt.Sprintf("sf erase %#x %#x", off, n), off, n)
}

// SFWrite programs n bytes from RAM at addr into SPI NOR at off.
func (s *Session) SFWrite(ctx context.Context, addr, off, n uint64) error {
	return s.sfOp(ctx, "Written", s.allowance(n, writeTime, block), fmt.Sprintf("sf write %#x %#x %#x", addr, off, n), off, n)
}

// SFRead copies n bytes of SPI NOR at off into RAM at addr.
func (s *Session) SFRead(ctx context.Context, addr, off, n uint64) error {
	return s.sfOp(ctx, "Read", s.allowance(n, readTime, mib), fmt.Sprintf("sf read %#x %#x %#x", addr, off, n), off, n)
}

func (s *Session) sfOp(ctx context.Context, verb string, d time.Duration, cmd string, off, n uint64) error {
	out, err := s.RunFor(ctx, d, cmd)
	if err != nil {
		return err
	}
	op, found, err := ParseSFOp(out, verb)
	switch {
	case err != nil:
	case !found:
		// Older bootloaders say nothing on success; the exit status stands.
	case !op.OK:
		err = fmt.Errorf("the bootloader reports %s: ERROR", verb)
	case op.Bytes != n || op.Offset != off:
		err = fmt.Errorf("the bootloader %s %d bytes @ %#x, asked %d @ %#x", strings.ToLower(verb), op.Bytes, op.Offset, n, off)
	}
	if err != nil {
		return &CommandError{Cmd: cmd, Output: out, Err: err}
	}
	return nil
}

// FlashProtect runs `protect on|off addr +n` on memory-mapped (CFI) NOR and
// returns how many sectors changed.
func (s *Session) FlashProtect(ctx context.Context, on bool, addr, n uint64) (int, error) {
	state := "off"
	if on {
		state = "on"
	}
	cmd := fmt.Sprintf("protect %s %#x +%#x", state, addr, n)
	out, err := s.Run(ctx, cmd)
	if err != nil {
		return 0, err
	}
	r := ParseFlashReply(out)
	if r.Problem != "" {
		return r.Sectors, &CommandError{Cmd: cmd, Output: out, Err: errors.New(r.Problem)}
	}
	return r.Sectors, nil
}

// FlashErase runs `erase addr +n` on CFI NOR. Sectors it skipped because
// they are protected are an error: their old content would stay.
func (s *Session) FlashErase(ctx context.Context, addr, n uint64) (int, error) {
	cmd := fmt.Sprintf("erase %#x +%#x", addr, n)
	out, err := s.RunFor(ctx, s.allowance(n, eraseTime, block), cmd)
	if err != nil {
		return 0, err
	}
	r := ParseFlashReply(out)
	switch {
	case r.SkippedProtected > 0:
		err = fmt.Errorf("%d protected sectors were not erased", r.SkippedProtected)
	case r.Problem != "":
		err = errors.New(r.Problem)
	case r.Sectors == 0:
		err = errors.New("the bootloader erased no sectors")
	}
	if err != nil {
		return r.Sectors, &CommandError{Cmd: cmd, Output: out, Err: err}
	}
	return r.Sectors, nil
}

// CopyToFlash runs `cp.b src dst n` where dst is CFI NOR: the bootloader
// programs the flash and must say "Copy to Flash... done".
func (s *Session) CopyToFlash(ctx context.Context, src, dst, n uint64) error {
	cmd := fmt.Sprintf("cp.b %#x %#x %#x", src, dst, n)
	out, err := s.RunFor(ctx, s.allowance(n, writeTime, block), cmd)
	if err != nil {
		return err
	}
	r := ParseFlashReply(out)
	switch {
	case r.Problem != "":
		err = errors.New(r.Problem)
	case !r.CopyDone:
		err = errors.New(`no "Copy to Flash... done"`)
	}
	if err != nil {
		return &CommandError{Cmd: cmd, Output: out, Err: err}
	}
	return nil
}

// MismatchError is a `cmp` that found a difference.
type MismatchError struct {
	Cmd     string
	Compare Compare
	Output  string
}

func (e *MismatchError) Error() string {
	if e.Compare.Mismatch != nil {
		return fmt.Sprintf("uboot: %q: contents differ after %d equal bytes: %s", e.Cmd, e.Compare.Same, e.Compare.Mismatch)
	}
	return fmt.Sprintf("uboot: %q: contents differ; the unit said: %s", e.Cmd, Said(e.Output))
}

// CompareBytes runs `cmp.b a b n`. A difference is a *MismatchError naming
// the first differing byte.
func (s *Session) CompareBytes(ctx context.Context, a, b, n uint64) error {
	cmd := fmt.Sprintf("cmp.b %#x %#x %#x", a, b, n)
	out, err := s.RunFor(ctx, s.allowance(n, readTime, mib), cmd)
	var ce *CommandError
	if err != nil && !(errors.As(err, &ce) && ce.RC > 0 && ce.Err == nil) {
		return err
	}
	c, perr := ParseCompare(out)
	switch {
	case perr != nil:
		return &CommandError{Cmd: cmd, RC: max(ce.rc(), 0), Output: out, Err: perr}
	case c.Mismatch != nil || c.Same != n || err != nil:
		return &MismatchError{Cmd: cmd, Compare: c, Output: out}
	}
	return nil
}

func (e *CommandError) rc() int {
	if e == nil {
		return 0
	}
	return e.RC
}

// MMCWrite writes cnt 512-byte blocks from RAM at addr to the current mmc
// device at block blk.
func (s *Session) MMCWrite(ctx context.Context, addr, blk, cnt uint64) error {
	return s.mmcOp(ctx, "write", addr, blk, cnt)
}

// MMCRead reads cnt blocks at blk into RAM at addr.
func (s *Session) MMCRead(ctx context.Context, addr, blk, cnt uint64) error {
	return s.mmcOp(ctx, "read", addr, blk, cnt)
}

func (s *Session) mmcOp(ctx context.Context, op string, addr, blk, cnt uint64) error {
	cmd := fmt.Sprintf("mmc %s %#x %#x %#x", op, addr, blk, cnt)
	per := writeTime
	if op == "read" {
		per = readTime
	}
	out, err := s.RunFor(ctx, s.allowance(cnt*512, per, mib), cmd)
	if err != nil {
		return err
	}
	r, err := ParseMMC(out, op)
	switch {
	case err != nil:
	case !r.OK || r.Done != cnt:
		err = fmt.Errorf("%d of %d blocks %s", r.Done, cnt, map[string]string{"read": "read", "write": "written"}[op])
	case r.Block != blk || r.Count != cnt:
		err = fmt.Errorf("the bootloader did block %d count %d, asked %d count %d", r.Block, r.Count, blk, cnt)
	}
	if err != nil {
		return &CommandError{Cmd: cmd, Output: out, Err: err}
	}
	return nil
}

// Env returns an environment variable (`printenv name`).
func (s *Session) Env(ctx context.Context, name string) (string, error) {
	cmd := "printenv " + name
	out, err := s.Run(ctx, cmd)
	if err != nil {
		return "", err
	}
	for _, l := range strings.Split(out, "\n") {
		if v, ok := strings.CutPrefix(strings.TrimSpace(l), name+"="); ok {
			return v, nil
		}
	}
	return "", &CommandError{Cmd: cmd, Output: out, Err: fmt.Errorf("no %s= line", name)}
}

// Reset sends `reset` and returns once the bootloader has taken the line
// (its echo). The caller then waits for what the unit boots into.
func (s *Session) Reset(ctx context.Context) error {
	ctx, cancel := clock.WithTimeout(ctx, s.clk, s.timeout, "the bootloader to take the reset command")
	defer cancel()
	s.conn.Skip()
	if err := s.conn.Send(ctx, "reset\r"); err != nil {
		return &CommandError{Cmd: "reset", RC: -1, Err: err}
	}
	if _, err := s.conn.Expect(ctx, console.Lit("reset")); err != nil {
		return &CommandError{Cmd: "reset", RC: -1, Err: err}
	}
	s.mark("reset", "")
	return nil
}

// Intel CFI commands on a 32-bit bus of two x16 chips (each half of the
// word goes to one chip): word program, and back to read-array mode.
const (
	cfiWordProgram = 0x00400040
	cfiReadArray   = 0x00ff00ff
	// wordLoopTime bounds the hush loop per 16 KiB: under QEMU's TCG it
	// programs 256 KiB in about 45 s.
	wordLoopTime = 20 * time.Second
)

// ProgramWords programs n bytes (rounded up to whole 32-bit words) from RAM
// at src into memory-mapped CFI NOR at dst without the buffered write:
// one hush loop reads each word (setexpr.l v *$a), sends the word-program
// command and the word with mw.l, then puts the flash back in read-array
// mode. For flash emulations whose buffered write is broken; the flash
// must be unprotected and erased, and the read-back CRC checks the result
// (the loop cannot see a program error).
func (s *Session) ProgramWords(ctx context.Context, src, dst, n uint64) error {
	if n == 0 || src%4 != 0 || dst%4 != 0 {
		return &CommandError{Cmd: "program words", RC: -1, Err: fmt.Errorf("want a non-empty, word-aligned range (src %#x, dst %#x, %d bytes)", src, dst, n)}
	}
	end := src + (n+3)/4*4
	cmd := fmt.Sprintf("setexpr a %#x; setexpr d %#x; while itest $a < %#x; do setexpr.l v *$a; mw.l $d %#08x; mw.l $d $v; setexpr a $a + 4; setexpr d $d + 4; done; mw.l %#x %#08x",
		src, dst, end, cfiWordProgram, dst, cfiReadArray)
	_, err := s.RunFor(ctx, s.allowance(n, wordLoopTime, 16<<10), cmd)
	return err
}
