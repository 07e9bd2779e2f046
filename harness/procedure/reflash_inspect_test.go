package procedure_test

import (
	"crypto/sha256"
	"encoding/hex"
	"strings"
	"testing"

	"github.com/camrig/camrig/harness/fwimage"
	"github.com/camrig/camrig/harness/procedure"
	"github.com/camrig/camrig/harness/profile"
)

func TestPrepareReflash(t *testing.T) {
	good := fwimage.Generate("fake-cam", "V2.0.0", 8192, 1)
	withFormat := func(f profile.Image) *profile.Profile {
		p := fakeProfile("spi-nor")
		p.Flash.Image = f
		return p
	}
	uimg := fwimage.BuildUImage("arm", "firmware", "fw 2.0", 0, 0, make([]byte, 5000))
	badData := append([]byte(nil), uimg...)
	badData[len(badData)-1] ^= 1
	raw := make([]byte, 3000)
	sum := sha256.Sum256(raw)
	cases := []struct {
		name    string
		prof    *profile.Profile
		image   []byte
		opts    procedure.ReflashOptions
		version string
		err     string
	}{
		{"camrig", fakeProfile("spi-nor"), good, procedure.ReflashOptions{}, "V2.0.0", ""},
		{"camrig wrong model", fakeProfile("spi-nor"), fwimage.Generate("blink", "V", 300, 1), procedure.ReflashOptions{}, "", `built for model "blink"`},
		{"vendor blob as camrig", fakeProfile("spi-nor"), []byte("DAV\x00vendor firmware........................................................................................................................"), procedure.ReflashOptions{}, "", "bad magic"},
		{"uimage", withFormat(profile.Image{Format: "uimage", Arch: "arm", Type: "firmware"}), uimg, procedure.ReflashOptions{}, "fw 2.0", ""},
		{"uimage bad data crc", withFormat(profile.Image{Format: "uimage"}), badData, procedure.ReflashOptions{}, "", "data CRC mismatch"},
		{"uimage wrong arch", withFormat(profile.Image{Format: "uimage", Arch: "mips"}), uimg, procedure.ReflashOptions{}, "", "wrong CPU architecture"},
		{"raw needs sha", withFormat(profile.Image{Format: "raw"}), raw, procedure.ReflashOptions{}, "", "--sha256"},
		{"raw sha ok", withFormat(profile.Image{Format: "raw"}), raw, procedure.ReflashOptions{SHA256: hex.EncodeToString(sum[:])}, "", ""},
		{"raw sha wrong", withFormat(profile.Image{Format: "raw"}), raw[1:], procedure.ReflashOptions{SHA256: hex.EncodeToString(sum[:])}, "", "SHA-256 mismatch"},
		{"fit", withFormat(profile.Image{Format: "fit"}), fwimage.BuildFIT("x", make([]byte, 100)), procedure.ReflashOptions{}, "", ""},
		{"no flash section", &profile.Profile{Model: "nf"}, good, procedure.ReflashOptions{}, "", "no flash section"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			pl, err := procedure.PrepareReflash(c.prof, c.image, c.opts)
			if c.err == "" {
				if err != nil || pl.Image.Version != c.version {
					t.Fatalf("plan %+v err %v", pl, err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), c.err) {
				t.Fatalf("err = %v, want %q", err, c.err)
			}
		})
	}
}
