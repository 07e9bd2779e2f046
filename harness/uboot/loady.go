package uboot

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/camrig/camrig/harness/clock"
	"github.com/camrig/camrig/harness/console"
	"github.com/camrig/camrig/harness/ymodem"
)

// LoadY sends data into RAM at addr with `loady`. When baud is non-zero
// and differs from the console's rate it runs `loady addr baud` and does
// the bootloader's two hand-offs: "## Switch baudrate to B bps and press
// ENTER ..." (switch the console, send CR) before the transfer and
// "... press ESC ..." (switch back, send ESC) after it. The bootloader's
// "## Total Size" must equal len(data). progress (may be nil) is told the
// bytes acknowledged so far.
//
// On failure the console is back at its own rate, so a power cycle puts
// both ends in step again.
func (s *Session) LoadY(ctx context.Context, addr uint64, baud int, data []byte, progress ymodem.ProgressFunc) (stats ymodem.Stats, err error) {
	cur := s.conn.Baud()
	switching := baud > 0 && cur > 0 && baud != cur
	if switching {
		defer func() {
			if err != nil && s.conn.Baud() != cur {
				s.conn.SetBaud(cur)
			}
		}()
	}
	cmd := fmt.Sprintf("loady %#x", addr)
	rate := cur
	if switching {
		cmd += fmt.Sprintf(" %d", baud)
		rate = baud
	}
	fail := func(err error) (ymodem.Stats, error) {
		return ymodem.Stats{}, &CommandError{Cmd: cmd, RC: -1, Err: err}
	}
	s.conn.Skip()
	s.mark("loady", fmt.Sprintf("%d bytes to %#x at %d bps", len(data), addr, rate))
	if err := s.conn.Send(ctx, cmd+"\r"); err != nil {
		return fail(err)
	}
	var m console.Match
	if switching {
		m, err = s.switchBaud(ctx, "ENTER", baud, "\r", console.Re(reReady.String()))
	} else {
		wctx, cancel := clock.WithTimeout(ctx, s.clk, s.timeout, "loady's ready line")
		m, err = s.conn.Expect(wctx, console.Re(reReady.String()), console.Lit(s.bl.Prompt))
		cancel()
	}
	if err != nil {
		return fail(err)
	}
	if m.Index == 1 {
		return fail(fmt.Errorf("the bootloader refused loady: %s", Said(m.Before)))
	}
	ready, err := ParseReady(m.Text)
	if err != nil {
		return fail(err)
	}
	if ready.Addr != addr || ready.Protocol != "ymodem" {
		return fail(fmt.Errorf("bootloader is ready for %s to %#x, asked ymodem to %#x", ready.Protocol, ready.Addr, addr))
	}

	start := s.clk.Now()
	var sendErr error
	// The receiver is U-Boot's xyzModem (it said so in its ready line): it
	// never asks for block 1 with a 'C', so waiting for one is only lost.
	snd := ymodem.New(s.conn, ymodem.WithClock(s.clk), ymodem.WithProgress(progress), ymodem.WithLogger(s.log), ymodem.WithoutStartGrace())
	stats, sendErr = snd.YModem(ctx, ymodem.File{Name: "camrig.bin", Data: data})
	s.tl.Span(start, s.clk.Now(), "console", "uboot.ymodem", fmt.Sprintf("%d/%d bytes, %d retransmits", stats.Bytes, len(data), stats.Retransmits))

	// Whatever happened, the bootloader now prints its summary (or
	// "download aborted"), may ask for ESC at the old rate, then prompts.
	wctx, cancel := clock.WithTimeout(ctx, s.clk, s.timeout, "loady to finish")
	defer cancel()
	pats := []console.Pattern{console.Re(reTotal.String()), console.Lit("download aborted"), console.Lit(s.bl.Prompt)}
	m, err = s.conn.Expect(wctx, pats...)
	if sendErr != nil {
		if switching {
			s.switchBaud(wctx, "ESC", cur, "\x1b", console.Lit(s.bl.Prompt))
		}
		return stats, &CommandError{Cmd: cmd, RC: -1, Output: m.Before + m.Text, Err: fmt.Errorf("transfer failed: %w", sendErr)}
	}
	if err != nil {
		return stats, &CommandError{Cmd: cmd, RC: -1, Err: fmt.Errorf("after the transfer: %w", err)}
	}
	if m.Index != 0 {
		return stats, &CommandError{Cmd: cmd, RC: 1, Output: m.Before + m.Text, Err: errors.New("the bootloader did not confirm the transfer")}
	}
	total, err := ParseTotalSize(m.Text)
	if err == nil && total != int64(len(data)) {
		err = fmt.Errorf("the bootloader received %d bytes, sent %d", total, len(data))
	}
	if err != nil {
		return stats, &CommandError{Cmd: cmd, RC: -1, Output: m.Text, Err: err}
	}
	if switching {
		if _, err := s.switchBaud(wctx, "ESC", cur, "\x1b", console.Lit(s.bl.Prompt)); err != nil {
			return stats, &CommandError{Cmd: cmd, RC: -1, Err: err}
		}
	} else if _, err := s.conn.Expect(wctx, console.Lit(s.bl.Prompt)); err != nil {
		return stats, &CommandError{Cmd: cmd, RC: -1, Err: fmt.Errorf("no prompt after the transfer: %w", err)}
	}
	s.mark("loaded", fmt.Sprintf("%d bytes at %#x", total, addr))
	return stats, nil
}

// switchBaud answers "## Switch baudrate to B bps and press KEY ...": it
// switches the console to baud and sends key until next (a regular
// expression) appears. The key is repeated because the bootloader switches
// its UART some 50 ms after printing the line and ignores what comes
// before; bytes that arrive after it has moved on are harmless.
func (s *Session) switchBaud(ctx context.Context, keyName string, baud int, key string, next console.Pattern) (console.Match, error) {
	ctx, cancel := clock.WithTimeout(ctx, s.clk, s.timeout, "the bootloader's baud switch")
	defer cancel()
	ask := fmt.Sprintf("## Switch baudrate to %d bps and press %s", baud, keyName)
	if _, err := s.conn.Expect(ctx, console.Lit(ask)); err != nil {
		return console.Match{}, fmt.Errorf("waiting for %q: %w", ask, err)
	}
	if err := s.conn.SetBaud(baud); err != nil {
		return console.Match{}, err
	}
	s.mark("baud", fmt.Sprint(baud))
	for {
		if _, err := s.conn.Write([]byte(key)); err != nil {
			return console.Match{}, fmt.Errorf("sending %s: %w", keyName, err)
		}
		wctx, wcancel := clock.WithTimeout(ctx, s.clk, 100*time.Millisecond, "answer to "+keyName)
		m, err := s.conn.Expect(wctx, next)
		wcancel()
		if err == nil {
			return m, nil
		}
		if ctx.Err() != nil || !errors.Is(err, context.DeadlineExceeded) {
			return console.Match{}, fmt.Errorf("no answer to %s at %d bps (the bootloader may be stuck at the new rate; power-cycle it): %w", keyName, baud, err)
		}
	}
}
