package relay

import (
	"fmt"
	"sync"
)

// LCUSConfig is how a simulated LCUS board behaves.
type LCUSConfig struct {
	// Channels is the relay count (default 8; channels are numbered from 1).
	Channels int
	// StatusQuery makes the board answer a 0xFF byte with one
	// "CH<n>:ON|OFF\r\n" line per channel, as some boards do.
	StatusQuery bool
}

// LCUS is the protocol engine of one LCUS/CH340 relay board (9600 8N1).
//
// A command is four bytes, A0 ch state sum, with sum = 0xA0+ch+state mod
// 256, state 1 = on, 0 = off. The board never answers a command. A frame
// with a bad checksum is ignored, and the board resynchronises on the next
// 0xA0 inside it; a frame with a good checksum but an unknown channel or
// state is ignored too.
type LCUS struct {
	cfg LCUSConfig

	pend []byte // only touched by Feed

	mu     sync.Mutex
	relays []bool
	on     map[int]func(bool)
}

// NewLCUS makes a board with every relay off.
func NewLCUS(cfg LCUSConfig) *LCUS {
	if cfg.Channels <= 0 {
		cfg.Channels = 8
	}
	cfg.Channels = min(cfg.Channels, 255)
	return &LCUS{cfg: cfg, relays: make([]bool, cfg.Channels+1), on: map[int]func(bool){}}
}

// OnRelay calls fn with the new state whenever channel ch (1-based)
// changes.
func (l *LCUS) OnRelay(ch int, fn func(on bool)) error {
	if ch < 1 || ch > l.cfg.Channels {
		return fmt.Errorf("lcus: channel %d out of range 1-%d", ch, l.cfg.Channels)
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	l.on[ch] = fn
	return nil
}

// Relay reports channel ch's state.
func (l *LCUS) Relay(ch int) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	return ch >= 1 && ch <= l.cfg.Channels && l.relays[ch]
}

const lcusStart = 0xA0

// Feed consumes bytes from the host and returns the board's answer (only
// status queries produce one).
func (l *LCUS) Feed(in []byte) []byte {
	var out []byte
	for _, b := range in {
		if len(l.pend) == 0 {
			switch {
			case b == lcusStart:
				l.pend = append(l.pend, b)
			case b == 0xFF && l.cfg.StatusQuery:
				out = l.status(out)
			}
			continue
		}
		l.pend = append(l.pend, b)
		if len(l.pend) < 4 {
			continue
		}
		f := l.pend
		l.pend = l.pend[:0]
		if f[3] != f[0]+f[1]+f[2] {
			// Resynchronise: a frame may start inside the bad one.
			for i := 1; i < 4; i++ {
				if f[i] == lcusStart {
					l.pend = append(l.pend, f[i:]...)
					break
				}
			}
			continue
		}
		ch, state := int(f[1]), f[2]
		if ch < 1 || ch > l.cfg.Channels || state > 1 {
			continue
		}
		l.set(ch, state == 1)
	}
	return out
}

func (l *LCUS) set(ch int, on bool) {
	l.mu.Lock()
	changed := l.relays[ch] != on
	l.relays[ch] = on
	fn := l.on[ch]
	l.mu.Unlock()
	if changed && fn != nil {
		fn(on)
	}
}

func (l *LCUS) status(out []byte) []byte {
	l.mu.Lock()
	defer l.mu.Unlock()
	for ch := 1; ch <= l.cfg.Channels; ch++ {
		s := "OFF"
		if l.relays[ch] {
			s = "ON"
		}
		out = fmt.Appendf(out, "CH%d:%s\r\n", ch, s)
	}
	return out
}
