// Package numato drives Numato Lab USB relay and GPIO modules: the relay
// channels as power switches (driver "numato") and the GPIO inputs as the
// LED sensor's input (led driver "numato-gpio"). Both go through one board
// handle per binding on the shared serial port, so a unit's power, solenoid
// and LED may sit on one board.
package numato

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"github.com/camrig/camrig/harness/clock"
	"github.com/camrig/camrig/harness/internal/bindcheck"
	"github.com/camrig/camrig/harness/led"
	"github.com/camrig/camrig/harness/power"
	"github.com/camrig/camrig/harness/power/serialboard"
)

// Driver numato: Numato Lab USB relay and GPIO modules (CDC-ACM, ASCII).
//
//	power: {driver: numato, port: /dev/ttyACM0, channel: 0, baud: 19200, timeout: 1s}
//
// Wire format (one exchange at a time, per board):
//
//	host:  "relay on N\r" | "relay off N\r" | "relay read N\r" | "gpio read N\r"
//	board: echo of the command, "\n\r", for reads the value line
//	       ("on"/"off", "0"/"1") and "\n\r", then the prompt ">".
//
// N is one character: 0-9 for channels 0-9 and upper-case A-V for 10-31
// (the boards take only the first character, and lower case is ignored).
// The prompt is the acknowledgement: the board prints it after it has
// acted. Boards whose firmware prints no prompt are tolerated: when the
// echo (and, for reads, the value line) is complete and no '>' follows
// within PromptGrace, the exchange is accepted and the board is remembered
// as prompt-less, so later exchanges acknowledge at the end of the echo
// without waiting. A board that does not echo is accepted too, provided its
// prompt follows a line end. Set returns once the board acknowledged; there
// is no extra read-back (Get does that).

// PromptGrace is how long a numato exchange waits for a missing prompt
// before accepting the reply without one (once per binding; see above).
var PromptGrace = 20 * time.Millisecond

const numatoDefaultBaud = 19200

func init() {
	power.Register(power.Driver{Name: "numato", Press: true, Open: openNumato, Check: checkNumato})
	led.Register(led.Driver{Name: "numato-gpio", Open: openLED, Check: checkLED})
}

func checkNumato(cfg power.Config, _ bindcheck.Scope) bindcheck.Problems {
	ps := serialboard.CheckPort(cfg)
	if _, err := numatoIndex(cfg.Channel); err != nil {
		ps.Err("channel", err)
	}
	return ps
}

// numatoBoard is one binding's view of a Numato board.
type numatoBoard struct {
	*serialboard.Board
	noPrompt atomic.Bool
}

func openNumatoBoard(ctx context.Context, cfg power.Config, deps power.Deps) (*numatoBoard, error) {
	sb, err := serialboard.Open(ctx, "numato", cfg, deps, numatoDefaultBaud)
	if err != nil {
		return nil, err
	}
	return &numatoBoard{Board: sb}, nil
}

// numatoIndex encodes a relay or GPIO number as the boards expect it.
func numatoIndex(n int) (string, error) {
	switch {
	case n >= 0 && n <= 9:
		return string(rune('0' + n)), nil
	case n >= 10 && n <= 31:
		return string(rune('A' + n - 10)), nil
	}
	return "", fmt.Errorf("channel %d out of range 0-31", n)
}

// errPromptless marks a reply that is complete except for the prompt.
var errPromptless = errors.New("reply complete but no prompt yet")

// command sends cmd and returns the reply's value line ("" when wantValue
// is false). subject names the switch or input for errors.
func (b *numatoBoard) command(ctx context.Context, subject, cmd string, wantValue bool) (string, error) {
	var value string
	err := b.Exchange(ctx, cmd, func(ctx context.Context, l *serialboard.Link) error {
		if err := l.Write(ctx, []byte(cmd+"\r")); err != nil {
			return err
		}
		buf, err := b.awaitReply(ctx, l, cmd, wantValue)
		if err != nil {
			if len(buf) == 0 {
				return fmt.Errorf("no answer: %w", err)
			}
			return fmt.Errorf("%w (board sent %s)", err, power.QuoteBytes(buf))
		}
		value, err = numatoValue(parseNumatoReply(cmd, buf), wantValue)
		if err != nil {
			return fmt.Errorf("%w (board sent %s)", err, power.QuoteBytes(buf))
		}
		return nil
	})
	if err != nil {
		return "", fmt.Errorf("%s: %q: %w", subject, cmd, err)
	}
	return value, nil
}

// awaitReply reads until the prompt, or until a prompt-less reply has been
// quiet for PromptGrace.
func (b *numatoBoard) awaitReply(ctx context.Context, l *serialboard.Link, cmd string, wantValue bool) ([]byte, error) {
	for {
		buf, err := l.ReadUntil(ctx, func(p []byte) error {
			r := parseNumatoReply(cmd, p)
			switch {
			case r.prompt:
				return nil
			case r.ready(wantValue) && b.noPrompt.Load():
				return nil
			case r.ready(wantValue):
				return errPromptless
			}
			return serialboard.ErrNeedMore
		})
		if !errors.Is(err, errPromptless) {
			return buf, err
		}
		gctx, cancel := clock.WithTimeout(ctx, b.Clock(), PromptGrace, "numato prompt")
		werr := l.WaitMore(gctx, len(buf))
		cancel()
		if werr == nil {
			continue // more bytes: look again
		}
		if ctx.Err() != nil {
			return buf, context.Cause(ctx)
		}
		if !errors.Is(werr, context.DeadlineExceeded) {
			return buf, werr
		}
		l.Take()
		if !b.noPrompt.Swap(true) {
			b.Log().Info("numato board prints no prompt; acknowledging at the end of the echo", "board", b.Name())
		}
		return buf, nil
	}
}

// numatoReply is a parsed (possibly partial) reply.
type numatoReply struct {
	echo   bool     // the command came back
	prompt bool     // the '>' prompt followed
	lines  []string // complete, non-empty lines after the echo (before the prompt)
	ended  bool     // a line end followed the echo (or, without echo, was seen)
}

// parseNumatoReply parses what a board sent after cmd was written. It never
// fails: anything odd shows up in lines for numatoValue to reject.
func parseNumatoReply(cmd string, b []byte) numatoReply {
	var r numatoReply
	region := b
	if i := bytes.Index(b, []byte(cmd)); i >= 0 && cmd != "" {
		r.echo = true
		region = b[i+len(cmd):] // anything before our echo is stale
	} else {
		region = skipStaleReplies(b)
	}
	// Without an echo, a '>' only counts after a line end: a lone '>' is
	// more likely a late prompt of an earlier exchange than an answer.
	body := region
	for i, c := range region {
		if c == '\r' || c == '\n' {
			r.ended = true
		}
		if c == '>' && (r.echo || r.ended) {
			r.prompt = true
			body = region[:i]
			break
		}
	}
	fields := bytes.FieldsFunc(body, func(c rune) bool { return c == '\r' || c == '\n' })
	complete := len(fields)
	if !r.prompt && len(body) > 0 && body[len(body)-1] != '\r' && body[len(body)-1] != '\n' {
		complete-- // the last line is still arriving
	}
	for _, f := range fields[:max(complete, 0)] {
		if s := strings.TrimSpace(string(f)); s != "" {
			r.lines = append(r.lines, s)
		}
	}
	return r
}

// skipStaleReplies drops, from bytes that lack our echo, whole replies to
// earlier commands: an exchange cut short by its context leaves its reply
// to arrive during the next one, and its prompt must not acknowledge the
// next command. A stale reply is a segment up to a prompt that echoes some
// command.
func skipStaleReplies(b []byte) []byte {
	for {
		i := bytes.IndexByte(b, '>')
		if i < 0 || !echoesACommand(b[:i]) {
			return b
		}
		b = b[i+1:]
	}
}

func echoesACommand(seg []byte) bool {
	for _, w := range []string{"relay ", "gpio ", "adc "} {
		if bytes.Contains(seg, []byte(w)) {
			return true
		}
	}
	return false
}

// ready reports whether the reply is complete but for the prompt.
func (r numatoReply) ready(wantValue bool) bool {
	if wantValue {
		return len(r.lines) > 0
	}
	return r.echo && r.ended
}

// numatoValue checks a complete reply: a set must come back with nothing
// but the echo, a read with exactly one value line.
func numatoValue(r numatoReply, wantValue bool) (string, error) {
	if !wantValue {
		if len(r.lines) > 0 {
			return "", fmt.Errorf("unexpected reply %q", strings.Join(r.lines, " | "))
		}
		return "", nil
	}
	switch len(r.lines) {
	case 0:
		return "", errors.New("reply has no value")
	case 1:
		return r.lines[0], nil
	}
	return "", fmt.Errorf("reply has %d lines, want one value: %q", len(r.lines), strings.Join(r.lines, " | "))
}

// parseNumatoLevel reads a relay or GPIO value line.
func parseNumatoLevel(v string) (bool, error) {
	switch strings.ToLower(strings.TrimSpace(v)) {
	case "on", "1":
		return true, nil
	case "off", "0":
		return false, nil
	}
	return false, fmt.Errorf("value %q is neither on/off nor 1/0", v)
}

// numatoRelay is one relay channel: a Switch.
type numatoRelay struct {
	b   *numatoBoard
	ch  int
	idx string
}

func openNumato(ctx context.Context, cfg power.Config, deps power.Deps) (power.Switch, error) {
	idx, err := numatoIndex(cfg.Channel)
	if err != nil {
		return nil, fmt.Errorf("numato:%s: %w", cfg.Port, err)
	}
	b, err := openNumatoBoard(ctx, cfg, deps)
	if err != nil {
		return nil, err
	}
	return &numatoRelay{b: b, ch: cfg.Channel, idx: idx}, nil
}

func (r *numatoRelay) String() string { return fmt.Sprintf("%s#%d", r.b.Name(), r.ch) }

// Set switches the relay and returns at the board's prompt.
func (r *numatoRelay) Set(ctx context.Context, on bool) error {
	_, err := r.b.command(ctx, r.String(), "relay "+power.State(on)+" "+r.idx, false)
	return err
}

// Get asks the board ("relay read N").
func (r *numatoRelay) Get(ctx context.Context) (bool, error) {
	v, err := r.b.command(ctx, r.String(), "relay read "+r.idx, true)
	if err != nil {
		return false, err
	}
	on, err := parseNumatoLevel(v)
	if err != nil {
		return false, fmt.Errorf("%s: \"relay read %s\": %w", r, r.idx, err)
	}
	return on, nil
}

// Close releases the binding's reference on the board's port.
func (r *numatoRelay) Close() error { return r.b.Close() }

// GPIO is one GPIO input of a Numato board, read with "gpio read N". It
// shares the board's port with the relay bindings on it (the LED sensor
// polls it between power and press commands). It is a led.Reader.
type GPIO struct {
	b   *numatoBoard
	pin int
	idx string
}

// OpenGPIO opens GPIO pin of the board at cfg.Port (cfg.Baud and
// cfg.Timeout apply; cfg.Channel is ignored).
func OpenGPIO(ctx context.Context, cfg power.Config, pin int, deps power.Deps) (*GPIO, error) {
	idx, err := numatoIndex(pin)
	if err != nil {
		return nil, fmt.Errorf("numato:%s: gpio: %w", cfg.Port, err)
	}
	b, err := openNumatoBoard(ctx, cfg, deps)
	if err != nil {
		return nil, err
	}
	return &GPIO{b: b, pin: pin, idx: idx}, nil
}

func (g *GPIO) String() string { return fmt.Sprintf("%s gpio %d", g.b.Name(), g.pin) }

// Read returns the pin's level (true = high).
func (g *GPIO) Read(ctx context.Context) (bool, error) {
	v, err := g.b.command(ctx, g.String(), "gpio read "+g.idx, true)
	if err != nil {
		return false, err
	}
	high, err := parseNumatoLevel(v)
	if err != nil {
		return false, fmt.Errorf("%s: \"gpio read %s\": %w", g, g.idx, err)
	}
	return high, nil
}

// Close releases the reference on the board's port.
func (g *GPIO) Close() error { return g.b.Close() }

// checkLED checks a numato-gpio LED binding: the board's device path and a
// GPIO index the board has.
func checkLED(cfg led.Config) bindcheck.Problems {
	var ps bindcheck.Problems
	ps.Err("port", bindcheck.DevicePath(cfg.Port))
	if n, err := strconv.Atoi(cfg.Pin); err != nil || n < 0 || n > 31 {
		ps.Add("pin", "pin %q: the numato-gpio driver wants a GPIO index (0-31)", cfg.Pin)
	}
	return ps
}

// openLED polls GPIO cfg.Pin of the board at cfg.Port as the LED's input.
func openLED(ctx context.Context, cfg led.Config, opts led.Options) (*led.Sensor, error) {
	pin, err := strconv.Atoi(cfg.Pin)
	if err != nil {
		return nil, fmt.Errorf("led numato-gpio:%s: pin %q is not a GPIO number", cfg.Port, cfg.Pin)
	}
	in, err := OpenGPIO(ctx, power.Config{Port: cfg.Port, Baud: cfg.Baud, Timeout: cfg.Timeout}, pin,
		power.Deps{Clock: opts.Clock, Log: opts.Log})
	if err != nil {
		return nil, fmt.Errorf("led: %w", err)
	}
	return led.NewPolled(in, opts), nil
}
