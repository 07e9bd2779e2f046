package boardtest

import (
	"io"
	"strings"
	"sync"
)

// Numato plays a Numato USB relay/GPIO module: it echoes what it reads,
// runs each command at CR and answers "\n\r" [value "\n\r"] ">".
// Configure it before Serve.
type Numato struct {
	recorder

	// NoEcho, NoPrompt: firmware variants.
	NoEcho   bool
	NoPrompt bool
	// Silent boards read and record but never answer.
	Silent bool
	// Reply, when set, replaces every answer after the echo (a board
	// answering garbage).
	Reply string
	// GPIO returns the level of input pin; nil reads every pin low.
	GPIO func(pin int) bool
	// Gate, when set, holds each answer (echo included) until a value is
	// received from it: a slow board, or one whose reply arrives late.
	Gate chan struct{}

	mu   sync.Mutex
	line []byte
	late chan []byte
}

// Serve plays the board on rw until a read or write fails (close the pty
// to stop it).
func (n *Numato) Serve(rw io.ReadWriter) error {
	if n.Gate == nil {
		return n.serve(rw, n.handle)
	}
	// Gated: answers queue up and each waits for the gate, while the board
	// keeps reading (and recording) what arrives.
	n.late = make(chan []byte, 64)
	stop := make(chan struct{})
	defer close(stop)
	go func() {
		for out := range n.late {
			select {
			case <-n.Gate:
			case <-stop:
				return
			}
			rw.Write(out)
		}
	}()
	return n.serve(rw, n.handle)
}

func (n *Numato) handle(p []byte) []byte {
	n.mu.Lock()
	defer n.mu.Unlock()
	if n.Silent {
		return nil
	}
	var out []byte
	for _, c := range p {
		if c != '\r' {
			n.line = append(n.line, c)
			if !n.NoEcho {
				out = append(out, c)
			}
			continue
		}
		cmd := string(n.line)
		n.line = n.line[:0]
		out = append(out, "\n\r"...)
		if n.Reply != "" {
			out = append(out, n.Reply...)
		} else if v, ok := n.run(cmd); ok {
			out = append(out, v+"\n\r"...)
		}
		if !n.NoPrompt {
			out = append(out, '>')
		}
		if n.late != nil {
			n.late <- out
			out = nil
		}
	}
	return out
}

// run executes one command; it returns a value line for reads.
func (n *Numato) run(cmd string) (string, bool) {
	f := strings.Fields(cmd)
	if len(f) != 3 {
		return "", false
	}
	idx, ok := numatoIndex(f[2])
	if !ok {
		return "", false
	}
	switch f[0] + " " + f[1] {
	case "relay on":
		n.setRelay(idx, true)
	case "relay off":
		n.setRelay(idx, false)
	case "relay read":
		if n.Relay(idx) {
			return "on", true
		}
		return "off", true
	case "gpio read":
		if n.GPIO != nil && n.GPIO(idx) {
			return "1", true
		}
		return "0", true
	}
	return "", false
}

// numatoIndex decodes 0-9 and A-V (the board takes the first character
// only, and ignores lower case).
func numatoIndex(s string) (int, bool) {
	c := s[0]
	switch {
	case c >= '0' && c <= '9':
		return int(c - '0'), true
	case c >= 'A' && c <= 'V':
		return int(c-'A') + 10, true
	}
	return 0, false
}
