package ubootsim_test

import (
	"context"
	"path/filepath"
	"strings"
	"testing"

	"github.com/camrig/camrig/rigs/virtual/flashsim"
	"github.com/camrig/camrig/rigs/virtual/ubootsim"
)

// FuzzCommandArgs throws arbitrary argument lists at every command: no
// panic, no hang, and a failure always says something.
func FuzzCommandArgs(f *testing.F) {
	seeds := []string{
		"sf probe 0", "sf probe 0:0 1000000 3", "sf erase 0 +1", "sf erase 10000 10000",
		"sf write 82000000 0 100", "sf read 82000000 ff00 100", "sf read 82000000 0x0 0x10000",
		"crc32 82000000 10", "crc32 0x82000000 0xffffffffffffffff", "mw.b 82000000 ff 10000",
		"cmp.b 82000000 82000100 100", "loady", "loady 82000000 9600", "loadx 0x82000000 0",
		"loady 82000000 99999999999", "sf erase 0 -1", "sf probe 0x", "mw.b 82000000 1ff",
		"nand info", "nand bad", "nand erase 0 2000", "nand erase.part fw", "nand write 82000000 fw 1800",
		"nand read 82000000 4000 800", "nand write 82000000 ffffffffffff 1", "nand erase 1 1",
	}
	for _, s := range seeds {
		f.Add(s)
	}
	chip, err := flashsim.Open(filepath.Join(f.TempDir(), "flash.bin"), flashsim.Geometry{Name: "tiny", Size: 64 << 10, EraseSize: 4 << 10, PageSize: 256})
	if err != nil {
		f.Fatal(err)
	}
	defer chip.Close()
	ram := ubootsim.NewRAM(ramBase, 64<<10)
	cmds := map[string]ubootsim.Cmd{}
	for _, c := range ubootsim.Commands(chip, ram, ubootsim.WithTiming(ubootsim.Timing{CharTimeout: 1})) {
		cmds[c.Name] = c
	}
	nand, err := flashsim.OpenNAND(filepath.Join(f.TempDir(), "nand.bin"), flashsim.NANDGeometry{Name: "tiny", Size: 64 << 10, BlockSize: 8 << 10, PageSize: 2 << 10, FactoryBad: []int{2}})
	if err != nil {
		f.Fatal(err)
	}
	defer nand.Close()
	for _, c := range ubootsim.NANDCommands(nand, ram, []ubootsim.Part{{Name: "fw", Off: 16 << 10, Size: 32 << 10}}) {
		cmds[c.Name] = c
	}
	f.Fuzz(func(t *testing.T, line string) {
		args := strings.Fields(line)
		if len(args) == 0 {
			return
		}
		c, ok := cmds[args[0]]
		if !ok {
			return
		}
		io := newBufIO()
		close(io.in) // a line that says nothing: transfers end at once
		io.SetBaud(115200)
		// Probed on this console, so sf's other subcommands are reachable.
		cmds["sf"].Run(context.Background(), io, newEnv(), []string{"sf", "probe"})
		err := c.Run(context.Background(), io, newEnv(), args)
		if err != nil && strings.TrimSpace(err.Error()) == "" {
			t.Fatalf("%q failed without a message", line)
		}
	})
}
