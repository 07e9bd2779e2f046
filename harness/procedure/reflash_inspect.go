package procedure

import (
	"fmt"

	"github.com/camrig/camrig/harness/fwimage"
	"github.com/camrig/camrig/harness/profile"
)

// CheckImage runs every check the profile's image format allows (see
// fwimage.Check): camrig header and model, uImage magic/CRCs/arch/type,
// FIT header and size, or a raw image's size and user-given SHA-256.
func CheckImage(p *profile.Profile, image []byte, opts ReflashOptions) (fwimage.Info, error) {
	img := p.Flash.Image
	info, err := fwimage.Check(fwimage.Spec{Format: img.Format, Model: p.Model, Arch: img.Arch, Type: img.Type,
		SHA256: opts.SHA256, Size: opts.Size}, image)
	if err != nil {
		return info, fmt.Errorf("refusing the image for %s (profile %s): %w", p.Model, p.File, err)
	}
	return info, nil
}

// PrepareReflash is every check a reflash makes before it touches the
// unit, in one place for Reflash and `camrig reflash --dry-run`: the
// image's format and contents (CheckImage), then its fit into the
// firmware partition (PlanReflash).
func PrepareReflash(p *profile.Profile, image []byte, opts ReflashOptions) (*ReflashPlan, error) {
	if p.Flash.Kind == "" {
		return nil, fmt.Errorf("profile %s has no flash section: the unit cannot be reflashed", p.Model)
	}
	pl, err := PlanReflash(p, len(image), opts)
	if err != nil {
		return nil, err
	}
	if pl.Image, err = CheckImage(p, image, opts); err != nil {
		return nil, err
	}
	return pl, nil
}
