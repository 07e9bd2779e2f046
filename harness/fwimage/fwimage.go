// Package fwimage is the camrig firmware image format, shared by the
// harness (checks before a reflash) and the virtual unit (its boot check of
// the image in flash). An image is a fixed 128-byte header and the payload:
//
//	off size  field
//	  0    8  magic "CAMRIGFW"
//	  8    2  format version (1), big endian
//	 10    2  header size (128)
//	 12    4  payload length
//	 16    4  CRC-32 (IEEE) of the payload
//	 20   48  model, ASCII, NUL padded
//	 68   48  firmware version, ASCII, NUL padded
//	116    8  reserved, zero
//	124    4  CRC-32 (IEEE) of header bytes 0..123
//
// The format is canonical: Parse accepts exactly what Build produces.
package fwimage

import (
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"math"
)

const (
	// Magic starts every image.
	Magic = "CAMRIGFW"
	// FormatVersion is the header layout this package writes and reads.
	FormatVersion = 1
	// HeaderSize is the size of the header before the payload.
	HeaderSize = 128
	// MaxString is the longest model or version string.
	MaxString = 48
)

const (
	offFormat     = 8
	offHeaderSize = 10
	offLength     = 12
	offPayloadCRC = 16
	offModel      = 20
	offVersion    = offModel + MaxString
	offReserved   = offVersion + MaxString
	offHeaderCRC  = 124
)

// Header describes an image.
type Header struct {
	Format     uint16
	Model      string
	Version    string
	PayloadLen uint32
	PayloadCRC uint32
}

// Size is the whole image: header and payload.
func (h Header) Size() int { return HeaderSize + int(h.PayloadLen) }

// Payload returns the payload of image b, which Parse or ParsePartition
// accepted with header h.
func (h Header) Payload(b []byte) []byte { return b[HeaderSize:h.Size()] }

// The kinds of bad image; errors from Parse match them with errors.Is.
var (
	ErrTruncated       = errors.New("truncated image")
	ErrBadMagic        = errors.New("not a camrig firmware image (bad magic)")
	ErrBadHeaderCRC    = errors.New("header CRC mismatch")
	ErrUnsupported     = errors.New("unsupported image format version")
	ErrBadHeader       = errors.New("malformed header")
	ErrBadPayloadCRC   = errors.New("payload CRC mismatch")
	ErrLengthMismatch  = errors.New("image length does not match its header")
	ErrInvalidArgument = errors.New("invalid image field")
)

// Error is a bad image: Kind is one of the Err values, Detail says what was
// found.
type Error struct {
	Kind   error
	Detail string
}

func (e *Error) Error() string { return "fwimage: " + e.Kind.Error() + ": " + e.Detail }
func (e *Error) Unwrap() error { return e.Kind }

func bad(kind error, format string, args ...any) error {
	return &Error{Kind: kind, Detail: fmt.Sprintf(format, args...)}
}

// NewImage builds an image, or says why the model or version cannot be
// stored (longer than MaxString, not printable ASCII, empty model) or the
// payload is too large.
func NewImage(model, version string, payload []byte) ([]byte, error) {
	if model == "" {
		return nil, bad(ErrInvalidArgument, "empty model")
	}
	for _, f := range []struct{ name, s string }{{"model", model}, {"version", version}} {
		if err := checkString(f.s); err != nil {
			return nil, bad(ErrInvalidArgument, "%s %q: %v", f.name, f.s, err)
		}
	}
	if uint64(len(payload)) > math.MaxUint32 {
		return nil, bad(ErrInvalidArgument, "payload of %d bytes exceeds 4 GiB", len(payload))
	}
	b := make([]byte, HeaderSize+len(payload))
	copy(b, Magic)
	binary.BigEndian.PutUint16(b[offFormat:], FormatVersion)
	binary.BigEndian.PutUint16(b[offHeaderSize:], HeaderSize)
	binary.BigEndian.PutUint32(b[offLength:], uint32(len(payload)))
	binary.BigEndian.PutUint32(b[offPayloadCRC:], crc32.ChecksumIEEE(payload))
	copy(b[offModel:offVersion], model)
	copy(b[offVersion:offReserved], version)
	binary.BigEndian.PutUint32(b[offHeaderCRC:], crc32.ChecksumIEEE(b[:offHeaderCRC]))
	copy(b[HeaderSize:], payload)
	return b, nil
}

// Build is NewImage for model and version strings known to be valid
// (constants, test fixtures); it panics on invalid ones.
func Build(model, version string, payload []byte) []byte {
	b, err := NewImage(model, version, payload)
	if err != nil {
		panic(err)
	}
	return b
}

func checkString(s string) error {
	if len(s) > MaxString {
		return fmt.Errorf("%d bytes, at most %d", len(s), MaxString)
	}
	for i := 0; i < len(s); i++ {
		if s[i] < 0x20 || s[i] > 0x7e {
			return fmt.Errorf("byte %d is 0x%02x, want printable ASCII", i, s[i])
		}
	}
	return nil
}

// Parse checks that b is exactly one image: header, header CRC, payload
// length and payload CRC.
func Parse(b []byte) (Header, error) {
	h, err := ParsePartition(b)
	if err != nil {
		return h, err
	}
	if len(b) != h.Size() {
		return Header{}, bad(ErrLengthMismatch, "%d bytes, header says %d (%d header + %d payload)", len(b), h.Size(), HeaderSize, h.PayloadLen)
	}
	return h, nil
}

// ParsePartition checks the image at the start of b, a flash partition
// whose space after the image (erased 0xFF or stale data) is ignored.
func ParsePartition(b []byte) (Header, error) {
	if len(b) < HeaderSize {
		return Header{}, bad(ErrTruncated, "%d bytes, shorter than the %d-byte header", len(b), HeaderSize)
	}
	if string(b[:len(Magic)]) != Magic {
		return Header{}, bad(ErrBadMagic, "starts with %q", b[:len(Magic)])
	}
	if got, want := binary.BigEndian.Uint32(b[offHeaderCRC:]), crc32.ChecksumIEEE(b[:offHeaderCRC]); got != want {
		return Header{}, bad(ErrBadHeaderCRC, "stored %08x, computed %08x", got, want)
	}
	h := Header{
		Format:     binary.BigEndian.Uint16(b[offFormat:]),
		PayloadLen: binary.BigEndian.Uint32(b[offLength:]),
		PayloadCRC: binary.BigEndian.Uint32(b[offPayloadCRC:]),
	}
	if h.Format != FormatVersion {
		return Header{}, bad(ErrUnsupported, "version %d, this build reads %d", h.Format, FormatVersion)
	}
	if hs := binary.BigEndian.Uint16(b[offHeaderSize:]); hs != HeaderSize {
		return Header{}, bad(ErrBadHeader, "header size %d, want %d", hs, HeaderSize)
	}
	var err error
	if h.Model, err = field(b[offModel:offVersion]); err != nil || h.Model == "" {
		return Header{}, bad(ErrBadHeader, "model field: %v", orEmpty(err))
	}
	if h.Version, err = field(b[offVersion:offReserved]); err != nil {
		return Header{}, bad(ErrBadHeader, "version field: %v", err)
	}
	for i, c := range b[offReserved:offHeaderCRC] {
		if c != 0 {
			return Header{}, bad(ErrBadHeader, "reserved byte %d is 0x%02x", offReserved+i, c)
		}
	}
	if uint64(len(b)-HeaderSize) < uint64(h.PayloadLen) {
		return Header{}, bad(ErrTruncated, "payload has %d of %d bytes", len(b)-HeaderSize, h.PayloadLen)
	}
	if got := crc32.ChecksumIEEE(h.Payload(b)); got != h.PayloadCRC {
		return Header{}, bad(ErrBadPayloadCRC, "header says %08x, payload is %08x", h.PayloadCRC, got)
	}
	return h, nil
}

func orEmpty(err error) error {
	if err == nil {
		return errors.New("empty")
	}
	return err
}

// field reads a NUL-padded printable string.
func field(b []byte) (string, error) {
	n := 0
	for n < len(b) && b[n] != 0 {
		n++
	}
	for i, c := range b[n:] {
		if c != 0 {
			return "", fmt.Errorf("byte 0x%02x after the terminating NUL at %d", c, n+i)
		}
	}
	s := string(b[:n])
	if err := checkString(s); err != nil {
		return "", err
	}
	return s, nil
}
