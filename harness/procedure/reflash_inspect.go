package procedure

import (
	"bytes"
	"fmt"

	"github.com/camrig/camrig/harness/fwimage"
)

// InspectImage is the default ReflashOptions.Inspect: an image carrying the
// camrig firmware header must be intact (header and payload CRCs, exact
// length) and built for the unit's model; any other image (a vendor's
// digicap.dav) has no header to check and is passed with version "unknown".
func InspectImage(image []byte, model string) (string, error) {
	if !bytes.HasPrefix(image, []byte(fwimage.Magic)) {
		return "unknown", nil
	}
	h, err := fwimage.Parse(image)
	if err != nil {
		return "", fmt.Errorf("corrupt firmware image: %w", err)
	}
	if h.Model != model {
		return "", fmt.Errorf("image is built for model %q, the unit is a %q", h.Model, model)
	}
	return h.Version, nil
}
