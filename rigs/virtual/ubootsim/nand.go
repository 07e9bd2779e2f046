package ubootsim

import (
	"context"
	"errors"
	"fmt"

	"github.com/camrig/camrig/rigs/virtual/device"
	"github.com/camrig/camrig/rigs/virtual/flashsim"
)

// Part is one mtdparts partition, for `nand erase.part NAME` and the
// NAME form of nand's offset argument.
type Part struct {
	Name      string
	Off, Size int
}

// NANDCommands returns U-Boot's `nand` command (info, bad, erase,
// erase.part, write, read) over an emulated NAND chip and ram, with
// parts as the bootloader's mtdparts. It follows cmd/nand.c and
// drivers/mtd/nand/raw/nand_util.c: erase skips bad blocks ("Skipping bad
// block at  0x%08llx"); write and read skip them too ("Skip bad block
// 0x%08llx"), so data lands in the good blocks from the offset on, and a
// write that skipping pushes past its limit (the partition, or the chip)
// is refused. A failing program or erase marks its block bad and the
// command ends with ERROR.
func NANDCommands(chip *flashsim.NAND, ram *RAM, parts []Part) []Cmd {
	n := &nandSim{chip: chip, ram: ram, parts: parts}
	return []Cmd{{"nand", "NAND sub-system", n.run}}
}

type nandSim struct {
	chip  *flashsim.NAND
	ram   *RAM
	parts []Part
}

func init() {
	usages["nand"] = "nand info - show available NAND devices\r\n" +
		"nand read - addr off|partition size\r\n" +
		"nand write - addr off|partition size\r\n" +
		"nand erase off|partition size - erase 'size' bytes from offset 'off'\r\n" +
		"nand erase.part partition - erase entire mtd partition\r\n" +
		"nand bad - show bad blocks"
}

func (n *nandSim) run(ctx context.Context, io device.BootIO, _ device.Env, args []string) error {
	if len(args) < 2 {
		return usage("nand")
	}
	g := n.chip.Geometry()
	switch args[1] {
	case "info":
		return printf(io, "\r\nDevice 0: nand0, sector size %s\r\n  Page size   %8d b\r\n  OOB size    %8d b\r\n  Erase size  %8d b\r\n  size        %s\r\n",
			printSize(uint64(g.BlockSize)), g.PageSize, 64, g.BlockSize, printSize(uint64(g.Size)))
	case "bad":
		if err := printf(io, "\r\nDevice 0 bad blocks:\r\n"); err != nil {
			return err
		}
		for _, b := range n.chip.BadBlocks() {
			if err := printf(io, "  %08x\r\n", b); err != nil {
				return err
			}
		}
		return nil
	case "erase", "erase.part":
		var off, size int
		var err error
		if args[1] == "erase.part" {
			if len(args) != 3 {
				return usage("nand")
			}
			p, ok := n.part(args[2])
			if !ok {
				return fmt.Errorf("Partition %s not found!", args[2])
			}
			off, size = p.Off, p.Size
		} else {
			if len(args) != 4 {
				return usage("nand")
			}
			if off, size, _, err = n.offSize(args[2], args[3]); err != nil {
				return err
			}
		}
		if off%g.BlockSize != 0 || size%g.BlockSize != 0 {
			return fmt.Errorf("Offset or size is not aligned to erase block (0x%x)", g.BlockSize)
		}
		name := "NAND erase"
		if args[1] == "erase.part" {
			name = "NAND erase.part"
		}
		if err := printf(io, "\r\n%s: device 0 offset 0x%x, size 0x%x\r\n", name, off, size); err != nil {
			return err
		}
		failed := false
		for b := off; b < off+size; b += g.BlockSize {
			if n.chip.IsBad(b) {
				if err := printf(io, "Skipping bad block at  0x%08x                                         \r\n", b); err != nil {
					return err
				}
				continue
			}
			if err := n.chip.EraseBlock(ctx, b); err != nil {
				if ctx.Err() != nil {
					return err
				}
				printf(io, "\r\nnand_erase_nand: failed erase, page 0x%08x\r\n", b/g.PageSize)
				failed = true
				break
			}
		}
		if failed {
			return errors.New("ERROR")
		}
		if err := printf(io, "\rErasing at 0x%x -- 100%% complete.\r\n", off+size-g.BlockSize); err != nil {
			return err
		}
		return printf(io, "OK\r\n")
	case "write", "read":
		if len(args) != 5 {
			return usage("nand")
		}
		addr, err := parseHex(args[2])
		if err != nil {
			return usage("nand")
		}
		off, size, limit, err := n.offSize(args[3], args[4])
		if err != nil {
			return err
		}
		if err := printf(io, "\r\nNAND %s: device 0 offset 0x%x, size 0x%x\r\n", args[1], off, size); err != nil {
			return err
		}
		done, err := n.transfer(ctx, io, args[1] == "write", addr, off, size, limit)
		if ctx.Err() != nil {
			return ctx.Err()
		}
		verb := "written"
		if args[1] == "read" {
			verb = "read"
		}
		if err != nil {
			return fmt.Errorf(" %d bytes %s: ERROR", done, verb)
		}
		return printf(io, " %d bytes %s: OK\r\n", done, verb)
	}
	return usage("nand")
}

func (n *nandSim) part(name string) (Part, bool) {
	for _, p := range n.parts {
		if p.Name == name {
			return p, true
		}
	}
	return Part{}, false
}

// offSize reads "off|partition size"; limit is where skipping must stop
// (the partition's end, or the chip's).
func (n *nandSim) offSize(offArg, sizeArg string) (off, size, limit int, err error) {
	g := n.chip.Geometry()
	limit = g.Size
	if p, ok := n.part(offArg); ok {
		off, limit = p.Off, p.Off+p.Size
	} else {
		o, err := parseHex(offArg)
		if err != nil {
			return 0, 0, 0, usage("nand")
		}
		off = int(min(o, uint64(g.Size)+1))
	}
	s, err := parseHex(sizeArg)
	if err != nil {
		return 0, 0, 0, usage("nand")
	}
	size = int(min(s, uint64(g.Size)+1))
	if off >= g.Size || size > limit-off {
		return 0, 0, 0, errors.New("Offset exceeds device limit")
	}
	return off, size, limit, nil
}

// transfer moves size bytes between RAM at addr and the good blocks from
// off, skipping bad ones, as nand_write_skip_bad / nand_read_skip_bad do.
func (n *nandSim) transfer(ctx context.Context, io device.BootIO, write bool, addr uint64, off, size, limit int) (int, error) {
	g := n.chip.Geometry()
	// Check first, as U-Boot does: skipping must not run past the limit.
	need, at := size, off-off%g.BlockSize
	for need > 0 {
		if at >= limit {
			printf(io, "Size of %s exceeds partition or device limit\r\n", map[bool]string{true: "write", false: "read"}[write])
			return 0, errors.New("limit")
		}
		if !n.chip.IsBad(at) {
			need -= g.BlockSize - max(off-at, 0)
		}
		at += g.BlockSize
	}
	done := 0
	for b := off; done < size; b += g.BlockSize {
		if n.chip.IsBad(b) {
			printf(io, "Skip bad block 0x%08x\r\n", b)
			continue
		}
		k := min(g.BlockSize, size-done)
		var err error
		if write {
			var data []byte
			if data, err = n.ram.Read(addr+uint64(done), k); err == nil {
				pad := (k + g.PageSize - 1) / g.PageSize * g.PageSize
				buf := append(data, make([]byte, pad-k)...)
				for i := k; i < pad; i++ {
					buf[i] = 0xFF
				}
				if err = n.chip.ProgramBlock(ctx, b, buf); err != nil && ctx.Err() == nil {
					printf(io, "NAND write to offset %x failed %d\r\n", b, -5)
				}
			}
		} else {
			buf := make([]byte, k)
			if _, err = n.chip.ReadAt(buf, int64(b)); err == nil {
				err = n.ram.Write(addr+uint64(done), buf)
			}
		}
		if err != nil {
			return done, err
		}
		done += k
	}
	return done, nil
}
