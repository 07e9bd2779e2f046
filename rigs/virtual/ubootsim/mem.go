package ubootsim

import (
	"context"
	"fmt"

	"github.com/camrig/camrig/rigs/virtual/device"
)

// crc32 is `crc32 address count`: CRC32 for %08lx ... %08lx ==> %08lx.
func (s *sim) crc32(_ context.Context, io device.BootIO, _ device.Env, args []string) error {
	if len(args) != 3 {
		return usage("crc32")
	}
	addr, err1 := parseHex(args[1])
	n, err2 := parseHex(args[2])
	if err1 != nil || err2 != nil || n > uint64(s.ram.Size()) {
		return usage("crc32")
	}
	data, err := s.ram.Read(addr, int(n))
	if err != nil {
		return err
	}
	return printf(io, "CRC32 for %08x ... %08x ==> %08x\r\n", addr, addr+n-1, crc32IEEE(data))
}

// mwb is `mw.b address value [count]`.
func (s *sim) mwb(_ context.Context, _ device.BootIO, _ device.Env, args []string) error {
	if len(args) < 3 || len(args) > 4 {
		return usage("mw.b")
	}
	addr, err1 := parseHex(args[1])
	v, err2 := parseHex(args[2])
	count := uint64(1)
	var err3 error
	if len(args) == 4 {
		count, err3 = parseHex(args[3])
	}
	if err1 != nil || err2 != nil || err3 != nil || count > uint64(s.ram.Size()) {
		return usage("mw.b")
	}
	return s.ram.Fill(addr, byte(v), int(count))
}

// cmpb is `cmp.b addr1 addr2 count`: stops at the first difference.
func (s *sim) cmpb(_ context.Context, io device.BootIO, _ device.Env, args []string) error {
	if len(args) != 4 {
		return usage("cmp.b")
	}
	a1, err1 := parseHex(args[1])
	a2, err2 := parseHex(args[2])
	n, err3 := parseHex(args[3])
	if err1 != nil || err2 != nil || err3 != nil || n > uint64(s.ram.Size()) {
		return usage("cmp.b")
	}
	b1, err := s.ram.Read(a1, int(n))
	if err != nil {
		return err
	}
	b2, err := s.ram.Read(a2, int(n))
	if err != nil {
		return err
	}
	same := 0
	for same < len(b1) && b1[same] == b2[same] {
		same++
	}
	total := fmt.Sprintf("Total of %d byte(s) were the same", same)
	if same == len(b1) {
		return printf(io, "%s\r\n", total)
	}
	if err := printf(io, "byte at 0x%08x (%s) != byte at 0x%08x (%s)\r\n",
		a1+uint64(same), cAltHexWidth(uint64(b1[same]), 2), a2+uint64(same), cAltHexWidth(uint64(b2[same]), 2)); err != nil {
		return err
	}
	return fmt.Errorf("%s", total)
}
