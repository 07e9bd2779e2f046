package fwimage

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"
)

// The image formats a profile can name (flash.image.format).
const (
	FormatCamrig = "camrig" // this package's header
	FormatUImage = "uimage" // U-Boot legacy image
	FormatFIT    = "fit"    // U-Boot FIT (a flattened device tree)
	FormatRaw    = "raw"    // no header: size and SHA-256 come from the user
)

// Formats lists the format names, for messages.
var Formats = []string{FormatCamrig, FormatUImage, FormatFIT, FormatRaw}

// More kinds of refused image.
var (
	ErrWrongModel  = errors.New("image built for another model")
	ErrDigest      = errors.New("SHA-256 mismatch")
	ErrNeedDigest  = errors.New("a raw image needs the SHA-256 it must have")
	ErrSize        = errors.New("size mismatch")
	ErrUnknownFmt  = errors.New("unknown image format")
	ErrWrongFormat = errors.New("image is in another format")
)

// Spec is what an image must be: the profile's format and, per format,
// the model (camrig), architecture and type (uimage), or the user's size
// and SHA-256 (raw).
type Spec struct {
	Format string
	Model  string
	Arch   string // uimage: mkimage's -A name; "" accepts any
	Type   string // uimage: mkimage's -T name; "" accepts any
	// SHA256 is hex; required for raw, checked for every format if given.
	SHA256 string
	// Size, if non-zero, is the exact length the image must have.
	Size int64
}

// Info is what Check learnt about an image.
type Info struct {
	Format  string
	Version string // camrig: the firmware version; uimage: its name; else ""
	// Describe is one line for plans and reports.
	Describe string
}

// Check verifies image against spec, every check the format allows, and
// says which one failed with a typed *Error.
func Check(spec Spec, image []byte) (Info, error) {
	info := Info{Format: spec.Format}
	if spec.Size != 0 && int64(len(image)) != spec.Size {
		return info, bad(ErrSize, "the image has %d bytes, expected %d", len(image), spec.Size)
	}
	if spec.SHA256 != "" {
		want, err := hex.DecodeString(strings.TrimSpace(spec.SHA256))
		if err != nil || len(want) != sha256.Size {
			return info, bad(ErrInvalidArgument, "SHA-256 %q is not 64 hex digits", spec.SHA256)
		}
		if got := sha256.Sum256(image); string(got[:]) != string(want) {
			return info, bad(ErrDigest, "the image's SHA-256 is %x, expected %x", got, want)
		}
	}
	if got := Sniff(image); got != "" && got != spec.Format && spec.Format != FormatRaw {
		return info, bad(ErrWrongFormat, "the image is a %s image; the unit's bootloader takes %s images", got, spec.Format)
	}
	switch spec.Format {
	case FormatCamrig:
		h, err := Parse(image)
		if err != nil {
			return info, err
		}
		if spec.Model != "" && h.Model != spec.Model {
			return info, bad(ErrWrongModel, "image is built for model %q, the unit is a %q", h.Model, spec.Model)
		}
		info.Version = h.Version
		info.Describe = fmt.Sprintf("camrig image for %s, version %s, %d-byte payload crc32 %08x", h.Model, h.Version, h.PayloadLen, h.PayloadCRC)
	case FormatUImage:
		u, err := ParseUImage(image)
		if err != nil {
			return info, err
		}
		if spec.Arch != "" {
			if a, _ := UImageArch(spec.Arch); a != u.Arch {
				return info, bad(ErrWrongArch, "uImage is for %s, the unit is %s", u.ArchName(), spec.Arch)
			}
		}
		if spec.Type != "" {
			if t, _ := UImageType(spec.Type); t != u.Type {
				return info, bad(ErrWrongType, "uImage is a %s image, the unit's partition takes %s", u.TypeName(), spec.Type)
			}
		}
		info.Version = u.Name
		info.Describe = fmt.Sprintf("uImage %q (%s %s), %d data bytes crc32 %08x", u.Name, u.ArchName(), u.TypeName(), u.Size, u.DataCRC)
	case FormatFIT:
		f, err := ParseFIT(image)
		if err != nil {
			return info, err
		}
		info.Describe = f.String()
	case FormatRaw:
		if spec.SHA256 == "" {
			return info, bad(ErrNeedDigest, "give its SHA-256 (--sha256): a raw image has no header to check it by")
		}
		info.Describe = fmt.Sprintf("raw image, %d bytes, SHA-256 as given", len(image))
	default:
		return info, bad(ErrUnknownFmt, "%q, want one of %s", spec.Format, strings.Join(Formats, ", "))
	}
	return info, nil
}

// Sniff names the format image looks like ("" if none), for messages.
func Sniff(image []byte) string {
	switch {
	case len(image) >= len(Magic) && string(image[:len(Magic)]) == Magic:
		return FormatCamrig
	case len(image) >= 4 && image[0] == 0x27 && image[1] == 0x05 && image[2] == 0x19 && image[3] == 0x56:
		return FormatUImage
	case len(image) >= 4 && image[0] == 0xd0 && image[1] == 0x0d && image[2] == 0xfe && image[3] == 0xed:
		return FormatFIT
	}
	return ""
}
