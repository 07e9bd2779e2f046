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

// Interrupt stops autoboot right after power-on. It waits for the
// bootloader's first line (the profile's banner or autoboot line, or the
// prompt of a unit that has nothing to boot), then sends the interrupt key
// (Presses times) and keeps sending it, a quarter countdown apart, until the
// prompt appears. A password prompt is answered once with the session's
// password (never logged). It ends with an empty framed command so the
// line is clean of surplus keys. ctx bounds the whole wait: give it the
// profile's boot deadline. Call the console's Skip before powering the unit
// on, so a prompt from before the power cycle is not taken for a new one.
func (s *Session) Interrupt(ctx context.Context) error {
	bl := s.bl
	if bl.Prompt == "" || bl.InterruptKey == "" {
		return errors.New("uboot: the profile's bootloader has no prompt or interrupt_key")
	}
	first := []console.Pattern{console.Lit(bl.Prompt)}
	if bl.Autoboot != "" {
		first = append(first, console.Lit(bl.Autoboot))
	}
	if bl.Banner != "" {
		first = append(first, console.Lit(bl.Banner))
	}
	m, err := s.conn.Expect(ctx, first...)
	if err != nil {
		return fmt.Errorf("uboot: waiting for the bootloader after power-on: %w", err)
	}
	s.mark("first-line", m.Text)
	if m.Index != 0 {
		if err := s.pressUntilPrompt(ctx); err != nil {
			return err
		}
	}
	if err := s.cleanLine(ctx); err != nil {
		return err
	}
	s.mark("prompt", "autoboot stopped")
	return nil
}

// Handshake limits: a clean line answers an empty framed command within a
// fraction of a second; three tries survive stale bytes arriving late.
const (
	handshakeTries   = 3
	handshakeTimeout = 2 * time.Second
)

// DefaultLineClear is Ctrl+C: U-Boot abandons the line it is editing
// ("<INTERRUPT>") and prompts again.
const DefaultLineClear = "\x03"

// cleanLine empties the bootloader's input line with the profile's clear
// key and runs an empty framed command, retrying (clear again, run again)
// until one answers. Bytes a cut run left in the UART FIFO (half of a
// "cp.b ..." typed when the harness died) would otherwise prefix the
// first command: "Unknown command 'p.b'", and no answer.
func (s *Session) cleanLine(ctx context.Context) error {
	clear := s.bl.LineClear
	if clear == "" {
		clear = DefaultLineClear
	}
	var last error
	for try := 1; try <= handshakeTries; try++ {
		if _, err := s.conn.Write([]byte(clear)); err != nil {
			return fmt.Errorf("uboot: clearing the bootloader's line: %w", err)
		}
		_, err := s.RunFor(ctx, min(s.timeout, handshakeTimeout), "")
		if err == nil {
			if try > 1 {
				s.mark("line-cleared", fmt.Sprintf("after %d tries", try))
			}
			return nil
		}
		last = err
		if ctx.Err() != nil {
			break
		}
		s.log.Warn("uboot: the shell did not answer at the prompt; clearing its line again", "try", try, "err", err)
	}
	return fmt.Errorf("uboot: at the prompt, the shell does not answer (framing %q, cleared the line %d times): %w", s.framing(), handshakeTries, last)
}

func (s *Session) framing() string {
	if s.bl.Framing == "" {
		return FramingHush
	}
	return s.bl.Framing
}

// resendInterval paces interrupt keys: often enough to land inside the
// countdown, rarely enough not to flood the prompt.
func (s *Session) resendInterval() time.Duration {
	d := s.scale.Of(s.bl.Countdown) / 4
	return min(max(d, 10*time.Millisecond), 500*time.Millisecond)
}

func (s *Session) pressUntilPrompt(ctx context.Context) error {
	bl := s.bl
	key := []byte(strings.Repeat(bl.InterruptKey, max(bl.Presses, 1)))
	pats := []console.Pattern{console.Lit(bl.Prompt)}
	if bl.PasswordPrompt != "" {
		pats = append(pats, console.Lit(bl.PasswordPrompt))
	}
	sending, answered := true, false
	for {
		if sending {
			if _, err := s.conn.Write(key); err != nil {
				return fmt.Errorf("uboot: sending the interrupt key: %w", err)
			}
		}
		// While keys go out, wake every resend interval; after a password
		// only ctx bounds the wait (a key now would be typed into the shell).
		wctx, cancel := ctx, context.CancelFunc(func() {})
		if sending {
			wctx, cancel = clock.WithTimeout(ctx, s.clk, s.resendInterval(), "bootloader prompt")
		}
		m, err := s.conn.Expect(wctx, pats...)
		cancel()
		switch {
		case err == nil && m.Index == 0:
			return nil
		case err == nil:
			if answered {
				return errors.New("uboot: the bootloader asked for its password again: the password is wrong")
			}
			if err := s.sendPassword(); err != nil {
				return err
			}
			sending, answered = false, true
		case ctx.Err() == nil && errors.Is(err, context.DeadlineExceeded):
			// Resend interval over: press again.
		default:
			return fmt.Errorf("uboot: no prompt %q after sending the interrupt key: %w", bl.Prompt, err)
		}
	}
}

func (s *Session) sendPassword() error {
	if s.password.IsZero() {
		return errors.New("uboot: the bootloader asks for a password but the rig gives none")
	}
	pw, err := s.password.Value()
	if err != nil {
		return fmt.Errorf("uboot: bootloader password: %w", err)
	}
	// Write, not Send: Send records what it sends on the timeline.
	if _, err := s.conn.Write([]byte(pw + "\r")); err != nil {
		return fmt.Errorf("uboot: sending the password: %w", err)
	}
	s.mark("password", "sent")
	return nil
}
