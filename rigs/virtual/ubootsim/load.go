package ubootsim

import (
	"context"
	"errors"
	"fmt"
	"strconv"

	"github.com/camrig/camrig/rigs/virtual/device"
)

// errAborted is loady's failure line, printed by the shell.
var errAborted = errors.New("## Binary (kermit) download aborted")

// load is `loady [addr [baud]]` and `loadx [addr [baud]]` (U-Boot's
// do_load_serial_bin).
func (s *sim) load(ctx context.Context, io device.BootIO, env device.Env, args []string) error {
	mode, name := ymodem, "ymodem"
	if args[0] == "loadx" {
		mode, name = xmodem, "xmodem"
	}
	if len(args) > 3 {
		return usage(args[0])
	}
	offset := s.ram.Base()
	if v, ok := env.Get("loadaddr"); ok {
		if a, err := parseHex(v); err == nil {
			offset = a
		}
	}
	if len(args) >= 2 {
		a, err := parseHex(args[1])
		if err != nil {
			return usage(args[0])
		}
		offset = a
	}
	cur := io.Baud()
	rate := cur
	if len(args) == 3 {
		b, err := parseDec(args[2])
		if err != nil || b > 1<<31-1 {
			return usage(args[0])
		}
		if b != 0 {
			rate = int(b)
		}
	}
	if rate != cur {
		if err := s.switchBaud(ctx, io, rate, "ENTER", '\r'); err != nil {
			return err
		}
	}
	if err := printf(io, "## Ready for binary (%s) download to 0x%08X at %d bps...\r\n", name, offset, rate); err != nil {
		return err
	}
	size, err := s.receive(ctx, io, mode, offset)
	if err != nil {
		return err // power loss or a dead line: nothing more to say
	}
	if size < 0 {
		if rate == cur {
			return errAborted
		}
		if err := printf(io, "%s\r\n", errAborted); err != nil {
			return err
		}
	} else {
		env.Set("filesize", strconv.FormatInt(size, 16))
		if mode == ymodem {
			env.Set("fileaddr", strconv.FormatUint(offset, 16))
		}
		if err := printf(io, "## Start Addr      = 0x%08X\r\n", offset); err != nil {
			return err
		}
	}
	if rate != cur {
		if err := s.switchBaud(ctx, io, cur, "ESC", 0x1B); err != nil {
			return err
		}
	}
	return nil
}

// switchBaud prints U-Boot's prompt, changes the rate and waits for key at
// the new rate; anything else is ignored, as U-Boot's getc loop does.
func (s *sim) switchBaud(ctx context.Context, io device.BootIO, rate int, keyName string, key byte) error {
	if err := printf(io, "## Switch baudrate to %d bps and press %s ...\r\n", rate, keyName); err != nil {
		return err
	}
	if err := pause(ctx, s.t.SwitchDelay); err != nil {
		return err
	}
	io.SetBaud(rate)
	if err := pause(ctx, s.t.SwitchDelay); err != nil {
		return err
	}
	for {
		c, err := io.ReadByteContext(ctx)
		if err != nil {
			return err
		}
		if c == key {
			return nil
		}
	}
}

// receive runs one transfer into RAM at offset (load_serial_ymodem): the
// size received, or -1 if the download was aborted. A non-nil error is the
// line going away.
func (s *sim) receive(ctx context.Context, io device.BootIO, mode xmode, offset uint64) (int64, error) {
	x := &receiver{ctx: ctx, io: io, t: s.t, mode: mode}
	st, err := x.open()
	if err != nil {
		return 0, err
	}
	var size int64
	if st != statOK {
		if err := printf(io, "%s\r\n", st); err != nil {
			return 0, err
		}
	} else {
		for !x.atEOF {
			data, st, err := x.next()
			if err != nil {
				return 0, err
			}
			if st == statOK && len(data) > 0 {
				if werr := s.ram.Write(offset+uint64(size), data); werr != nil {
					// U-Boot would scribble over whatever is there; the
					// simulator stops the sender instead.
					st = statCancel
					io.Write([]byte{can, can, can, can})
					if err := printf(io, "%s\r\n", werr); err != nil {
						return 0, err
					}
				} else {
					size += int64(len(data))
				}
			}
			if st != statOK {
				if err := x.close(); err != nil {
					return 0, err
				}
				if err := printf(io, "%s\r\n", st); err != nil {
					return 0, err
				}
				return -1, nil
			}
		}
	}
	if err := x.close(); err != nil {
		return 0, err
	}
	if err := printf(io, "## Total Size      = 0x%08x = %d Bytes\r\n", size, size); err != nil {
		return 0, err
	}
	return size, nil
}

// close prints the summary and cleans up (xyzModem_stream_close and
// _terminate).
func (x *receiver) close() error {
	mode := "Cksum"
	if x.crc {
		mode = "CRC"
	}
	if err := printf(x.io, "xyzModem - %s mode, %d(SOH)/%d(STX)/%d(CAN) packets, %d retries\r\n",
		mode, x.totalSOH, x.totalSTX, x.totalCAN, x.totalRetries); err != nil {
		return err
	}
	x.drain()
	return pause(x.ctx, x.t.TerminateDelay)
}

func printf(io device.BootIO, format string, args ...any) error {
	_, err := fmt.Fprintf(io, format, args...)
	return err
}
