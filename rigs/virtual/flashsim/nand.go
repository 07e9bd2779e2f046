package flashsim

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"sync"
	"time"
)

// NAND emulates a SPI NAND (or raw NAND) chip: pages programmed whole,
// blocks erased whole, erased bytes 0xFF, and a bad-block table. Blocks
// the factory marked bad are given at creation; a block whose program or
// erase fails (FailProgram, FailErase) is marked bad from then on, as a
// NAND driver marks a block that failed. Data and the table persist (the
// table beside the data, in <path>.bbt: one byte per block, 0xFF good,
// 0x00 bad), and every page and block goes through to the file as it
// completes, so a power cut leaves a really partial write.
type NAND struct {
	g    NANDGeometry
	path string

	mu        sync.Mutex
	f, bbt    *os.File
	mem       []byte
	bad       []bool
	failProg  map[int]bool // block -> the next program into it fails
	failErase map[int]bool
	cut       *PowerCut // SetPowerCut

	closeOnce sync.Once
	closed    chan struct{}
}

// NANDGeometry is a NAND chip's layout and speed.
type NANDGeometry struct {
	Name               string
	Size, BlockSize    int
	PageSize           int
	PageProgram, Erase time.Duration // per page, per block (already scaled)
	FactoryBad         []int         // block numbers marked bad when the chip is made
}

// ErrBadBlock is an operation on a block marked bad, or one that failed
// and marked its block bad.
var ErrBadBlock = errors.New("bad block")

// OpenNAND opens the chip at path, creating it erased with the factory
// bad blocks if the file does not exist.
func OpenNAND(path string, g NANDGeometry) (*NAND, error) {
	if err := (Geometry{Size: g.Size, EraseSize: g.BlockSize, PageSize: g.PageSize}).Validate(); err != nil {
		return nil, err
	}
	blocks := g.Size / g.BlockSize
	for _, b := range g.FactoryBad {
		if b < 0 || b >= blocks {
			return nil, fmt.Errorf("flashsim: factory bad block %d outside the %d-block chip", b, blocks)
		}
	}
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o644)
	if err != nil {
		return nil, fmt.Errorf("flashsim: %w", err)
	}
	bbt, err := os.OpenFile(path+".bbt", os.O_RDWR|os.O_CREATE, 0o644)
	if err != nil {
		f.Close()
		return nil, fmt.Errorf("flashsim: %w", err)
	}
	c := &NAND{g: g, path: path, f: f, bbt: bbt, mem: make([]byte, g.Size), bad: make([]bool, blocks),
		failProg: map[int]bool{}, failErase: map[int]bool{}, closed: make(chan struct{})}
	fail := func(err error) (*NAND, error) {
		f.Close()
		bbt.Close()
		return nil, fmt.Errorf("flashsim: %s: %w", path, err)
	}
	fi, err := f.Stat()
	if err != nil {
		return fail(err)
	}
	table := make([]byte, blocks)
	switch fi.Size() {
	case 0:
		for i := range c.mem {
			c.mem[i] = 0xFF
		}
		for i := range table {
			table[i] = 0xFF
		}
		for _, b := range g.FactoryBad {
			table[b] = 0
		}
		if _, err := f.WriteAt(c.mem, 0); err != nil {
			return fail(err)
		}
		if _, err := bbt.WriteAt(table, 0); err != nil {
			return fail(err)
		}
	case int64(g.Size):
		if _, err := io.ReadFull(f, c.mem); err != nil {
			return fail(err)
		}
		if _, err := io.ReadFull(bbt, table); err != nil {
			return fail(fmt.Errorf("bad-block table: %w", err))
		}
	default:
		return fail(fmt.Errorf("holds %d bytes but the chip is %d bytes; remove it (and its .bbt) to start erased", fi.Size(), g.Size))
	}
	for i, v := range table {
		c.bad[i] = v != 0xFF
	}
	return c, nil
}

// Geometry is the chip's layout.
func (c *NAND) Geometry() NANDGeometry { return c.g }

// Path is the data file.
func (c *NAND) Path() string { return c.path }

// IsBad reports whether the block holding off is marked bad.
func (c *NAND) IsBad(off int) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	b := off / c.g.BlockSize
	return b >= 0 && b < len(c.bad) && c.bad[b]
}

// BadBlocks lists the bad blocks' offsets.
func (c *NAND) BadBlocks() []int {
	c.mu.Lock()
	defer c.mu.Unlock()
	var out []int
	for i, b := range c.bad {
		if b {
			out = append(out, i*c.g.BlockSize)
		}
	}
	return out
}

// FailProgram makes the next program into the block holding off fail (and
// mark the block bad); FailErase does the same for its next erase.
func (c *NAND) FailProgram(off int) { c.mu.Lock(); c.failProg[off/c.g.BlockSize] = true; c.mu.Unlock() }
func (c *NAND) FailErase(off int)   { c.mu.Lock(); c.failErase[off/c.g.BlockSize] = true; c.mu.Unlock() }

// ReadAt reads the array as it is (bad blocks included: skipping them is
// the driver's business).
func (c *NAND) ReadAt(p []byte, off int64) (int, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.f == nil {
		return 0, ErrClosed
	}
	if off < 0 || off > int64(len(c.mem)) {
		return 0, fmt.Errorf("flashsim: read at %#x: %w", off, ErrRange)
	}
	if c.cut.cuts(OpRead) {
		c.cut.land()
		return 0, fmt.Errorf("flashsim: read at %#x: %w: power cut", off, ErrInterrupted)
	}
	n := copy(p, c.mem[off:])
	if n < len(p) {
		return n, io.EOF
	}
	return n, nil
}

// EraseBlock erases the block at off (block aligned). A bad block is
// refused; a failing erase marks the block bad.
func (c *NAND) EraseBlock(ctx context.Context, off int) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	b, err := c.block(off)
	if err != nil {
		return fmt.Errorf("flashsim: erase %#x: %w", off, err)
	}
	if err := newPacer(ctx, c.closed).step(c.g.Erase); err != nil {
		return fmt.Errorf("flashsim: erase %#x: %w", off, err)
	}
	if c.failErase[b] {
		delete(c.failErase, b)
		return c.markBadLocked(b, "erase")
	}
	// A power cut lands half-way through the block: its first half erased,
	// the rest as it was.
	cut := c.cut.cuts(OpErase)
	blk := c.mem[off : off+c.g.BlockSize]
	if cut {
		blk = blk[:c.g.BlockSize/2]
	}
	for i := range blk {
		blk[i] = 0xFF
	}
	if _, err := c.f.WriteAt(blk, int64(off)); err != nil {
		return fmt.Errorf("flashsim: persist block %#x: %w", off, err)
	}
	if cut {
		c.cut.land()
		return fmt.Errorf("flashsim: erase %#x stopped at %#x: %w: power cut", off, off+len(blk), ErrInterrupted)
	}
	return nil
}

// ProgramBlock programs the pages of data (at most one block, page
// aligned) into the block at off, page by page. A bad block is refused;
// a failing program marks the block bad.
func (c *NAND) ProgramBlock(ctx context.Context, off int, data []byte) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	b, err := c.block(off)
	if err != nil || len(data) > c.g.BlockSize {
		return fmt.Errorf("flashsim: program %#x+%#x: %w", off, len(data), errors.Join(err, ErrRange))
	}
	p := newPacer(ctx, c.closed)
	cut := c.cut.cuts(OpProgram)
	for done := 0; done < len(data); done += c.g.PageSize {
		if cut && done > 0 {
			// The power failed after the first page: half-written.
			c.cut.land()
			return fmt.Errorf("flashsim: program %#x stopped at %#x: %w: power cut", off, off+done, ErrInterrupted)
		}
		if err := p.step(c.g.PageProgram); err != nil {
			return fmt.Errorf("flashsim: program %#x stopped at %#x: %w", off, off+done, err)
		}
		if c.failProg[b] {
			delete(c.failProg, b)
			return c.markBadLocked(b, "program")
		}
		page := c.mem[off+done : off+min(done+c.g.PageSize, len(data))]
		for i := range page {
			page[i] &= data[done+i]
		}
		if _, err := c.f.WriteAt(page, int64(off+done)); err != nil {
			return fmt.Errorf("flashsim: persist page %#x: %w", off+done, err)
		}
	}
	if cut {
		// A program of one page: the power fails as it ends.
		c.cut.land()
		return fmt.Errorf("flashsim: program %#x+%#x: %w: power cut as it ended", off, len(data), ErrInterrupted)
	}
	return nil
}

func (c *NAND) block(off int) (int, error) {
	if c.f == nil {
		return 0, ErrClosed
	}
	if off < 0 || off >= c.g.Size || off%c.g.BlockSize != 0 {
		return 0, fmt.Errorf("%w or not block aligned", ErrRange)
	}
	b := off / c.g.BlockSize
	if c.bad[b] {
		return b, ErrBadBlock
	}
	return b, nil
}

func (c *NAND) markBadLocked(b int, op string) error {
	c.bad[b] = true
	if _, err := c.bbt.WriteAt([]byte{0}, int64(b)); err != nil {
		return fmt.Errorf("flashsim: persist the bad-block table: %w", err)
	}
	return fmt.Errorf("flashsim: %s of block %#x failed; block marked bad: %w", op, b*c.g.BlockSize, ErrBadBlock)
}

// SetPowerCut switches a power cut on (nil: off). An erase it lands in
// stops half-way through its block (the first half erased), a program
// after its first page, a read before any byte; each fails with
// ErrInterrupted.
func (c *NAND) SetPowerCut(cut *PowerCut) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.cut = cut
}

// Close interrupts an operation in progress (a power cut) and releases
// the files.
func (c *NAND) Close() error {
	c.closeOnce.Do(func() { close(c.closed) })
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.f == nil {
		return nil
	}
	err := errors.Join(c.f.Close(), c.bbt.Close())
	c.f, c.bbt = nil, nil
	return err
}
