package fwimage

import (
	"encoding/binary"
	"fmt"
)

// A FIT image is a flattened device tree (devicetree specification, "FDT
// header"): a 40-byte big-endian header, a memory reservation block, a
// structure block and a strings block. mkimage -E may append external data
// after the tree, so the file may be longer than totalsize, never shorter.
const (
	FDTMagic      = 0xd00dfeed
	FDTHeaderSize = 40
	// fdtBeginNode and fdtEnd are the structure block's first and last tokens.
	fdtBeginNode = 1
	fdtEnd       = 9
	// The tree format versions U-Boot's libfdt reads.
	fdtFirstVersion = 16
	fdtLastVersion  = 17
)

// FIT is a parsed FDT header.
type FIT struct {
	TotalSize                     uint32
	OffStruct, OffStrings, OffMem uint32
	Version, LastCompVersion      uint32
	SizeStrings, SizeStruct       uint32
}

// ParseFIT checks the FDT header of a FIT image: magic, a total size that
// the file holds, a supported version, and blocks that lie inside the tree
// in the order the specification requires; the structure block must begin
// with a node and end with FDT_END.
func ParseFIT(b []byte) (FIT, error) {
	if len(b) < FDTHeaderSize {
		return FIT{}, bad(ErrTruncated, "%d bytes, shorter than the %d-byte FDT header", len(b), FDTHeaderSize)
	}
	if m := binary.BigEndian.Uint32(b); m != FDTMagic {
		return FIT{}, bad(ErrBadMagic, "FDT magic is %08x, want %08x", m, FDTMagic)
	}
	u := func(off int) uint32 { return binary.BigEndian.Uint32(b[off:]) }
	f := FIT{TotalSize: u(4), OffStruct: u(8), OffStrings: u(12), OffMem: u(16), Version: u(20),
		LastCompVersion: u(24), SizeStrings: u(32), SizeStruct: u(36)}
	switch {
	case uint64(f.TotalSize) > uint64(len(b)):
		return FIT{}, bad(ErrTruncated, "the FDT header says %d bytes, the file has %d", f.TotalSize, len(b))
	case f.TotalSize < FDTHeaderSize:
		return FIT{}, bad(ErrBadHeader, "FDT total size %d is smaller than its header", f.TotalSize)
	case f.Version < fdtFirstVersion || f.LastCompVersion > fdtLastVersion:
		return FIT{}, bad(ErrUnsupported, "FDT version %d (compatible back to %d); readable: %d..%d", f.Version, f.LastCompVersion, fdtFirstVersion, fdtLastVersion)
	}
	within := func(name string, off, size uint32) error {
		if off < FDTHeaderSize || uint64(off)+uint64(size) > uint64(f.TotalSize) {
			return bad(ErrBadHeader, "FDT %s block at %d+%d lies outside the %d-byte tree", name, off, size, f.TotalSize)
		}
		return nil
	}
	if err := within("memory reservation", f.OffMem, 16); err != nil {
		return FIT{}, err
	}
	if err := within("structure", f.OffStruct, f.SizeStruct); err != nil {
		return FIT{}, err
	}
	if err := within("strings", f.OffStrings, f.SizeStrings); err != nil {
		return FIT{}, err
	}
	if f.OffMem%8 != 0 || f.OffStruct%4 != 0 || f.SizeStruct%4 != 0 || f.SizeStruct < 8 {
		return FIT{}, bad(ErrBadHeader, "FDT blocks misaligned or empty (memory %d, structure %d+%d)", f.OffMem, f.OffStruct, f.SizeStruct)
	}
	if first := u(int(f.OffStruct)); first != fdtBeginNode {
		return FIT{}, bad(ErrBadHeader, "the FDT structure block starts with token %d, not a node", first)
	}
	if last := u(int(f.OffStruct + f.SizeStruct - 4)); last != fdtEnd {
		return FIT{}, bad(ErrBadHeader, "the FDT structure block ends with token %d, not FDT_END", last)
	}
	return f, nil
}

// BuildFIT makes the smallest well-formed tree ("/" with a description
// property) followed by extra (external data), for tests.
func BuildFIT(description string, extra []byte) []byte {
	be := binary.BigEndian
	var st []byte
	word := func(v uint32) { st = be.AppendUint32(st, v) }
	word(fdtBeginNode)
	st = append(st, 0, 0, 0, 0) // root node name "" padded to 4
	word(3)                     // FDT_PROP
	val := append([]byte(description), 0)
	word(uint32(len(val)))
	word(0) // nameoff of "description"
	st = append(st, val...)
	for len(st)%4 != 0 {
		st = append(st, 0)
	}
	word(2) // FDT_END_NODE
	word(fdtEnd)
	strs := []byte("description\x00")
	offMem := uint32(FDTHeaderSize)
	offStruct := offMem + 16
	offStrings := offStruct + uint32(len(st))
	total := offStrings + uint32(len(strs))
	b := make([]byte, 0, int(total)+len(extra))
	for _, v := range []uint32{FDTMagic, total, offStruct, offStrings, offMem, 17, 16, 0, uint32(len(strs)), uint32(len(st))} {
		b = be.AppendUint32(b, v)
	}
	b = append(b, make([]byte, 16)...)
	b = append(b, st...)
	b = append(b, strs...)
	return append(b, extra...)
}

func (f FIT) String() string {
	return fmt.Sprintf("FIT (FDT v%d, %d-byte tree)", f.Version, f.TotalSize)
}
