package fwimage_test

import (
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"hash/crc32"
	"testing"

	"github.com/camrig/camrig/harness/fwimage"
)

func uimage() []byte {
	return fwimage.BuildUImage("mips", "firmware", "ipc V5.5.71", 0x80010000, 0x80010000, []byte("kernel and rootfs bytes"))
}

// rehdr fixes the header CRC after a header edit, so the check under test
// is the one that fires.
func rehdr(b []byte) []byte {
	binary.BigEndian.PutUint32(b[4:], 0)
	binary.BigEndian.PutUint32(b[4:], crc32.ChecksumIEEE(b[:fwimage.UImageHeaderSize]))
	return b
}

func TestParseUImage(t *testing.T) {
	good := uimage()
	u, err := fwimage.ParseUImage(good)
	if err != nil {
		t.Fatal(err)
	}
	if u.Name != "ipc V5.5.71" || u.ArchName() != "mips" || u.TypeName() != "firmware" || u.Size != 23 {
		t.Fatalf("%+v", u)
	}
	mut := func(f func([]byte) []byte) []byte { return f(append([]byte(nil), good...)) }
	for _, c := range []struct {
		name string
		img  []byte
		want error
	}{
		{"short", good[:63], fwimage.ErrTruncated},
		{"magic", mut(func(b []byte) []byte { b[0] = 0; return b }), fwimage.ErrBadMagic},
		{"header crc", mut(func(b []byte) []byte { b[40] ^= 1; return b }), fwimage.ErrBadHeaderCRC},
		{"data crc", mut(func(b []byte) []byte { b[70] ^= 1; return b }), fwimage.ErrBadDataCRC},
		{"data short", good[:len(good)-1], fwimage.ErrTruncated},
		{"trailing", append(append([]byte(nil), good...), 0), fwimage.ErrLengthMismatch},
		{"arch 0", mut(func(b []byte) []byte { b[29] = 0; return rehdr(b) }), fwimage.ErrUnknownField},
		{"type 99", mut(func(b []byte) []byte { b[30] = 99; return rehdr(b) }), fwimage.ErrUnknownField},
		{"comp 9", mut(func(b []byte) []byte { b[31] = 9; return rehdr(b) }), fwimage.ErrUnknownField},
		{"name ctl", mut(func(b []byte) []byte { b[33] = 1; return rehdr(b) }), fwimage.ErrBadHeader},
	} {
		t.Run(c.name, func(t *testing.T) {
			if _, err := fwimage.ParseUImage(c.img); !errors.Is(err, c.want) {
				t.Fatalf("err = %v, want %v", err, c.want)
			}
		})
	}
}

func TestParseFIT(t *testing.T) {
	good := fwimage.BuildFIT("camera firmware", []byte("external data"))
	f, err := fwimage.ParseFIT(good)
	if err != nil {
		t.Fatal(err)
	}
	if int(f.TotalSize) != len(good)-len("external data") {
		t.Fatalf("%+v", f)
	}
	mut := func(f func([]byte) []byte) []byte { return f(append([]byte(nil), good...)) }
	for _, c := range []struct {
		name string
		img  []byte
		want error
	}{
		{"short", good[:39], fwimage.ErrTruncated},
		{"magic", mut(func(b []byte) []byte { b[1] = 0; return b }), fwimage.ErrBadMagic},
		{"total beyond file", good[:f.TotalSize-1], fwimage.ErrTruncated},
		{"total tiny", mut(func(b []byte) []byte { binary.BigEndian.PutUint32(b[4:], 8); return b }), fwimage.ErrBadHeader},
		{"version", mut(func(b []byte) []byte { binary.BigEndian.PutUint32(b[20:], 3); return b }), fwimage.ErrUnsupported},
		{"struct outside", mut(func(b []byte) []byte { binary.BigEndian.PutUint32(b[36:], 1<<20); return b }), fwimage.ErrBadHeader},
		{"no FDT_END", mut(func(b []byte) []byte { b[f.OffStruct+f.SizeStruct-1] = 2; return b }), fwimage.ErrBadHeader},
	} {
		t.Run(c.name, func(t *testing.T) {
			if _, err := fwimage.ParseFIT(c.img); !errors.Is(err, c.want) {
				t.Fatalf("err = %v, want %v", err, c.want)
			}
		})
	}
}

func TestCheck(t *testing.T) {
	cam := fwimage.Generate("no-button", "V2", 4096, 3)
	ui := uimage()
	fit := fwimage.BuildFIT("x", nil)
	raw := bytes.Repeat([]byte{0xA5}, 1000)
	sum := func(b []byte) string { s := sha256.Sum256(b); return hex.EncodeToString(s[:]) }
	for _, c := range []struct {
		name string
		spec fwimage.Spec
		img  []byte
		want error // nil: accepted
	}{
		{"camrig ok", fwimage.Spec{Format: "camrig", Model: "no-button"}, cam, nil},
		{"camrig wrong model", fwimage.Spec{Format: "camrig", Model: "blink"}, cam, fwimage.ErrWrongModel},
		{"camrig given a uImage", fwimage.Spec{Format: "camrig", Model: "blink"}, ui, fwimage.ErrWrongFormat},
		{"camrig given raw bytes", fwimage.Spec{Format: "camrig"}, raw, fwimage.ErrBadMagic},
		{"uimage ok", fwimage.Spec{Format: "uimage", Arch: "mips", Type: "firmware"}, ui, nil},
		{"uimage wrong arch", fwimage.Spec{Format: "uimage", Arch: "arm"}, ui, fwimage.ErrWrongArch},
		{"uimage wrong type", fwimage.Spec{Format: "uimage", Type: "kernel"}, ui, fwimage.ErrWrongType},
		{"uimage given camrig", fwimage.Spec{Format: "uimage"}, cam, fwimage.ErrWrongFormat},
		{"fit ok", fwimage.Spec{Format: "fit"}, fit, nil},
		{"fit given uImage", fwimage.Spec{Format: "fit"}, ui, fwimage.ErrWrongFormat},
		{"raw ok", fwimage.Spec{Format: "raw", SHA256: sum(raw)}, raw, nil},
		{"raw without digest", fwimage.Spec{Format: "raw"}, raw, fwimage.ErrNeedDigest},
		{"raw wrong digest", fwimage.Spec{Format: "raw", SHA256: sum(cam)}, raw, fwimage.ErrDigest},
		{"raw bad digest text", fwimage.Spec{Format: "raw", SHA256: "abc"}, raw, fwimage.ErrInvalidArgument},
		{"raw wrong size", fwimage.Spec{Format: "raw", SHA256: sum(raw), Size: 999}, raw, fwimage.ErrSize},
		{"unknown format", fwimage.Spec{Format: "zip"}, raw, fwimage.ErrUnknownFmt},
	} {
		t.Run(c.name, func(t *testing.T) {
			info, err := fwimage.Check(c.spec, c.img)
			if c.want == nil {
				if err != nil || info.Describe == "" {
					t.Fatalf("info %+v err %v", info, err)
				}
				return
			}
			var fe *fwimage.Error
			if !errors.Is(err, c.want) || !errors.As(err, &fe) {
				t.Fatalf("err = %v, want %v", err, c.want)
			}
		})
	}
}

func FuzzParseUImage(f *testing.F) {
	f.Add(uimage())
	f.Add(fwimage.BuildUImage("arm", "kernel", "", 0, 0, nil))
	f.Add(make([]byte, 64))
	f.Fuzz(func(t *testing.T, b []byte) {
		u, err := fwimage.ParseUImage(b)
		if err != nil {
			var fe *fwimage.Error
			if !errors.As(err, &fe) {
				t.Fatalf("untyped error %v", err)
			}
			return
		}
		// Accepted means every CRC and length holds.
		if int(u.Size)+fwimage.UImageHeaderSize != len(b) || crc32.ChecksumIEEE(b[fwimage.UImageHeaderSize:]) != u.DataCRC {
			t.Fatalf("accepted an inconsistent image %+v", u)
		}
	})
}

func FuzzParseFIT(f *testing.F) {
	f.Add(fwimage.BuildFIT("d", nil))
	f.Add(fwimage.BuildFIT("", []byte{1, 2, 3}))
	f.Add(make([]byte, 40))
	f.Fuzz(func(t *testing.T, b []byte) {
		h, err := fwimage.ParseFIT(b)
		if err != nil {
			var fe *fwimage.Error
			if !errors.As(err, &fe) {
				t.Fatalf("untyped error %v", err)
			}
			return
		}
		if int(h.TotalSize) > len(b) || uint64(h.OffStruct)+uint64(h.SizeStruct) > uint64(h.TotalSize) {
			t.Fatalf("accepted an inconsistent tree %+v", h)
		}
	})
}

func FuzzCheck(f *testing.F) {
	f.Add("camrig", fwimage.Generate("m", "v", 200, 1))
	f.Add("uimage", uimage())
	f.Add("fit", fwimage.BuildFIT("d", nil))
	f.Add("raw", []byte("x"))
	f.Fuzz(func(t *testing.T, format string, b []byte) {
		_, err := fwimage.Check(fwimage.Spec{Format: format, Model: "m"}, b)
		if err != nil {
			var fe *fwimage.Error
			if !errors.As(err, &fe) {
				t.Fatalf("untyped error %v", err)
			}
		}
	})
}
