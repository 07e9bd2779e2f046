package uboot

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/camrig/camrig/harness/clock"
	"github.com/camrig/camrig/harness/console"
)

// ErrRestarted is a command cut short by the unit starting over: the
// bootloader's autoboot line appeared before the command's end, as after a
// power cut or a reset mid-command. What the command did is unknown.
var ErrRestarted = errors.New("the unit restarted before the command ended (its bootloader's autoboot line appeared: a power cut or a reset); what the command did is unknown")

// CommandError is a bootloader command that failed or never finished.
type CommandError struct {
	Cmd string
	// RC is the command's exit status ($?); -1 if it never finished.
	RC int
	// Output is what the command printed (line ends normalised to \n).
	Output string
	// Err is why the command never finished (a deadline, a lost console),
	// or a reply that contradicts success; nil for a plain non-zero status.
	Err error
}

func (e *CommandError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "uboot: %q", e.Cmd)
	switch {
	case e.Err != nil && e.RC > 0:
		fmt.Fprintf(&b, " failed (exit status %d): %v", e.RC, e.Err)
	case e.Err != nil:
		fmt.Fprintf(&b, ": %v", e.Err)
	default:
		fmt.Fprintf(&b, " failed (exit status %d)", e.RC)
	}
	if said := Said(e.Output); said != "" {
		b.WriteString("; the unit said: " + said)
	}
	return b.String()
}

func (e *CommandError) Unwrap() error { return e.Err }

// Said quotes the last lines of bootloader output for an error message.
func Said(out string) string {
	out = strings.TrimSpace(out)
	if out == "" {
		return ""
	}
	lines := strings.Split(out, "\n")
	if len(lines) > 6 {
		lines = lines[len(lines)-6:]
	}
	s := strings.Join(lines, "\n")
	if len(s) > 400 {
		s = "..." + s[len(s)-400:]
	}
	return strconv.Quote(s)
}

// Run executes one command line at the prompt and returns what it printed.
// A non-zero exit status is a *CommandError carrying the output. It is
// bounded by the session's command timeout (and ctx).
func (s *Session) Run(ctx context.Context, cmd string) (string, error) {
	return s.RunFor(ctx, s.timeout, cmd)
}

// RunFor is Run with its own time allowance, for commands whose duration
// grows with their size (erasing, writing, reading flash).
//
// Framing, as the profile's bootloader.framing says:
//
//   - hush (default): the line sent is `cmd; echo __camrig_rc_N=$?` (hush
//     keeps the last exit status in $?). The echo of the typed line shows
//     `=$?`, the answer shows digits, so the two cannot be confused.
//   - simple (no hush shell, $? is printed as typed): the line sent is
//     `cmd; echo __camrig_'end'_N`. Both parsers drop the single quotes,
//     so the answer reads __camrig_end_N while the echo of the typed line
//     does not. There is no exit status: a command failed if its output
//     holds one of U-Boot's failure lines (SimpleFailures).
//
// N changes every command so a late reply to an earlier one cannot be
// taken for this one's.
func (s *Session) RunFor(ctx context.Context, d time.Duration, cmd string) (string, error) {
	if strings.ContainsAny(cmd, "\r\n") {
		return "", &CommandError{Cmd: cmd, RC: -1, Err: fmt.Errorf("a command must be one line")}
	}
	s.seq++
	tail, done := s.frame()
	line := tail
	if cmd != "" {
		line = cmd + "; " + tail
	}
	ctx, cancel := clock.WithTimeout(ctx, s.clk, d, fmt.Sprintf("bootloader command %q to finish", cmd))
	defer cancel()
	start := s.clk.Now()
	s.conn.Skip()
	if err := s.conn.Send(ctx, line+"\r"); err != nil {
		return "", &CommandError{Cmd: cmd, RC: -1, Err: err}
	}
	// A unit that starts over mid-command (the power failed during an
	// erase) never prints the command's end: its autoboot line says so at
	// once, rather than the command's whole deadline (minutes for a large
	// erase) later.
	ends := []console.Pattern{done}
	if s.bl.Autoboot != "" {
		ends = append(ends, console.Lit(s.bl.Autoboot))
	}
	m, err := s.conn.Expect(ctx, ends...)
	if err != nil {
		return "", &CommandError{Cmd: cmd, RC: -1, Err: err}
	}
	out := commandOutput(m.Before, tail)
	if m.Index != 0 {
		s.mark("restarted", cmd)
		return out, &CommandError{Cmd: cmd, RC: -1, Output: out, Err: ErrRestarted}
	}
	rc := 0
	if len(m.Groups) > 0 {
		rc, _ = strconv.Atoi(m.Groups[0])
	} else if failed := simpleFailure(out); failed != "" {
		rc = 1
	}
	if _, err := s.conn.Expect(ctx, console.Lit(s.bl.Prompt)); err != nil {
		return out, &CommandError{Cmd: cmd, RC: -1, Output: out, Err: fmt.Errorf("no prompt after the command: %w", err)}
	}
	s.tl.Span(start, s.clk.Now(), "console", "uboot.command", cmd)
	if rc != 0 {
		return out, &CommandError{Cmd: cmd, RC: rc, Output: out}
	}
	return out, nil
}

// Framings a profile can name (bootloader.framing).
const (
	FramingHush   = "hush"
	FramingSimple = "simple"
)

// frame returns the tail appended to the current command and the pattern
// its answer matches (with the exit status as its group under hush).
func (s *Session) frame() (tail string, done console.Pattern) {
	if s.bl.Framing == FramingSimple {
		return fmt.Sprintf("echo __camrig_'end'_%d", s.seq), console.Re(fmt.Sprintf(`__camrig_end_%d\r?\n`, s.seq))
	}
	marker := fmt.Sprintf("__camrig_rc_%d", s.seq)
	return "echo " + marker + "=$?", console.Re(marker + `=(\d+)\r?\n`)
}

// SimpleFailures are the lines by which U-Boot (and the vendor trees built
// on it) say a command failed: without hush they are all a session has to
// tell failure from success. Each command's own parser (crc32, sf, mmc,
// nand, cp.b) still checks its confirmation line.
var SimpleFailures = []string{"Unknown command '", "Usage:", "## Error", "syntax error", "ERROR", "failed", "Failed", "FAILED", "Bad ", "not found"}

// simpleFailure returns the first output line holding a failure phrase.
func simpleFailure(out string) string {
	for _, l := range strings.Split(out, "\n") {
		for _, f := range SimpleFailures {
			if strings.Contains(l, f) {
				return strings.TrimSpace(l)
			}
		}
	}
	return ""
}

// commandOutput cuts the echo of the typed line (and anything before it,
// such as stray prompts) off the text before the status marker.
func commandOutput(before, echoTail string) string {
	before = strings.ReplaceAll(before, "\r\n", "\n")
	if i := strings.LastIndex(before, echoTail); i >= 0 {
		rest := before[i+len(echoTail):]
		if j := strings.IndexByte(rest, '\n'); j >= 0 {
			before = rest[j+1:]
		} else {
			before = ""
		}
	}
	return strings.TrimRight(before, "\r\n")
}
