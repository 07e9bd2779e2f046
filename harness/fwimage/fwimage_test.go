package fwimage_test

import (
	"bytes"
	"errors"
	"hash/crc32"
	"strings"
	"testing"

	"github.com/camrig/camrig/harness/fwimage"
)

func TestBuildParseRoundTrip(t *testing.T) {
	payload := []byte("kernel+rootfs")
	img := fwimage.Build("no-button", "V5.5.71 build 180725", payload)
	h, err := fwimage.Parse(img)
	if err != nil {
		t.Fatal(err)
	}
	want := fwimage.Header{Format: 1, Model: "no-button", Version: "V5.5.71 build 180725", PayloadLen: uint32(len(payload)), PayloadCRC: crc32.ChecksumIEEE(payload)}
	if h != want {
		t.Fatalf("header = %+v, want %+v", h, want)
	}
	if !bytes.Equal(h.Payload(img), payload) || h.Size() != len(img) {
		t.Fatal("payload or size wrong")
	}
	if string(img[:8]) != "CAMRIGFW" {
		t.Fatal("magic")
	}
}

func TestParseErrors(t *testing.T) {
	good := fwimage.Build("m", "v1", []byte("0123456789"))
	mutate := func(f func(b []byte) []byte) []byte { return f(append([]byte(nil), good...)) }
	cases := []struct {
		name string
		img  []byte
		want error
	}{
		{"empty", nil, fwimage.ErrTruncated},
		{"short header", good[:100], fwimage.ErrTruncated},
		{"short payload", good[:len(good)-1], fwimage.ErrTruncated},
		{"trailing bytes", append(append([]byte(nil), good...), 0xFF), fwimage.ErrLengthMismatch},
		{"magic", mutate(func(b []byte) []byte { b[0] = 'X'; return b }), fwimage.ErrBadMagic},
		{"header bit flip", mutate(func(b []byte) []byte { b[25] ^= 1; return b }), fwimage.ErrBadHeaderCRC},
		{"payload bit flip", mutate(func(b []byte) []byte { b[fwimage.HeaderSize+3] ^= 0x80; return b }), fwimage.ErrBadPayloadCRC},
		{"erased flash", bytes.Repeat([]byte{0xFF}, 4096), fwimage.ErrBadMagic},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := fwimage.Parse(c.img)
			var fe *fwimage.Error
			if !errors.Is(err, c.want) || !errors.As(err, &fe) || fe.Detail == "" {
				t.Fatalf("err = %v, want %v", err, c.want)
			}
		})
	}
}

func TestParsePartitionIgnoresTheRest(t *testing.T) {
	img := fwimage.Generate("no-button", "v2", 5000, 1)
	part := append(append([]byte(nil), img...), bytes.Repeat([]byte{0xFF}, 10000)...)
	h, err := fwimage.ParsePartition(part)
	if err != nil || h.Size() != 5000 || h.Version != "v2" {
		t.Fatalf("h %+v err %v", h, err)
	}
	// A half-written image (power cut) is truncated or fails its CRC.
	half := append(append([]byte(nil), img[:3000]...), bytes.Repeat([]byte{0xFF}, 10000)...)
	if _, err := fwimage.ParsePartition(half); !errors.Is(err, fwimage.ErrBadPayloadCRC) {
		t.Fatalf("half-written: err = %v", err)
	}
}

func TestNewImageRejectsBadFields(t *testing.T) {
	cases := []struct{ model, version string }{
		{"", "v"},
		{strings.Repeat("m", 49), "v"},
		{"m", strings.Repeat("v", 49)},
		{"m\x00", "v"},
		{"m", "v\n"},
		{"modèle", "v"},
	}
	for _, c := range cases {
		if _, err := fwimage.NewImage(c.model, c.version, nil); !errors.Is(err, fwimage.ErrInvalidArgument) {
			t.Errorf("NewImage(%q, %q): err = %v", c.model, c.version, err)
		}
	}
	if _, err := fwimage.NewImage(strings.Repeat("m", 48), strings.Repeat("v", 48), nil); err != nil {
		t.Errorf("48-byte fields: %v", err)
	}
}

func TestGenerateIsDeterministic(t *testing.T) {
	a := fwimage.Generate("m", "v", 4096, 42)
	b := fwimage.Generate("m", "v", 4096, 42)
	c := fwimage.Generate("m", "v", 4096, 43)
	if len(a) != 4096 || !bytes.Equal(a, b) || bytes.Equal(a, c) {
		t.Fatal("Generate must be exact-size and deterministic per seed")
	}
	if _, err := fwimage.Parse(a); err != nil {
		t.Fatal(err)
	}
	if h, _ := fwimage.Parse(fwimage.Generate("m", "v", fwimage.HeaderSize, 1)); h.PayloadLen != 0 {
		t.Fatal("header-only image")
	}
}

func FuzzParse(f *testing.F) {
	f.Add(fwimage.Build("m", "v", []byte("payload")))
	f.Add(fwimage.Generate("no-button", "V1.0", 300, 7))
	f.Add([]byte("CAMRIGFW"))
	f.Add(bytes.Repeat([]byte{0xFF}, 200))
	f.Fuzz(func(t *testing.T, b []byte) {
		h, err := fwimage.ParsePartition(b)
		if err != nil {
			var fe *fwimage.Error
			if !errors.As(err, &fe) {
				t.Fatalf("untyped error %v", err)
			}
			return
		}
		// The format is canonical: a parsed image rebuilds byte for byte.
		if again := fwimage.Build(h.Model, h.Version, h.Payload(b)); !bytes.Equal(again, b[:h.Size()]) {
			t.Fatal("parsed image does not rebuild identically")
		}
		if _, err := fwimage.Parse(b[:h.Size()]); err != nil {
			t.Fatalf("Parse rejects what ParsePartition accepted: %v", err)
		}
	})
}
