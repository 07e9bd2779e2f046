package main

import (
	"bufio"
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/camrig/camrig/harness/clock"
	"github.com/camrig/camrig/harness/console"
	"github.com/camrig/camrig/harness/power"
	"github.com/camrig/camrig/harness/procedure"
	"github.com/camrig/camrig/harness/profile"
	"github.com/camrig/camrig/harness/rig"
	"github.com/camrig/camrig/harness/secret"
)

func init() {
	register(command{name: "console", summary: "watch a unit's UART, send to it, or wait for a pattern", run: runConsole})
}

// stdin is what the interactive console sends to the unit (tests replace it).
var stdin io.Reader = os.Stdin

const consoleAbout = `Without --expect or --send: streams the unit's console to stdout until
Ctrl-C, sending each line typed on stdin followed by --eol.

--send STR writes STR (Go escapes allowed: "\x15" is Ctrl+U) followed by --eol
(--send "" is a bare Enter).
--expect PATTERN then waits for PATTERN (a literal with Go escapes, or RE2
with --regex), prints what arrived up to and including it, and exits 0, or
exits 1 when --timeout passes first.
--cycle power-cycles the unit once the console is open, so its whole boot is
seen; --expect then considers only what the unit says after power returns
(never a ready line left over from an earlier boot), and a line matching
one of the profile's failure markers (kernel panic, bad image, ...) ends
the wait at once with exit 1. --expect's timeout defaults to the profile's
boot deadline.
Only the console (and for --cycle the power line) is opened; the unit's
power stays as it is when the command ends.
Known credentials are replaced by [redacted] in what is printed.`

type consoleOpts struct {
	expect, send, eol string
	regex, cycle      bool
	// sendSet: --send was given, possibly empty (just the line ending:
	// Enter, to get a prompt).
	sendSet bool
	timeout deviceDuration
}

func runConsole(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	f := newFlags("console --rig R --unit U [--cycle] [--send STR] [--expect PATTERN [--regex] [--timeout D]]", consoleAbout, stderr).withRig().withUnit()
	var o consoleOpts
	f.StringVar(&o.expect, "expect", "", "wait for this pattern, then exit 0 (1 when --timeout passes)")
	f.BoolVar(&o.regex, "regex", false, "--expect is an RE2 regular expression")
	f.StringVar(&o.send, "send", "", "send this string (Go escapes allowed) followed by --eol")
	f.StringVar(&o.eol, "eol", "cr", "line ending after --send and stdin lines: cr, lf, crlf or none")
	f.BoolVar(&o.cycle, "cycle", false, "power-cycle the unit (profile boot.off_time) once the console is open")
	f.durationVar(&o.timeout, "timeout", "how long --expect waits (default: the profile's boot deadline)")
	pos, code, ok := f.parse(args)
	if !ok {
		return code
	}
	if len(pos) > 0 {
		return f.usageErr("unexpected arguments %q", pos)
	}
	f.Visit(func(fl *flag.Flag) { o.sendSet = o.sendSet || fl.Name == "send" })
	eol, ok := lineEndings[o.eol]
	if !ok {
		return f.usageErr("--eol %q: want cr, lf, crlf or none", o.eol)
	}
	send, err := unescape(o.send)
	if err != nil {
		return f.usageErr("--send: %v", err)
	}
	pattern, err := o.pattern()
	if err != nil {
		return f.usageErr("--expect: %v", err)
	}
	if (o.timeout.set || o.regex) && o.expect == "" {
		return f.usageErr("--timeout and --regex only apply to --expect")
	}
	r, name, code := f.rigAndUnit()
	if code != exitOK {
		return code
	}
	cfg, _ := r.Unit(name)
	if cfg.Console.Port == "" {
		return f.needUnitField(r, name, "console")
	}
	if o.cycle && cfg.Power == nil {
		return f.needUnitField(r, name, "power (for --cycle)")
	}
	// The console, and the power line only for --cycle; the power stays as
	// the command left it (watching a console must not switch a unit off).
	parts := []rig.Part{rig.PartConsole}
	if o.cycle {
		parts = append(parts, rig.PartPower)
	}
	opts := []rig.OpenOption{rig.Only(parts...)}
	if o.sendSet && !o.cycle {
		// What the unit said before the command is not its answer.
		opts = append(opts, rig.WithConsoleOptions(console.WithFreshStart()))
	}
	u, code := f.openUnit(ctx, r, name, opts...)
	if code != exitOK {
		return code
	}
	out := newScrubWriter(stdout, u.Secrets()...)
	code = f.closeUnit(u, consoleSession(ctx, f, u, o, pattern, send, eol, out))
	// What spilled past the memory window is raw (unredacted): nothing of
	// it may outlive the command.
	if err := u.Console.Transcript().Discard(); err != nil && code == exitOK {
		code = f.failure(fmt.Errorf("unit %s console: removing its spill files: %w", u.Name, err))
	}
	if err := out.Flush(); err != nil && code == exitOK {
		code = f.failure(err)
	}
	return code
}

var lineEndings = map[string]string{"cr": "\r", "lf": "\n", "crlf": "\r\n", "none": ""}

func (o consoleOpts) pattern() (console.Pattern, error) {
	if o.expect == "" {
		return console.Pattern{}, nil
	}
	var p console.Pattern
	if o.regex {
		p = console.Re(o.expect)
	} else {
		lit, err := unescape(o.expect)
		if err != nil {
			return p, err
		}
		p = console.Lit(lit)
	}
	return p, p.Err()
}

func consoleSession(ctx context.Context, f *flags, u *rig.Unit, o consoleOpts, pattern console.Pattern, send, eol string, out io.Writer) int {
	var poweredAt time.Time
	if o.cycle {
		var err error
		if poweredAt, err = cycleFresh(ctx, u); err != nil {
			return f.failure(fmt.Errorf("unit %s: %w", u.Name, err))
		}
	}
	if o.sendSet && send+eol != "" {
		if !o.cycle {
			// The command is the event --expect waits after: what the
			// unit said before it (still queued in the port when the
			// console opened) is not its answer. After --cycle the power
			// on is the event, and the boot's first lines count.
			if err := u.Console.DiscardInput(); err != nil {
				return f.failure(err)
			}
		}
		if _, err := u.Console.Write([]byte(send + eol)); err != nil {
			return f.failure(err)
		}
	}
	switch {
	case o.expect != "":
		return expectOnce(ctx, f, u, o, pattern, poweredAt, out)
	case o.sendSet:
		return exitOK
	}
	return streamConsole(ctx, f, u, eol, out)
}

// cycleFresh power-cycles the unit for its profile's off time and leaves
// the console's cursor at the moment power came back on: whatever the unit
// said before (a previous boot's log, still queued in the port when the
// console opened) is skipped, so --expect sees only the new boot. It
// returns when power on was requested: the boot's start.
func cycleFresh(ctx context.Context, u *rig.Unit) (time.Time, error) {
	if err := power.SetRecorded(ctx, u.Power, false, u.Clock, u.Timeline); err != nil {
		return time.Time{}, fmt.Errorf("cycle %s: off: %w", u.Power, err)
	}
	if err := clock.Wait(ctx, u.Clock, u.Scale.Of(u.Profile.Boot.OffTime)); err != nil {
		return time.Time{}, fmt.Errorf("cycle %s: interrupted while off: %w", u.Power, err)
	}
	// Before the request, not after its acknowledgement: a fast unit
	// starts talking before a slow relay board answers.
	u.Console.Skip()
	requested := u.Clock.Now()
	if err := power.SetRecorded(ctx, u.Power, true, u.Clock, u.Timeline); err != nil {
		return time.Time{}, fmt.Errorf("cycle %s: on: %w", u.Power, err)
	}
	return requested, nil
}

// expectOnce waits for pattern and prints what came up to and including
// it. A timeout is exitFailed with the tail of what did arrive. After a
// power cycle (poweredAt set) the wait is a boot: a line matching one of
// the profile's failure markers ends it at once, exitFailed, with that
// line and the ones before it.
func expectOnce(ctx context.Context, f *flags, u *rig.Unit, o consoleOpts, pattern console.Pattern, poweredAt time.Time, out io.Writer) int {
	d := u.Profile.Boot.Deadline
	if o.timeout.set {
		d = o.timeout.d
	}
	if d <= 0 {
		return f.usageErr("profile %s has no boot.deadline; give --timeout", u.Profile.Model)
	}
	ectx, cancel := clock.WithTimeout(ctx, u.Clock, u.Scale.Of(d), fmt.Sprintf("%s within %s", pattern, realTime(d, u.Scale)))
	defer cancel()
	pats := []console.Pattern{pattern}
	var failures []profile.FailureMarker
	if !poweredAt.IsZero() {
		var fp []console.Pattern
		fp, failures = procedure.FailurePatterns(u.Profile)
		pats = append(pats, fp...)
	}
	m, err := u.Console.Expect(ectx, pats...)
	if err != nil {
		// The error's tail of received bytes is already redacted.
		return f.failure(err)
	}
	if _, err := io.WriteString(out, m.Before+m.Text+"\n"); err != nil {
		return f.failure(err)
	}
	if m.Index > 0 {
		return f.failure(procedure.NewBootFailure(u.Name, u.Console, failures[m.Index-1], m, poweredAt))
	}
	return exitOK
}

// streamConsole copies the console to out and stdin lines to the unit
// until ctx ends (Ctrl-C). It closes the console itself and waits for the
// copy to finish, so every byte that arrived is printed before the unit is
// left.
func streamConsole(ctx context.Context, f *flags, u *rig.Unit, eol string, out io.Writer) int {
	fmt.Fprintf(f.stderr, "camrig console: %s on %s; Ctrl-C to quit\n", u.Name, u.Console.Name())
	copied := make(chan error, 1)
	rd := u.Console.Reader()
	go func() {
		_, err := io.Copy(out, rd)
		copied <- err
	}()
	sendErr := make(chan error, 1)
	go func() {
		// Nothing can interrupt a read of the terminal; this goroutine ends
		// with stdin or with the process.
		sc := bufio.NewScanner(stdin)
		for sc.Scan() {
			if _, err := u.Console.Write([]byte(sc.Text() + eol)); err != nil {
				sendErr <- err
				return
			}
		}
	}()
	code := exitOK
	select {
	case <-ctx.Done():
	case err := <-sendErr:
		code = f.failure(fmt.Errorf("sending to unit %s: %w", u.Name, err))
	case err := <-copied:
		// The reader ends on its own only when printing failed.
		return f.failure(fmt.Errorf("unit %s console: printing: %v", u.Name, err))
	}
	// Closing ends the reader after the last byte that arrived.
	if err := u.Console.Close(); err != nil && code == exitOK {
		code = f.failure(err)
	}
	if err := <-copied; err != nil && code == exitOK {
		code = f.failure(fmt.Errorf("unit %s console: printing: %v", u.Name, err))
	}
	return code
}

// unescape interprets Go escapes (\r, \n, \t, \\, \xHH, \uHHHH) in s so a
// command line can carry control bytes such as Ctrl+U ("\x15").
func unescape(s string) (string, error) {
	var b strings.Builder
	for s != "" {
		r, multibyte, tail, err := strconv.UnquoteChar(s, 0)
		if err != nil {
			return "", fmt.Errorf("bad escape near %q (want Go escapes like \\r, \\x15)", s[:min(len(s), 6)])
		}
		if multibyte {
			b.WriteRune(r)
		} else {
			b.WriteByte(byte(r))
		}
		s = tail
	}
	return b.String(), nil
}

// scrubWriter replaces secret values, in any form (secret.Matcher), in a
// byte stream. It holds back only a tail that could be the start of a
// secret, so an interactive prompt ("login: ") shows at once while a secret
// split across two writes is still caught.
type scrubWriter struct {
	mu    sync.Mutex
	w     io.Writer
	m     *secret.Matcher
	carry []byte
}

func newScrubWriter(w io.Writer, secrets ...secret.Secret) *scrubWriter {
	return &scrubWriter{w: w, m: secret.NewMatcher(secrets...)}
}

func (s *scrubWriter) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if !s.m.Active() {
		return s.w.Write(p)
	}
	data := append(s.carry, p...)
	keep := s.m.Hold(data)
	if _, err := s.w.Write(s.m.Redact(data[:keep])); err != nil {
		return 0, err
	}
	s.carry = append([]byte(nil), data[keep:]...)
	return len(p), nil
}

// Flush writes a held-back tail: the stream ended, so what could have
// become a secret is cut; a start of one is hidden all the same.
func (s *scrubWriter) Flush() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(s.carry) == 0 {
		return nil
	}
	_, err := s.w.Write(s.m.RedactCut(s.carry))
	s.carry = nil
	return err
}
