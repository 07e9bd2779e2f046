// Package flashsim emulates a SPI NOR flash chip for the virtual rig,
// persisted to a file in the rig's state directory so the flash survives the
// simulator like a soldered chip survives power loss.
//
// It behaves like NOR: erased bytes read 0xFF; programming can only clear
// bits (the result is old AND new, no error for trying to set a bit); only
// an erase, sector by sector, sets them again. Programs go page by page and
// erases sector by sector, each step written through to the file, so an
// operation cut short (its context ends at a power cut, or the chip is
// closed) leaves exactly the steps done so far: a really partial write.
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

// Geometry is a chip's layout and speed.
type Geometry struct {
	// Name is what `sf probe` reports (w25q128, MX25L64).
	Name string
	// Size, EraseSize (sector) and PageSize in bytes. Size must be a
	// multiple of EraseSize, and EraseSize of PageSize.
	Size, EraseSize, PageSize int
	// PageProgram and SectorErase are how long one step takes (already
	// scaled by the rig's timescale); zero makes operations instantaneous.
	PageProgram, SectorErase time.Duration
}

// Validate checks the layout.
func (g Geometry) Validate() error {
	switch {
	case g.Size <= 0 || g.EraseSize <= 0 || g.PageSize <= 0:
		return fmt.Errorf("flashsim: geometry %+v: sizes must be positive", g)
	case g.Size%g.EraseSize != 0:
		return fmt.Errorf("flashsim: size %d is not a multiple of the erase size %d", g.Size, g.EraseSize)
	case g.EraseSize%g.PageSize != 0:
		return fmt.Errorf("flashsim: erase size %d is not a multiple of the page size %d", g.EraseSize, g.PageSize)
	case g.PageProgram < 0 || g.SectorErase < 0:
		return fmt.Errorf("flashsim: negative timing")
	}
	return nil
}

var (
	// ErrInterrupted means an erase or program stopped part way (power cut
	// or Close). The steps already done stay done.
	ErrInterrupted = errors.New("flash operation interrupted")
	// ErrClosed is returned after Close.
	ErrClosed = errors.New("flash chip closed")
	// ErrRange is an access outside the chip.
	ErrRange = errors.New("outside the flash")
	// ErrAlignment is an erase not on sector boundaries.
	ErrAlignment = errors.New("erase not aligned to the erase size")
)

// Chip is one emulated flash chip. Operations run one at a time.
type Chip struct {
	g    Geometry
	path string

	mu  sync.Mutex // held for a whole operation
	f   *os.File
	mem []byte
	// dropLastPage is the drops_last_page defect (SetDropsLastPage).
	dropLastPage bool
	cut          *PowerCut // SetPowerCut

	closeOnce sync.Once
	closed    chan struct{}
}

// Open opens the chip persisted at path, creating it erased (all 0xFF) if
// the file does not exist. An existing file must be exactly g.Size bytes.
func Open(path string, g Geometry) (*Chip, error) {
	if err := g.Validate(); err != nil {
		return nil, err
	}
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o644)
	if err != nil {
		return nil, fmt.Errorf("flashsim: %w", err)
	}
	fi, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, fmt.Errorf("flashsim: %w", err)
	}
	c := &Chip{g: g, path: path, f: f, mem: make([]byte, g.Size), closed: make(chan struct{})}
	switch fi.Size() {
	case 0:
		for i := range c.mem {
			c.mem[i] = 0xFF
		}
		if _, err := f.WriteAt(c.mem, 0); err != nil {
			f.Close()
			return nil, fmt.Errorf("flashsim: initialise %s: %w", path, err)
		}
	case int64(g.Size):
		if _, err := io.ReadFull(f, c.mem); err != nil {
			f.Close()
			return nil, fmt.Errorf("flashsim: read %s: %w", path, err)
		}
	default:
		f.Close()
		return nil, fmt.Errorf("flashsim: %s holds %d bytes but the chip is %d bytes; remove it to start with an erased chip", path, fi.Size(), g.Size)
	}
	return c, nil
}

// Geometry returns the chip's layout.
func (c *Chip) Geometry() Geometry { return c.g }

// Path is the backing file.
func (c *Chip) Path() string { return c.path }

// ReadAt reads flash contents (io.ReaderAt). Reading is instantaneous.
func (c *Chip) ReadAt(p []byte, off int64) (int, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.isClosed() {
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

// Erase sets [off, off+n) to 0xFF, one sector at a time; off and n must be
// multiples of the erase size. On interruption the sectors erased so far
// stay erased and the one in progress is untouched.
func (c *Chip) Erase(ctx context.Context, off, n int) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if err := c.check(off, n); err != nil {
		return fmt.Errorf("flashsim: erase %#x+%#x: %w", off, n, err)
	}
	if off%c.g.EraseSize != 0 || n%c.g.EraseSize != 0 {
		return fmt.Errorf("flashsim: erase %#x+%#x: %w (%#x)", off, n, ErrAlignment, c.g.EraseSize)
	}
	p := newPacer(ctx, c.closed)
	cut := c.cut.cuts(OpErase)
	for s := off; s < off+n; s += c.g.EraseSize {
		if err := p.step(c.g.SectorErase); err != nil {
			return fmt.Errorf("flashsim: erase %#x+%#x stopped at sector %#x: %w", off, n, s, err)
		}
		sector := c.mem[s : s+c.g.EraseSize]
		// A power cut lands half-way through the range: the sector it
		// lands in is left half-erased, as a cut mid-erase leaves one.
		half := off + n/2
		if cut && half < s+c.g.EraseSize {
			sector = c.mem[s:half]
		}
		for i := range sector {
			sector[i] = 0xFF
		}
		if _, err := c.f.WriteAt(sector, int64(s)); err != nil {
			return fmt.Errorf("flashsim: persist sector %#x: %w", s, err)
		}
		if cut && half < s+c.g.EraseSize {
			c.cut.land()
			return fmt.Errorf("flashsim: erase %#x+%#x stopped at %#x: %w: power cut", off, n, half, ErrInterrupted)
		}
	}
	return nil
}

// Program writes p at off with NOR semantics (each byte becomes old AND
// new), split at page boundaries as a SPI NOR driver does. On interruption
// the pages programmed so far stay programmed and the rest are untouched.
func (c *Chip) Program(ctx context.Context, off int, p []byte) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if err := c.check(off, len(p)); err != nil {
		return fmt.Errorf("flashsim: program %#x+%#x: %w", off, len(p), err)
	}
	pc := newPacer(ctx, c.closed)
	cut := c.cut.cuts(OpProgram)
	for done := 0; done < len(p); {
		at := off + done
		n := min(c.g.PageSize-at%c.g.PageSize, len(p)-done)
		if cut && done > 0 {
			// The power failed after the first page: half-written.
			c.cut.land()
			return fmt.Errorf("flashsim: program %#x+%#x stopped at %#x after %d bytes: %w: power cut", off, len(p), at, done, ErrInterrupted)
		}
		if err := pc.step(c.g.PageProgram); err != nil {
			return fmt.Errorf("flashsim: program %#x+%#x stopped at %#x after %d bytes: %w", off, len(p), at, done, err)
		}
		if c.dropLastPage && done+n == len(p) {
			break // the defect: reported as written, never programmed
		}
		page := c.mem[at : at+n]
		for i := range page {
			page[i] &= p[done+i]
		}
		if _, err := c.f.WriteAt(page, int64(at)); err != nil {
			return fmt.Errorf("flashsim: persist page %#x: %w", at, err)
		}
		done += n
	}
	if cut {
		// A program of one page: the power fails as it ends.
		c.cut.land()
		return fmt.Errorf("flashsim: program %#x+%#x: %w: power cut as it ended", off, len(p), ErrInterrupted)
	}
	return nil
}

// SetPowerCut switches a power cut on (nil: off). An erase it lands in
// stops half-way through its range (the sector there half-erased), a
// program after its first page, a read before any byte; each fails with
// ErrInterrupted.
func (c *Chip) SetPowerCut(cut *PowerCut) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.cut = cut
}

// SetDropsLastPage switches the drops_last_page defect: from now on each
// Program leaves its last page untouched and still reports success, as a
// driver that loses the final page-program command would.
func (c *Chip) SetDropsLastPage(on bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.dropLastPage = on
}

// Close interrupts an operation in progress (a power cut) and releases the
// file. The chip's contents are whatever was persisted.
func (c *Chip) Close() error {
	c.closeOnce.Do(func() { close(c.closed) })
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.f == nil {
		return nil
	}
	err := c.f.Close()
	c.f = nil
	return err
}

func (c *Chip) isClosed() bool {
	select {
	case <-c.closed:
		return true
	default:
		return false
	}
}

func (c *Chip) check(off, n int) error {
	if c.isClosed() {
		return ErrClosed
	}
	if off < 0 || n < 0 || off > c.g.Size-n {
		return ErrRange
	}
	return nil
}
