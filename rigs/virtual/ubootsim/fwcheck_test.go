package ubootsim_test

import (
	"context"
	"errors"
	"testing"

	"github.com/camrig/camrig/harness/fwimage"
	"github.com/camrig/camrig/rigs/virtual/ubootsim"
)

// TestFirmwareCheck: the boot check reads the image at the firmware
// partition; only a whole, intact image of the unit's model boots.
func TestFirmwareCheck(t *testing.T) {
	const part, partSize = 0x80000, 0x100000
	img := fwimage.Generate("no-button", "V5.7.3 build 240101", 300000, 1)
	cases := []struct {
		name    string
		prepare func(r *rig)
		model   string
		want    error
	}{
		{"good", func(r *rig) { program(t, r, part, img) }, "no-button", nil},
		{"any model", func(r *rig) { program(t, r, part, img) }, "", nil},
		{"erased flash", func(r *rig) {}, "no-button", fwimage.ErrBadMagic},
		{"other model", func(r *rig) { program(t, r, part, img) }, "blink", nil},
		{"half written", func(r *rig) { program(t, r, part, img[:150000]) }, "no-button", fwimage.ErrBadPayloadCRC},
		{"bit flip", func(r *rig) {
			bad := append([]byte(nil), img...)
			bad[200000] ^= 4
			program(t, r, part, bad)
		}, "no-button", fwimage.ErrBadPayloadCRC},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r := newRig(t, w25q128)
			c.prepare(r)
			version, err := ubootsim.FirmwareCheck(r.chip, part, partSize, c.model)()
			switch {
			case c.name == "other model":
				if err == nil {
					t.Fatal("booted another model's image")
				}
			case c.want == nil:
				if err != nil || version != "V5.7.3 build 240101" {
					t.Fatalf("version %q err %v", version, err)
				}
			case !errors.Is(err, c.want):
				t.Fatalf("err = %v, want %v", err, c.want)
			}
		})
	}
}

func program(t *testing.T, r *rig, off int, p []byte) {
	t.Helper()
	if err := r.chip.Program(context.Background(), off, p); err != nil {
		t.Fatal(err)
	}
}
