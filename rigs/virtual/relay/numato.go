// Package relay simulates USB relay boards on pseudo-terminals: a Numato
// relay/GPIO module (ASCII commands) and an LCUS/CH340 relay (binary
// frames). Each relay channel drives a callback (the rig wires it to a
// unit's power input or reset-button solenoid); each Numato GPIO input reads
// a callback (wired to a unit's status LED).
//
// The protocol engines (Numato, LCUS) are pure byte-in/byte-out state
// machines (Feed), so they can be fuzzed and tested byte-exact without a
// pty; Serve runs one on a pty master.
package relay

import (
	"fmt"
	"strconv"
	"strings"
	"sync"
)

// NumatoConfig is how a simulated Numato board answers. Start from
// DefaultNumatoConfig: the zero value means "no prompt, no echo".
type NumatoConfig struct {
	// Relays and GPIOs are the channel counts (default 8 each; at most 32,
	// the range the one-character index 0-9, A-V covers).
	Relays int
	GPIOs  int
	// Prompt follows every reply ("" for none).
	Prompt string
	// Echo sends every received byte straight back, as the boards' CLI
	// does, and a line end after the command.
	Echo bool
	// EOL ends every line the board prints (default "\n\r", which is what
	// the boards send).
	EOL string
	// Error is the line printed for an unknown or malformed command.
	Error string
	// Version answers `ver`; ID is the initial `id get` answer.
	Version string
	ID      string
}

// DefaultNumatoConfig is an 8-relay, 8-GPIO board with echo and a ">"
// prompt.
func DefaultNumatoConfig() NumatoConfig {
	return NumatoConfig{
		Relays: 8, GPIOs: 8, Prompt: ">", Echo: true, EOL: "\n\r",
		Error: "Invalid command", Version: "00000008", ID: "00000000",
	}
}

// maxNumatoLine bounds a command line; longer lines are answered with the
// error reply (the boards have a small command buffer).
const maxNumatoLine = 64

// Numato is the protocol engine of one Numato board.
//
// Supported (N is one character: 0-9, then A-V for 10-31; like the boards,
// only the first character of the index is looked at):
//
//	ver                 -> version line
//	id get | id set X   -> id line | nothing (X: exactly 8 characters)
//	relay on|off N      -> nothing
//	relay read N        -> "on" | "off"
//	relay readall       -> hex of all relays (relay 0 = bit 0), lower case,
//	                       one digit per 4 relays
//	relay writeall H    -> nothing (H: hex, up to that many digits)
//	gpio set|clear N    -> nothing (an output latch; does not move a wired input)
//	gpio read N         -> "1" | "0": the wired input, else the latch
//	gpio readall        -> hex of all GPIOs, as relay readall
//
// Commands end with CR; LF is ignored; backspace (0x08 or 0x7f) removes
// the last character. Anything else (a wrong verb, a bad index, missing
// arguments, a line over 64 characters) gets the Error line; this is our
// choice, the vendor documents no error reply.
type Numato struct {
	cfg NumatoConfig

	// line is only touched by Feed (one caller at a time).
	line     []byte
	overflow bool

	mu      sync.Mutex
	relays  []bool
	latches []bool
	id      string
	onRelay map[int]func(on bool)
	inputs  map[int]func() bool
	silent  bool
	garbage bool
	// silentAfterOn is the relay whose switching on makes the board go
	// silent once it has answered (-1: none); goSilent is that moment.
	silentAfterOn int
	goSilent      bool
}

// NewNumato makes a board with every relay off.
func NewNumato(cfg NumatoConfig) *Numato {
	d := DefaultNumatoConfig()
	if cfg.Relays <= 0 {
		cfg.Relays = d.Relays
	}
	if cfg.GPIOs <= 0 {
		cfg.GPIOs = d.GPIOs
	}
	cfg.Relays, cfg.GPIOs = min(cfg.Relays, 32), min(cfg.GPIOs, 32)
	if cfg.EOL == "" {
		cfg.EOL = d.EOL
	}
	if cfg.Version == "" {
		cfg.Version = d.Version
	}
	if cfg.ID == "" {
		cfg.ID = d.ID
	}
	if cfg.Error == "" {
		cfg.Error = d.Error
	}
	return &Numato{
		cfg: cfg, relays: make([]bool, cfg.Relays), latches: make([]bool, cfg.GPIOs),
		id: cfg.ID, onRelay: map[int]func(bool){}, inputs: map[int]func() bool{},
		silentAfterOn: -1,
	}
}

// Config is the board's setup.
func (n *Numato) Config() NumatoConfig { return n.cfg }

// OnRelay calls fn with the new state whenever relay ch changes.
func (n *Numato) OnRelay(ch int, fn func(on bool)) error {
	if ch < 0 || ch >= n.cfg.Relays {
		return fmt.Errorf("numato: relay %d out of range 0-%d", ch, n.cfg.Relays-1)
	}
	n.mu.Lock()
	defer n.mu.Unlock()
	n.onRelay[ch] = fn
	return nil
}

// WireInput makes `gpio read pin` answer fn().
func (n *Numato) WireInput(pin int, fn func() bool) error {
	if pin < 0 || pin >= n.cfg.GPIOs {
		return fmt.Errorf("numato: gpio %d out of range 0-%d", pin, n.cfg.GPIOs-1)
	}
	n.mu.Lock()
	defer n.mu.Unlock()
	n.inputs[pin] = fn
	return nil
}

// Relay reports relay ch's state.
func (n *Numato) Relay(ch int) bool {
	n.mu.Lock()
	defer n.mu.Unlock()
	return ch >= 0 && ch < len(n.relays) && n.relays[ch]
}

// SetSilent makes the board stop answering and acting, as a board whose USB
// firmware hung does (a fault for tests): while silent, whatever the host
// sends is lost, no relay moves and nothing comes back. The relays keep the
// state they had.
func (n *Numato) SetSilent(on bool) {
	n.mu.Lock()
	defer n.mu.Unlock()
	n.silent = on
}

// SetSilentAfterOn makes the board go silent (SetSilent) right after it
// has switched relay ch on and answered that command: the fault of a board
// that hangs mid-press, its relay left on (ch < 0: never).
func (n *Numato) SetSilentAfterOn(ch int) {
	n.mu.Lock()
	defer n.mu.Unlock()
	n.silentAfterOn = ch
}

// SetGarbage makes the board answer line noise (a fault for tests: a wrong
// baud rate, a flaky cable): it still carries out what it is sent, but
// every byte it sends back is garbage.
func (n *Numato) SetGarbage(on bool) {
	n.mu.Lock()
	defer n.mu.Unlock()
	n.garbage = on
}

// Feed consumes bytes from the host and returns what the board sends back.
// Relay callbacks run inside Feed.
func (n *Numato) Feed(in []byte) []byte {
	n.mu.Lock()
	silent, garbage := n.silent, n.garbage
	n.mu.Unlock()
	if silent {
		n.line, n.overflow = n.line[:0], false // a half-received command is lost too
		return nil
	}
	out := n.feed(in)
	n.mu.Lock()
	if n.goSilent {
		n.silent, n.goSilent = true, false
	}
	n.mu.Unlock()
	if garbage {
		for i := range out {
			out[i] = 0x80 | byte(i*37+11) // never a printable reply
		}
	}
	return out
}

func (n *Numato) feed(in []byte) []byte {
	var out []byte
	for _, b := range in {
		switch b {
		case '\r':
			if n.cfg.Echo {
				out = append(out, n.cfg.EOL...)
			}
			for _, l := range n.execute() {
				out = append(out, l...)
				out = append(out, n.cfg.EOL...)
			}
			out = append(out, n.cfg.Prompt...)
			n.line, n.overflow = n.line[:0], false
		case '\n':
			// Ignored: hosts that send CR LF get one command, not two.
		case 0x08, 0x7f:
			if len(n.line) > 0 {
				n.line = n.line[:len(n.line)-1]
			}
			if n.cfg.Echo {
				out = append(out, b)
			}
		default:
			if len(n.line) < maxNumatoLine {
				n.line = append(n.line, b)
			} else {
				n.overflow = true
			}
			if n.cfg.Echo {
				out = append(out, b)
			}
		}
	}
	return out
}

// execute runs the buffered line and returns the reply lines.
func (n *Numato) execute() []string {
	if n.overflow {
		return []string{n.cfg.Error}
	}
	f := strings.Fields(string(n.line))
	if len(f) == 0 {
		return nil
	}
	bad := []string{n.cfg.Error}
	switch {
	case len(f) == 1 && f[0] == "ver":
		return []string{n.cfg.Version}
	case len(f) == 2 && f[0] == "id" && f[1] == "get":
		n.mu.Lock()
		defer n.mu.Unlock()
		return []string{n.id}
	case len(f) == 3 && f[0] == "id" && f[1] == "set" && len(f[2]) == 8:
		n.mu.Lock()
		defer n.mu.Unlock()
		n.id = f[2]
		return nil
	case len(f) == 2 && f[0] == "relay" && f[1] == "readall":
		return []string{n.readall(n.relayStates())}
	case len(f) == 3 && f[0] == "relay" && f[1] == "writeall":
		v, ok := parseHex(f[2], hexDigits(n.cfg.Relays))
		if !ok {
			return bad
		}
		for ch := range n.cfg.Relays {
			n.setRelay(ch, v&(1<<ch) != 0)
		}
		return nil
	case len(f) == 2 && f[0] == "gpio" && f[1] == "readall":
		states := make([]bool, n.cfg.GPIOs)
		for pin := range states {
			states[pin] = n.readGPIO(pin)
		}
		return []string{n.readall(states)}
	case len(f) == 3 && f[0] == "relay":
		ch, ok := numatoIndex(f[2], n.cfg.Relays)
		if !ok {
			return bad
		}
		switch f[1] {
		case "on", "off":
			n.setRelay(ch, f[1] == "on")
			if f[1] == "on" {
				n.mu.Lock()
				n.goSilent = n.goSilent || ch == n.silentAfterOn
				n.mu.Unlock()
			}
			return nil
		case "read":
			if n.Relay(ch) {
				return []string{"on"}
			}
			return []string{"off"}
		}
	case len(f) == 3 && f[0] == "gpio":
		pin, ok := numatoIndex(f[2], n.cfg.GPIOs)
		if !ok {
			return bad
		}
		switch f[1] {
		case "set", "clear":
			n.mu.Lock()
			n.latches[pin] = f[1] == "set"
			n.mu.Unlock()
			return nil
		case "read":
			if n.readGPIO(pin) {
				return []string{"1"}
			}
			return []string{"0"}
		}
	}
	return bad
}

func (n *Numato) relayStates() []bool {
	n.mu.Lock()
	defer n.mu.Unlock()
	return append([]bool(nil), n.relays...)
}

// setRelay switches ch and runs its callback if the state changed (outside
// the lock: the callback may look at the board).
func (n *Numato) setRelay(ch int, on bool) {
	n.mu.Lock()
	changed := n.relays[ch] != on
	n.relays[ch] = on
	fn := n.onRelay[ch]
	n.mu.Unlock()
	if changed && fn != nil {
		fn(on)
	}
}

func (n *Numato) readGPIO(pin int) bool {
	n.mu.Lock()
	fn, latch := n.inputs[pin], n.latches[pin]
	n.mu.Unlock()
	if fn != nil {
		return fn()
	}
	return latch
}

func (n *Numato) readall(states []bool) string {
	var v uint64
	for i, on := range states {
		if on {
			v |= 1 << i
		}
	}
	return fmt.Sprintf("%0*x", hexDigits(len(states)), v)
}

func hexDigits(channels int) int { return max(1, (channels+3)/4) }

func parseHex(s string, digits int) (uint64, bool) {
	if len(s) == 0 || len(s) > digits {
		return 0, false
	}
	v, err := strconv.ParseUint(s, 16, 64)
	return v, err == nil
}

// numatoIndex decodes the boards' one-character channel index.
func numatoIndex(s string, count int) (int, bool) {
	c := s[0]
	var i int
	switch {
	case c >= '0' && c <= '9':
		i = int(c - '0')
	case c >= 'A' && c <= 'V':
		i = int(c-'A') + 10
	default:
		return 0, false
	}
	return i, i < count
}
