package console

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"net"
	"sync"
	"time"

	"github.com/camrig/camrig/harness/clock"
)

// rfc2217Port is a serial port behind a Telnet COM-PORT-OPTION server
// (ser2net, a console server): data with IAC doubled, and the line
// settings sent as subnegotiations the server applies to the real UART.
type rfc2217Port struct {
	name string
	conn net.Conn
	clk  clock.Clock

	wmu sync.Mutex // one writer on the socket: data and commands interleave whole

	// Read side, used only by the reader (or dial before the reader runs).
	tp      telnetParser
	raw     []byte
	pending []byte // data parsed but not yet handed out

	mu       sync.Mutex
	sentWill map[byte]bool
	sentDo   map[byte]bool
	comPort  chan error // negotiation outcome, once
	acks     chan ack
	rawSend  bool
	dead     chan struct{}
	deadOnce sync.Once
}

// ack is the server's report of a setting now in effect.
type ack struct {
	cmd byte
	val []byte
}

// rfc2217Negotiation bounds how long a server may take to agree to the
// COM-PORT-OPTION and to acknowledge a setting.
const rfc2217Negotiation = 5 * time.Second

func rfc2217Endpoint(name, addr string, cfg Config, clk clock.Clock) endpoint {
	dial := func(ctx context.Context) (Port, error) {
		var d net.Dialer
		conn, err := d.DialContext(ctx, "tcp", addr)
		if err != nil {
			return nil, fmt.Errorf("console %s: %w", name, err)
		}
		p := &rfc2217Port{
			name: name, conn: conn, clk: clk,
			sentWill: map[byte]bool{}, sentDo: map[byte]bool{},
			comPort: make(chan error, 1), acks: make(chan ack, 8), dead: make(chan struct{}),
		}
		if err := p.handshake(ctx, cfg); err != nil {
			conn.Close()
			return nil, fmt.Errorf("console %s: RFC 2217: %w", name, err)
		}
		return p, nil
	}
	return endpoint{name: name, dial: dial}
}

// handshake offers BINARY, SGA and COM-PORT-OPTION, waits for the server to
// accept COM-PORT-OPTION, then sets the line and checks each setting was
// acknowledged. Data arriving meanwhile is kept for the first Read.
func (p *rfc2217Port) handshake(ctx context.Context, cfg Config) error {
	ctx, cancel := clock.WithTimeout(ctx, p.clk, rfc2217Negotiation, "RFC 2217 negotiation with "+p.name)
	defer cancel()
	stop := context.AfterFunc(ctx, func() { p.conn.SetReadDeadline(time.Unix(1, 0)) })
	defer func() {
		if stop() {
			return
		}
		p.conn.SetReadDeadline(time.Time{})
	}()
	p.mu.Lock()
	p.sentWill[optBinary], p.sentDo[optBinary] = true, true
	p.sentWill[optSGA], p.sentDo[optSGA] = true, true
	p.sentWill[optComPort] = true
	p.mu.Unlock()
	if err := p.writeRaw([]byte{
		tnIAC, tnWILL, optBinary, tnIAC, tnDO, optBinary,
		tnIAC, tnWILL, optSGA, tnIAC, tnDO, optSGA,
		tnIAC, tnWILL, optComPort,
	}); err != nil {
		return err
	}
	if err := p.pumpUntil(ctx, func() (bool, error) {
		select {
		case err := <-p.comPort:
			return true, err
		default:
			return false, nil
		}
	}); err != nil {
		return err
	}
	parity := map[string]byte{ParityNone: 1, ParityOdd: 2, ParityEven: 3, ParityMark: 4, ParitySpace: 5}[cfg.Parity]
	settings := []struct {
		cmd byte
		val []byte
	}{
		{cpSetBaud, binary.BigEndian.AppendUint32(nil, uint32(cfg.Baud))},
		{cpSetDataSize, []byte{byte(cfg.DataBits)}},
		{cpSetParity, []byte{parity}},
		{cpSetStopSize, []byte{byte(cfg.StopBits)}},
	}
	for _, s := range settings {
		if err := p.sendCom(s.cmd, s.val); err != nil {
			return err
		}
		var got ack
		if err := p.pumpUntil(ctx, func() (bool, error) {
			select {
			case got = <-p.acks:
				return got.cmd == s.cmd, nil
			default:
				return false, nil
			}
		}); err != nil {
			return fmt.Errorf("no acknowledgement of setting %d: %w", s.cmd, err)
		}
		if string(got.val) != string(s.val) {
			return fmt.Errorf("server answered setting %d with % x, asked for % x", s.cmd, got.val, s.val)
		}
	}
	return nil
}

// pumpUntil reads and parses (keeping data) until done says so.
func (p *rfc2217Port) pumpUntil(ctx context.Context, done func() (bool, error)) error {
	buf := make([]byte, 512)
	for {
		if ok, err := done(); ok || err != nil {
			return err
		}
		n, err := p.conn.Read(buf)
		p.pending = p.tp.parse(buf[:n], p.pending, p)
		if err != nil {
			if ctx.Err() != nil {
				return context.Cause(ctx)
			}
			return err
		}
	}
}

func (p *rfc2217Port) Read(b []byte) (int, error) {
	for len(p.pending) == 0 {
		if cap(p.raw) == 0 {
			p.raw = make([]byte, 4096)
		}
		n, err := p.conn.Read(p.raw[:cap(p.raw)])
		p.pending = p.tp.parse(p.raw[:n], p.pending, p)
		if err != nil && len(p.pending) == 0 {
			p.deadOnce.Do(func() { close(p.dead) })
			return 0, err
		}
	}
	n := copy(b, p.pending)
	p.pending = p.pending[:copy(p.pending, p.pending[n:])]
	return n, nil
}

func (p *rfc2217Port) Write(b []byte) (int, error) {
	p.mu.Lock()
	raw := p.rawSend
	p.mu.Unlock()
	if err := p.writeRaw(escapeIAC(b, raw)); err != nil {
		return 0, err
	}
	return len(b), nil
}

func (p *rfc2217Port) writeRaw(b []byte) error {
	p.wmu.Lock()
	defer p.wmu.Unlock()
	_, err := p.conn.Write(b)
	return err
}

func (p *rfc2217Port) Close() error {
	p.deadOnce.Do(func() { close(p.dead) })
	return p.conn.Close()
}

// sendCom sends IAC SB COM-PORT-OPTION cmd val IAC SE, IAC-escaped.
func (p *rfc2217Port) sendCom(cmd byte, val []byte) error {
	msg := []byte{tnIAC, tnSB, optComPort, cmd}
	for _, b := range val {
		msg = append(msg, b)
		if b == tnIAC {
			msg = append(msg, tnIAC)
		}
	}
	return p.writeRaw(append(msg, tnIAC, tnSE))
}

// SetBaud asks the server to change the UART's rate and waits for its
// acknowledgement, which the console's reader delivers.
func (p *rfc2217Port) SetBaud(baud int) error {
	val := binary.BigEndian.AppendUint32(nil, uint32(baud))
	// Drop stale acknowledgements so the one we wait for is ours.
	for len(p.acks) > 0 {
		<-p.acks
	}
	if err := p.sendCom(cpSetBaud, val); err != nil {
		return err
	}
	t := p.clk.NewTimer(rfc2217Negotiation)
	defer t.Stop()
	for {
		select {
		case a := <-p.acks:
			if a.cmd != cpSetBaud {
				continue
			}
			if string(a.val) != string(val) {
				return fmt.Errorf("RFC 2217 server answered baud %d with % x", baud, a.val)
			}
			return nil
		case <-t.C():
			return fmt.Errorf("RFC 2217 server did not acknowledge baud %d within %v", baud, rfc2217Negotiation)
		case <-p.dead:
			return errors.New("RFC 2217 connection closed before the baud change was acknowledged")
		}
	}
}

// negotiate answers the server's option requests: BINARY, SGA and
// COM-PORT-OPTION are accepted, everything else (ECHO first of all) refused.
func (p *rfc2217Port) negotiate(verb, opt byte) {
	supported := opt == optBinary || opt == optSGA || opt == optComPort
	var reply []byte
	p.mu.Lock()
	switch verb {
	case tnDO:
		switch {
		case supported && !p.sentWill[opt]:
			p.sentWill[opt] = true
			reply = []byte{tnIAC, tnWILL, opt}
		case !supported:
			reply = []byte{tnIAC, tnWONT, opt}
		}
		if opt == optBinary {
			p.rawSend = true
		}
		if opt == optComPort {
			p.signalComPort(nil)
		}
	case tnDONT:
		if p.sentWill[opt] {
			p.sentWill[opt] = false
			reply = []byte{tnIAC, tnWONT, opt}
		}
		if opt == optBinary {
			p.rawSend = false
		}
		if opt == optComPort {
			p.signalComPort(errors.New("server refused COM-PORT-OPTION (is it a plain telnet port, not telnet(rfc2217)?)"))
		}
	case tnWILL:
		switch {
		case supported && opt != optComPort && !p.sentDo[opt]:
			p.sentDo[opt] = true
			reply = []byte{tnIAC, tnDO, opt}
		case !supported:
			reply = []byte{tnIAC, tnDONT, opt}
		}
		if opt == optBinary {
			p.tp.rawRecv = true
		}
	case tnWONT:
		if p.sentDo[opt] {
			p.sentDo[opt] = false
			reply = []byte{tnIAC, tnDONT, opt}
		}
		if opt == optBinary {
			p.tp.rawRecv = false
		}
	}
	p.mu.Unlock()
	if reply != nil {
		p.writeRaw(reply)
	}
}

func (p *rfc2217Port) signalComPort(err error) {
	select {
	case p.comPort <- err:
	default:
	}
}

// subneg collects the server's acknowledgements of line settings
// (command + 100). Line- and modem-state notifications are ignored: a
// console has no use for them, and they must not crowd out an ack.
func (p *rfc2217Port) subneg(b []byte) {
	if len(b) < 2 || b[0] != optComPort || b[1] < cpServerBase+cpSetBaud || b[1] > cpServerBase+cpSetStopSize {
		return
	}
	a := ack{cmd: b[1] - cpServerBase, val: append([]byte(nil), b[2:]...)}
	select {
	case p.acks <- a:
	default: // nobody is waiting for settings this old
	}
}
