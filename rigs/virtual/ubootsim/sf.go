package ubootsim

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/camrig/camrig/rigs/virtual/device"
)

// sf is U-Boot's `sf probe|read|write|erase` over the flashsim chip.
func (s *sim) sf(ctx context.Context, io device.BootIO, _ device.Env, args []string) error {
	if len(args) < 2 {
		return usage("sf")
	}
	if args[1] == "probe" {
		return s.sfProbe(io, args[1:])
	}
	s.mu.Lock()
	probed := s.probed == io
	s.mu.Unlock()
	if !probed {
		return errors.New("No SPI flash selected. Please run `sf probe'")
	}
	switch args[1] {
	case "read", "write":
		return s.sfReadWrite(ctx, io, args[1:])
	case "erase":
		return s.sfErase(ctx, io, args[1:])
	}
	return usage("sf")
}

// sfProbe is `sf probe [[bus:]cs] [hz] [mode]`; the chip is bus 0, cs 0.
func (s *sim) sfProbe(io device.BootIO, args []string) error {
	bus, cs := uint64(0), uint64(0)
	if len(args) > 4 {
		return usage("sf")
	}
	if len(args) >= 2 {
		a := args[1]
		if b, c, ok := strings.Cut(a, ":"); ok {
			var err1, err2 error
			bus, err1 = parseCNumber(b)
			cs, err2 = parseCNumber(c)
			if err1 != nil || err2 != nil {
				return usage("sf")
			}
		} else {
			var err error
			if cs, err = parseCNumber(a); err != nil {
				return usage("sf")
			}
		}
	}
	if len(args) >= 3 {
		if _, err := parseCNumber(args[2]); err != nil {
			return usage("sf")
		}
	}
	if len(args) == 4 {
		if _, err := parseHex(args[3]); err != nil {
			return usage("sf")
		}
	}
	if bus != 0 || cs != 0 {
		return fmt.Errorf("Failed to initialize SPI flash at %d:%d (error -19)", bus, cs)
	}
	g := s.chip.Geometry()
	if err := printf(io, "SF: Detected %s with page size %s, erase size %s, total %s\r\n",
		g.Name, printSize(uint64(g.PageSize)), printSize(uint64(g.EraseSize)), printSize(uint64(g.Size))); err != nil {
		return err
	}
	s.mu.Lock()
	s.probed = io
	s.mu.Unlock()
	return nil
}

// parseCNumber is simple_strtoul base 0: 0x hex, leading 0 octal, decimal.
func parseCNumber(s string) (uint64, error) {
	switch {
	case strings.HasPrefix(s, "0x") || strings.HasPrefix(s, "0X"):
		return parseHex(s)
	case len(s) > 1 && s[0] == '0':
		var v uint64
		for _, c := range s[1:] {
			if c < '0' || c > '7' || v > 1<<60 {
				return 0, fmt.Errorf("%q: %w", s, errNumber)
			}
			v = v*8 + uint64(c-'0')
		}
		return v, nil
	}
	return parseDec(s)
}

// sfReadWrite is `sf read|write addr offset len`.
func (s *sim) sfReadWrite(ctx context.Context, io device.BootIO, args []string) error {
	if len(args) != 4 {
		return usage("sf")
	}
	addr, err := parseHex(args[1])
	if err != nil {
		return usage("sf")
	}
	size := uint64(s.chip.Geometry().Size)
	off, n, err := s.offSize(io, args[2], args[3], size)
	if err != nil {
		return err
	}
	if err := printf(io, "device 0 "); err != nil {
		return err
	}
	if n == size {
		err = printf(io, "whole chip\r\n")
	} else {
		err = printf(io, "offset 0x%x, size 0x%x\r\n", off, n)
	}
	if err != nil {
		return err
	}
	verb := "Read"
	if args[0] == "read" {
		buf := make([]byte, n)
		_, err = s.chip.ReadAt(buf, int64(off))
		if err == nil {
			err = s.ram.Write(addr, buf)
		}
	} else {
		verb = "Written"
		var buf []byte
		if buf, err = s.ram.Read(addr, int(n)); err == nil {
			err = s.chip.Program(ctx, int(off), buf)
		}
	}
	if ctx.Err() != nil {
		return context.Cause(ctx) // power cut: the unit says nothing more
	}
	if err != nil {
		if e := printf(io, "SF: %d bytes @ %s %s: ", n, cAltHex(off), verb); e != nil {
			return e
		}
		return errors.New("ERROR -5")
	}
	return printf(io, "SF: %d bytes @ %s %s: OK\r\n", n, cAltHex(off), verb)
}

// offSize checks offset and length as U-Boot's mtd_arg_off_size does.
func (s *sim) offSize(io device.BootIO, offArg, lenArg string, chipSize uint64) (uint64, uint64, error) {
	off, err := parseHex(offArg)
	if err != nil {
		return 0, 0, usage("sf")
	}
	if off >= chipSize {
		return 0, 0, fmt.Errorf("Offset exceeds device limit")
	}
	n, err := parseHex(lenArg)
	if err != nil {
		return 0, 0, fmt.Errorf("'%s' is not a number", lenArg)
	}
	if n > chipSize-off {
		return 0, 0, fmt.Errorf("Size exceeds partition or device limit")
	}
	if n == 0 {
		return 0, 0, usage("sf")
	}
	return off, n, nil
}

// sfErase is `sf erase offset [+]len`.
func (s *sim) sfErase(ctx context.Context, io device.BootIO, args []string) error {
	if len(args) != 3 {
		return usage("sf")
	}
	g := s.chip.Geometry()
	off, err := parseHex(args[1])
	if err != nil {
		return usage("sf")
	}
	if off >= uint64(g.Size) {
		return fmt.Errorf("Offset exceeds device limit")
	}
	lenArg, roundUp := strings.CutPrefix(args[2], "+")
	n, err := parseHex(lenArg)
	if err != nil {
		return usage("sf")
	}
	if roundUp {
		es := uint64(g.EraseSize)
		n = (n + es - 1) / es * es
	}
	if n > uint64(g.Size)-off {
		return fmt.Errorf("ERROR: attempting erase past flash size (%s)", cAltHex(uint64(g.Size)))
	}
	if off%uint64(g.EraseSize) != 0 || n%uint64(g.EraseSize) != 0 {
		if err := printf(io, "SF: Erase offset/length not multiple of erase size\r\n"); err != nil {
			return err
		}
		return fmt.Errorf("SF: %d bytes @ %s Erased: ERROR", n, cAltHex(off))
	}
	err = s.chip.Erase(ctx, int(off), int(n))
	if ctx.Err() != nil {
		return context.Cause(ctx)
	}
	if err != nil {
		return fmt.Errorf("SF: %d bytes @ %s Erased: ERROR", n, cAltHex(off))
	}
	return printf(io, "SF: %d bytes @ %s Erased: OK\r\n", n, cAltHex(off))
}
