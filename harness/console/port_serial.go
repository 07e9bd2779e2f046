package console

import (
	"context"
	"errors"
	"fmt"
	"os"

	"go.bug.st/serial"

	"github.com/camrig/camrig/harness/internal/ttyread"
)

// serialPort is a local tty (USB adapter, on-board UART, pty slave).
type serialPort struct {
	p    serial.Port
	r    *os.File
	mode serial.Mode
}

func serialEndpoint(cfg Config) endpoint {
	mode := serial.Mode{BaudRate: cfg.Baud, DataBits: cfg.DataBits}
	mode.Parity = map[string]serial.Parity{
		ParityNone: serial.NoParity, ParityOdd: serial.OddParity, ParityEven: serial.EvenParity,
		ParityMark: serial.MarkParity, ParitySpace: serial.SpaceParity,
	}[cfg.Parity]
	mode.StopBits = serial.OneStopBit
	if cfg.StopBits == 2 {
		mode.StopBits = serial.TwoStopBits
	}
	// InitialStatusBits stays nil: setting modem lines fails on a pty and
	// most adapters do not wire them to anything a camera reads.
	dial := func(ctx context.Context) (Port, error) {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		if _, err := os.Stat(cfg.Port); err != nil {
			return nil, fmt.Errorf("console %s: %w", cfg.Port, unwrapPathErr(err))
		}
		// Reads go through the runtime's poller (harness/internal/ttyread),
		// opened before the serial package makes the tty exclusive.
		rf, err := ttyread.Open(cfg.Port)
		if err != nil {
			return nil, fmt.Errorf("console %s: %w", cfg.Port, unwrapPathErr(err))
		}
		m := mode
		p, err := serial.Open(cfg.Port, &m)
		if err != nil {
			rf.Close()
			return nil, fmt.Errorf("console %s: open at %s: %w", cfg.Port, cfg.Framing(), err)
		}
		return &serialPort{p: p, r: rf, mode: m}, nil
	}
	return endpoint{name: cfg.Port, dial: dial, watch: cfg.Port}
}

func unwrapPathErr(err error) error {
	var pe *os.PathError
	if errors.As(err, &pe) {
		return fmt.Errorf("%s: %w", pe.Op, pe.Err)
	}
	return err
}

func (s *serialPort) Read(p []byte) (int, error)  { return s.r.Read(p) }
func (s *serialPort) Write(p []byte) (int, error) { return s.p.Write(p) }
func (s *serialPort) Close() error                { return errors.Join(s.r.Close(), s.p.Close()) }
func (s *serialPort) DiscardInput() error         { return s.p.ResetInputBuffer() }

// SetBaud changes only the rate; framing stays as opened.
func (s *serialPort) SetBaud(baud int) error {
	m := s.mode
	m.BaudRate = baud
	if err := s.p.SetMode(&m); err != nil {
		return err
	}
	s.mode = m
	return nil
}
