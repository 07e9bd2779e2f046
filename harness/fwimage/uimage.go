package fwimage

import (
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"strings"
)

// U-Boot's legacy image ("uImage", include/image.h): a 64-byte big-endian
// header in front of the data.
//
//	off size  field
//	  0    4  magic 0x27051956
//	  4    4  CRC-32 of the header with this field zero
//	  8    4  timestamp
//	 12    4  data size
//	 16    4  load address
//	 20    4  entry point
//	 24    4  CRC-32 of the data
//	 28    1  OS
//	 29    1  CPU architecture
//	 30    1  image type
//	 31    1  compression
//	 32   32  name, NUL padded
const (
	UImageMagic      = 0x27051956
	UImageHeaderSize = 64
	uimageNameLen    = 32
)

// The kinds of bad uImage.
var (
	ErrBadDataCRC   = errors.New("data CRC mismatch")
	ErrWrongArch    = errors.New("wrong CPU architecture")
	ErrWrongType    = errors.New("wrong image type")
	ErrUnknownField = errors.New("unknown header field value")
)

// UImage is a parsed legacy image header.
type UImage struct {
	HeaderCRC, DataCRC uint32
	Time               uint32
	Size               uint32
	Load, Entry        uint32
	OS, Arch, Type     byte
	Comp               byte
	Name               string
}

// uimageArch names IH_ARCH_* values as mkimage -A spells them.
var uimageArch = map[string]byte{
	"alpha": 1, "arm": 2, "x86": 3, "ia64": 4, "mips": 5, "mips64": 6, "powerpc": 7, "s390": 8,
	"sh": 9, "sparc": 10, "sparc64": 11, "m68k": 12, "microblaze": 14, "nios2": 15, "blackfin": 16,
	"avr32": 17, "st200": 18, "sandbox": 19, "nds32": 20, "or1k": 21, "arm64": 22, "arc": 23,
	"x86_64": 24, "xtensa": 25, "riscv": 26,
}

// uimageType names IH_TYPE_* values as mkimage -T spells them (the ones a
// camera's firmware partition can hold).
var uimageType = map[string]byte{
	"standalone": 1, "kernel": 2, "ramdisk": 3, "multi": 4, "firmware": 5, "script": 6,
	"filesystem": 7, "flat_dt": 8,
}

// uimageOS names IH_OS_* values (mkimage -O).
var uimageOS = map[string]byte{"openbsd": 1, "netbsd": 2, "freebsd": 3, "4_4bsd": 4, "linux": 5, "svr4": 6,
	"esix": 7, "solaris": 8, "irix": 9, "sco": 10, "dell": 11, "ncr": 12, "lynxos": 13, "vxworks": 14,
	"psos": 15, "qnx": 16, "u-boot": 17, "rtems": 18, "artos": 19, "unity": 20, "integrity": 21,
	"ose": 22, "plan9": 23, "openrtos": 24, "arm-trusted-firmware": 25, "tee": 26, "opensbi": 27, "efi": 28}

// IH_COMP_* values: none, gzip, bzip2, lzma, lzo, lz4, zstd.
const maxComp = 6

func nameOf(m map[string]byte, v byte) string {
	for k, x := range m {
		if x == v {
			return k
		}
	}
	return fmt.Sprintf("%d", v)
}

// UImageArch returns the IH_ARCH code for a mkimage architecture name.
func UImageArch(name string) (byte, bool) { v, ok := uimageArch[strings.ToLower(name)]; return v, ok }

// UImageType returns the IH_TYPE code for a mkimage type name.
func UImageType(name string) (byte, bool) { v, ok := uimageType[strings.ToLower(name)]; return v, ok }

// ArchName and TypeName spell the header's codes as mkimage does.
func (u UImage) ArchName() string { return nameOf(uimageArch, u.Arch) }
func (u UImage) TypeName() string { return nameOf(uimageType, u.Type) }

// ParseUImage checks that b is exactly one legacy image: magic, header
// CRC, known OS/architecture/type/compression, data length and data CRC.
func ParseUImage(b []byte) (UImage, error) {
	if len(b) < UImageHeaderSize {
		return UImage{}, bad(ErrTruncated, "%d bytes, shorter than the %d-byte uImage header", len(b), UImageHeaderSize)
	}
	if m := binary.BigEndian.Uint32(b); m != UImageMagic {
		return UImage{}, bad(ErrBadMagic, "uImage magic is %08x, want %08x", m, UImageMagic)
	}
	u := UImage{
		HeaderCRC: binary.BigEndian.Uint32(b[4:]),
		Time:      binary.BigEndian.Uint32(b[8:]),
		Size:      binary.BigEndian.Uint32(b[12:]),
		Load:      binary.BigEndian.Uint32(b[16:]),
		Entry:     binary.BigEndian.Uint32(b[20:]),
		DataCRC:   binary.BigEndian.Uint32(b[24:]),
		OS:        b[28], Arch: b[29], Type: b[30], Comp: b[31],
	}
	var hdr [UImageHeaderSize]byte
	copy(hdr[:], b)
	clear(hdr[4:8])
	if got := crc32.ChecksumIEEE(hdr[:]); got != u.HeaderCRC {
		return UImage{}, bad(ErrBadHeaderCRC, "uImage header stores %08x, computed %08x", u.HeaderCRC, got)
	}
	name := b[32:UImageHeaderSize]
	if i := strings.IndexByte(string(name), 0); i >= 0 {
		name = name[:i]
	}
	for i, c := range name {
		if c < 0x20 || c > 0x7e {
			return UImage{}, bad(ErrBadHeader, "uImage name byte %d is 0x%02x", i, c)
		}
	}
	u.Name = string(name)
	switch {
	case u.OS == 0 || int(u.OS) > len(uimageOS):
		return UImage{}, bad(ErrUnknownField, "uImage OS %d", u.OS)
	case u.Arch == 0 || nameOf(uimageArch, u.Arch) == fmt.Sprint(u.Arch):
		return UImage{}, bad(ErrUnknownField, "uImage architecture %d", u.Arch)
	case u.Type == 0 || nameOf(uimageType, u.Type) == fmt.Sprint(u.Type):
		return UImage{}, bad(ErrUnknownField, "uImage type %d", u.Type)
	case u.Comp > maxComp:
		return UImage{}, bad(ErrUnknownField, "uImage compression %d", u.Comp)
	}
	have := uint64(len(b) - UImageHeaderSize)
	switch {
	case have < uint64(u.Size):
		return UImage{}, bad(ErrTruncated, "uImage data has %d of %d bytes", have, u.Size)
	case have > uint64(u.Size):
		return UImage{}, bad(ErrLengthMismatch, "%d bytes, the uImage header says %d (%d header + %d data)", len(b), UImageHeaderSize+uint64(u.Size), UImageHeaderSize, u.Size)
	}
	if got := crc32.ChecksumIEEE(b[UImageHeaderSize:]); got != u.DataCRC {
		return UImage{}, bad(ErrBadDataCRC, "uImage header says %08x, data is %08x", u.DataCRC, got)
	}
	return u, nil
}

// BuildUImage makes a legacy image (what `mkimage -A arch -O linux -T typ
// -C none -n name -d data` makes), for tests and fixtures. It panics on an
// unknown arch or type, or a name longer than 31 bytes.
func BuildUImage(arch, typ, name string, load, entry uint32, data []byte) []byte {
	a, ok1 := UImageArch(arch)
	t, ok2 := UImageType(typ)
	if !ok1 || !ok2 || len(name) >= uimageNameLen || uint64(len(data)) > 0xFFFFFFFF {
		panic("fwimage: BuildUImage: bad arch, type, name or size")
	}
	b := make([]byte, UImageHeaderSize+len(data))
	binary.BigEndian.PutUint32(b, UImageMagic)
	binary.BigEndian.PutUint32(b[12:], uint32(len(data)))
	binary.BigEndian.PutUint32(b[16:], load)
	binary.BigEndian.PutUint32(b[20:], entry)
	binary.BigEndian.PutUint32(b[24:], crc32.ChecksumIEEE(data))
	b[28], b[29], b[30], b[31] = uimageOS["linux"], a, t, 0
	copy(b[32:], name)
	binary.BigEndian.PutUint32(b[4:], crc32.ChecksumIEEE(b[:UImageHeaderSize]))
	copy(b[UImageHeaderSize:], data)
	return b
}
