package ubootsim

import (
	"errors"
	"sync"

	"github.com/camrig/camrig/rigs/virtual/device"
	"github.com/camrig/camrig/rigs/virtual/flashsim"
)

// Cmd is one bootloader command with its `help` line.
type Cmd struct {
	Name    string
	Summary string
	Run     device.Command
}

// Option configures the commands.
type Option func(*sim)

// WithTiming replaces U-Boot's waits (see Timing).
func WithTiming(t Timing) Option { return func(s *sim) { s.t = t } }

// sim is the state the commands share: RAM, the flash chip and which
// boot's console last ran `sf probe` (a reset forgets the probe).
type sim struct {
	ram  *RAM
	chip *flashsim.Chip
	t    Timing

	mu     sync.Mutex
	probed device.BootIO
}

// Commands returns loady, loadx, crc32, mw.b, cmp.b and (if chip is not
// nil) sf, working on ram and chip. A command that fails returns its last
// output line as the error, for the unit's shell to print, as U-Boot
// prints it.
func Commands(chip *flashsim.Chip, ram *RAM, opts ...Option) []Cmd {
	s := &sim{ram: ram, chip: chip, t: DefaultTiming()}
	for _, o := range opts {
		o(s)
	}
	cmds := []Cmd{
		{"loady", "load binary file over serial line (ymodem mode)", s.load},
		{"loadx", "load binary file over serial line (xmodem mode)", s.load},
		{"crc32", "checksum calculation", s.crc32},
		{"mw.b", "memory write (fill)", s.mwb},
		{"cmp.b", "memory compare", s.cmpb},
	}
	if chip != nil {
		cmds = append(cmds, Cmd{"sf", "SPI flash sub-system", s.sf})
	}
	return cmds
}

// Install registers Commands with add (a unit's AddCommand).
func Install(add func(name string, cmd device.Command), chip *flashsim.Chip, ram *RAM, opts ...Option) {
	for _, c := range Commands(chip, ram, opts...) {
		add(c.Name, c.Run)
	}
}

var usages = map[string]string{
	"loady": "loady [ off ] [ baud ]\r\n    - load binary file over serial line with offset 'off' and baudrate 'baud'",
	"loadx": "loadx [ off ] [ baud ]\r\n    - load binary file over serial line with offset 'off' and baudrate 'baud'",
	"crc32": "crc32 address count\r\n    - compute CRC32 checksum",
	"mw.b":  "mw.b address value [count]\r\n    - write memory",
	"cmp.b": "cmp.b addr1 addr2 count\r\n    - compare memory",
	"sf": "sf probe [[bus:]cs] [hz] [mode]\t- init flash device on given SPI bus\r\n" +
		"sf read addr offset len\t\t- read `len' bytes starting at `offset' to memory at `addr'\r\n" +
		"sf write addr offset len\t- write `len' bytes from memory at `addr' to flash at `offset'\r\n" +
		"sf erase offset [+]len\t\t- erase `len' bytes from `offset'; `+len' rounds up to the erase size",
}

// usage is U-Boot's CMD_RET_USAGE output.
func usage(name string) error {
	return errors.New("Usage:\r\n" + usages[name])
}
