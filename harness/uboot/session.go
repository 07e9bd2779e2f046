// Package uboot drives a bootloader (Das U-Boot and vendor forks of it)
// over a unit's console: stop autoboot after power-on and clear the line,
// run commands framed for a hush shell (exit status from $?) or for one
// without (success read from the output), load images over YMODEM, and
// program and verify flash (SPI NOR through `sf`, memory-mapped CFI NOR
// through protect/erase/cp.b or word by word, SPI and raw NAND through
// `nand`, eMMC through `mmc`). Every reply the bootloader prints is
// parsed, and every failure says what the unit said.
package uboot

import (
	"context"
	"log/slog"
	"time"

	"github.com/camrig/camrig/harness/clock"
	"github.com/camrig/camrig/harness/console"
	"github.com/camrig/camrig/harness/profile"
	"github.com/camrig/camrig/harness/secret"
	"github.com/camrig/camrig/harness/timeline"
)

// Conn is the part of a console a Session uses. *console.Console
// satisfies it; tests put one over harness/console/consoletest.
type Conn interface {
	Expect(ctx context.Context, patterns ...console.Pattern) (console.Match, error)
	Send(ctx context.Context, s string) error
	Write(p []byte) (int, error)
	ReadContext(ctx context.Context, p []byte) (int, error)
	Skip()
	SetBaud(baud int) error
	Baud() int
}

// DefaultCommandTimeout bounds a command that has no size-dependent
// allowance of its own.
const DefaultCommandTimeout = 10 * time.Second

// Session is one conversation with a unit's bootloader. It is not safe for
// concurrent use: a console has one cursor.
type Session struct {
	conn     Conn
	bl       profile.Bootloader
	clk      clock.Clock
	scale    clock.Scale
	tl       *timeline.Timeline
	log      *slog.Logger
	password secret.Secret
	timeout  time.Duration
	seq      int
}

// Option configures New.
type Option func(*Session)

// WithClock sets the clock every deadline runs on (default the wall clock).
func WithClock(c clock.Clock) Option { return func(s *Session) { s.clk = c } }

// WithScale is the rig's timescale, applied to the profile's autoboot
// countdown (the virtual rig counts down faster).
func WithScale(sc clock.Scale) Option { return func(s *Session) { s.scale = sc } }

// WithTimeline records interrupts, commands and transfers.
func WithTimeline(t *timeline.Timeline) Option { return func(s *Session) { s.tl = t } }

// WithLogger sets the logger (default: discard).
func WithLogger(l *slog.Logger) Option { return func(s *Session) { s.log = l } }

// WithPassword is the answer to the profile's bootloader password prompt.
func WithPassword(p secret.Secret) Option { return func(s *Session) { s.password = p } }

// WithCommandTimeout replaces DefaultCommandTimeout.
func WithCommandTimeout(d time.Duration) Option { return func(s *Session) { s.timeout = d } }

// New starts a session on conn for a bootloader described by bl.
func New(conn Conn, bl profile.Bootloader, opts ...Option) *Session {
	s := &Session{conn: conn, bl: bl, scale: 1, log: slog.New(slog.DiscardHandler), timeout: DefaultCommandTimeout}
	for _, o := range opts {
		o(s)
	}
	s.clk = clock.OrReal(s.clk)
	return s
}

// Prompt is the bootloader's prompt from the profile.
func (s *Session) Prompt() string { return s.bl.Prompt }

func (s *Session) mark(kind, detail string) {
	s.tl.Mark(s.clk.Now(), timeline.Console, "uboot."+kind, detail)
}
