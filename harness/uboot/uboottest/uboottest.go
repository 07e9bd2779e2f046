// Package uboottest is a scripted U-Boot for unit tests of code that
// drives a bootloader (harness/uboot, the reflash procedure): a real
// *console.Console over an in-memory device that counts down to autoboot,
// stops on a key, runs a hush-like command line with $?, receives YMODEM
// for loady, and keeps RAM and a NOR flash (SPI through `sf`, or CFI mapped
// at a bus address) in memory. Faults are injected by setting fields.
//
// It speaks U-Boot's formats as harness/uboot's parsers expect them; the
// proof against the real thing is harness/uboot's QEMU test.
package uboottest

import (
	"bytes"
	"context"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/camrig/camrig/harness/console"
	"github.com/camrig/camrig/harness/console/consoletest"
)

// Config describes the fake unit.
type Config struct {
	Prompt    string        // default "=> "
	Banner    string        // default "U-Boot 2023.01-fake"
	Autoboot  string        // default "Hit any key to stop autoboot"
	Countdown time.Duration // real time before autoboot (default 200ms)
	// Ready is printed when the unit boots an image Boot accepts.
	Ready string
	// Boot judges the flash at autoboot; false leaves the unit at its
	// prompt after "## Bad image". nil boots anything.
	Boot func(flash []byte) bool
	// Flash is "spi-nor" or "cfi-nor".
	Flash     string
	FlashSize int
	EraseSize int
	FlashBase uint64 // bus address of a cfi-nor flash
	// Protected is how many leading cfi-nor sectors start protected.
	Protected int
	RAMBase   uint64
	RAMSize   int
	// MaxBaud is the fastest loady rate the unit survives; asked for more
	// it switches and never answers again (like U-Boot on QEMU's pl011).
	MaxBaud int
}

func (c *Config) defaults() {
	if c.Prompt == "" {
		c.Prompt = "=> "
	}
	if c.Banner == "" {
		c.Banner = "U-Boot 2023.01-fake"
	}
	if c.Autoboot == "" {
		c.Autoboot = "Hit any key to stop autoboot"
	}
	if c.Countdown == 0 {
		c.Countdown = 200 * time.Millisecond
	}
	if c.Flash == "" {
		c.Flash = "spi-nor"
	}
	if c.FlashSize == 0 {
		c.FlashSize = 1 << 20
	}
	if c.EraseSize == 0 {
		c.EraseSize = 64 << 10
	}
	if c.RAMSize == 0 {
		c.RAMSize = 4 << 20
	}
}

type state int

const (
	off state = iota
	counting
	prompt
	waitKey // baud switch: waiting for CR or ESC
	loading
	booted
	dead
)

// Unit is the fake bootloader.
type Unit struct {
	cfg Config
	dev *consoletest.Device

	mu        sync.Mutex
	st        state
	timer     *time.Timer
	line      []byte
	ram       []byte
	flash     []byte
	protected []bool
	rx        *receiver
	loadBaud  int
	curBaud   int
	filesize  int
	history   []string
	ranMore   chan struct{} // closed when the next line is run (WaitRan)

	// Faults, consumed as they fire.
	CorruptLoads int  // the next N loads land with one byte flipped
	CancelLoads  int  // the next N loads are cancelled by the unit
	CutOnWrite   bool // the next flash write programs half and loses power
}

// New returns a console wired to a fresh, unpowered Unit.
func New(t testing.TB, cfg Config, opts ...console.Option) (*console.Console, *Unit) {
	t.Helper()
	cfg.defaults()
	con, dev := consoletest.New(t, opts...)
	u := &Unit{cfg: cfg, dev: dev, ram: make([]byte, cfg.RAMSize), flash: bytes.Repeat([]byte{0xff}, cfg.FlashSize), curBaud: 115200}
	u.protected = make([]bool, cfg.FlashSize/cfg.EraseSize)
	for i := 0; i < cfg.Protected && i < len(u.protected); i++ {
		u.protected[i] = true
	}
	dev.OnWrite(func(_ *consoletest.Device, p []byte) { u.input(p) })
	t.Cleanup(func() { u.SetPower(false) })
	return con, u
}

// SetPower switches the unit (wire it to powertest.Fake.OnSet). Power on
// boots it; power off loses RAM and silences it.
func (u *Unit) SetPower(on bool) {
	u.mu.Lock()
	defer u.mu.Unlock()
	if u.timer != nil {
		u.timer.Stop()
	}
	if !on {
		u.st = off
		clear(u.ram)
		return
	}
	u.powerOnLocked()
}

func (u *Unit) powerOnLocked() {
	u.st, u.line, u.rx, u.curBaud = counting, nil, nil, 115200
	u.print("\r\n\r\n%s (fake)\r\n\r\nDRAM:  %d MiB\r\n%s:  1 ", u.cfg.Banner, u.cfg.RAMSize>>20, u.cfg.Autoboot)
	u.timer = time.AfterFunc(u.cfg.Countdown, u.autoboot)
}

func (u *Unit) autoboot() {
	u.mu.Lock()
	defer u.mu.Unlock()
	if u.st != counting {
		return
	}
	u.print("\b\b\b 0 \r\n")
	if u.cfg.Boot == nil || u.cfg.Boot(u.flash) {
		u.print("## Booting kernel from flash ...\r\nStarting kernel ...\r\n\r\n%s\r\n", u.cfg.Ready)
		u.st = booted
		return
	}
	u.print("## Bad image in flash: staying in the bootloader\r\n%s", u.cfg.Prompt)
	u.st = prompt
}

// Flash returns a copy of the flash.
func (u *Unit) Flash() []byte {
	u.mu.Lock()
	defer u.mu.Unlock()
	return append([]byte(nil), u.flash...)
}

// SetFlash overwrites flash at off (test set-up).
func (u *Unit) SetFlash(off int, p []byte) {
	u.mu.Lock()
	defer u.mu.Unlock()
	copy(u.flash[off:], p)
}

// History is every command line the unit ran.
func (u *Unit) History() []string {
	u.mu.Lock()
	defer u.mu.Unlock()
	return append([]string(nil), u.history...)
}

// WaitRan waits until the unit has run a command starting with prefix
// (Ran > 0), or ctx ends.
func (u *Unit) WaitRan(ctx context.Context, prefix string) error {
	for {
		u.mu.Lock()
		ran := ranIn(u.history, prefix) > 0
		if !ran && u.ranMore == nil {
			u.ranMore = make(chan struct{})
		}
		more := u.ranMore
		u.mu.Unlock()
		if ran {
			return nil
		}
		select {
		case <-more:
		case <-ctx.Done():
			return fmt.Errorf("the unit never ran %q: %w", prefix, context.Cause(ctx))
		}
	}
}

// Ran counts history lines starting with prefix.
func (u *Unit) Ran(prefix string) int { return ranIn(u.History(), prefix) }

// ranIn counts the commands of history starting with prefix.
func ranIn(history []string, prefix string) int {
	n := 0
	for _, h := range history {
		for _, part := range strings.Split(h, ";") {
			if strings.HasPrefix(strings.TrimSpace(part), prefix) {
				n++
			}
		}
	}
	return n
}

func (u *Unit) print(format string, args ...any) {
	u.dev.Print(fmt.Sprintf(format, args...))
}

func (u *Unit) input(p []byte) {
	u.mu.Lock()
	defer u.mu.Unlock()
	rate := u.curBaud
	if u.st == loading || (u.st == waitKey && u.rx != nil) {
		rate = u.loadBaud
	}
	if b := u.dev.Baud(); b != 0 && b != rate {
		return // the host talks at another rate: the unit sees line noise
	}
	for i := 0; i < len(p); i++ {
		b := p[i]
		switch u.st {
		case counting:
			u.timer.Stop()
			u.print("\b\b\b 0 \r\n%s", u.cfg.Prompt)
			u.st = prompt
		case prompt:
			u.typed(b)
		case waitKey:
			u.switchKey(b)
		case loading:
			u.rx.feed(u, b)
		}
	}
}

// typed is the line editor: echo, and run on CR.
func (u *Unit) typed(b byte) {
	switch b {
	case '\r':
		line := string(u.line)
		u.line = nil
		u.print("\r\n")
		u.runLine(line)
		if u.st == prompt {
			u.print("%s", u.cfg.Prompt)
		}
	case '\n':
	case 0x03:
		u.line = nil
		u.print("<INTERRUPT>\r\n%s", u.cfg.Prompt)
	default:
		if b >= 0x20 && b < 0x7f {
			u.line = append(u.line, b)
			u.print("%c", b)
		}
	}
}
