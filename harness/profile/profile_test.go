package profile_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/camrig/camrig/harness/profile"
)

const dir = "../../fixtures/profiles"

func TestShippedProfilesLoad(t *testing.T) {
	models, err := profile.Models(dir)
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]bool{"blink": true, "hikvision-ds2cd": true, "generic-poe-ipc": true, "no-button": true}
	for _, m := range models {
		p, err := profile.LoadModel(dir, m)
		if err != nil {
			t.Fatalf("%s: %v", m, err)
		}
		// The seeded models are played by the virtual rig and need a boot
		// script; others (a real bootloader under qemu) may have none.
		if want[m] || p.BootScript != "" {
			if _, err := os.Stat(p.BootScriptPath()); err != nil {
				t.Errorf("%s: boot script: %v", m, err)
			}
		}
		delete(want, m)
	}
	if len(want) != 0 {
		t.Fatalf("missing profiles: %v", want)
	}
}

func TestVendorNumbers(t *testing.T) {
	cases := []struct {
		model           string
		factoryMin      time.Duration
		rebootHold      time.Duration
		lockoutAttempts int
		lockoutDuration time.Duration
		button          bool
	}{
		{"blink", 30 * time.Second, 5 * time.Second, 5, 10 * time.Minute, true},
		{"hikvision-ds2cd", 10 * time.Second, 0, 7, 30 * time.Minute, true},
		{"generic-poe-ipc", 12 * time.Second, 0, 5, 30 * time.Minute, true},
		{"no-button", 0, 0, 5, 30 * time.Minute, false},
	}
	for _, c := range cases {
		p, err := profile.LoadModel(dir, c.model)
		if err != nil {
			t.Fatal(err)
		}
		if p.ResetButton != c.button {
			t.Errorf("%s: reset_button = %v", c.model, p.ResetButton)
		}
		if c.factoryMin > 0 && p.Holds.Factory.Min != c.factoryMin {
			t.Errorf("%s: factory min = %v", c.model, p.Holds.Factory.Min)
		}
		if c.rebootHold > 0 && p.Holds.Reboot.Hold != c.rebootHold {
			t.Errorf("%s: reboot hold = %v", c.model, p.Holds.Reboot.Hold)
		}
		if p.Lockout.Attempts != c.lockoutAttempts || p.Lockout.Duration != c.lockoutDuration {
			t.Errorf("%s: lockout = %+v", c.model, p.Lockout)
		}
	}
	hik, _ := profile.LoadModel(dir, "hikvision-ds2cd")
	if hik.Bootloader.InterruptKey != "\x15" || !hik.Holds.ReleaseOnLED {
		t.Errorf("hikvision bootloader key %q release_on_led %v", hik.Bootloader.InterruptKey, hik.Holds.ReleaseOnLED)
	}
	if p, ok := hik.Flash.Partition("firmware"); !ok || p.Size != 15<<20 {
		t.Errorf("hikvision firmware partition = %+v", p)
	}
}

func TestValidationErrorsNameLine(t *testing.T) {
	base, err := os.ReadFile(filepath.Join(dir, "hikvision-ds2cd.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name, from, to, want string
	}{
		{"unknown key", "release_on_led: true", "release_on_lde: true", "unknown key \"release_on_lde\""},
		{"hold outside window", "factory: {hold: 12s, min: 10s, max: 30s}", "factory: {hold: 40s, min: 10s, max: 30s}", "holds.factory: hold 40s is outside"},
		{"bad led", "factory_armed: blinking", "factory_armed: strobing", "led.factory_armed \"strobing\""},
		{"bad duration", "deadline: 90s", "deadline: ninety", "deadline"},
		{"partition past end", "{name: firmware, offset: 0x100000, size: 15MiB}", "{name: firmware, offset: 0x100000, size: 16MiB}", "ends past the 16MiB flash"},
		{"unknown firmware", "firmware: firmware\n", "firmware: rootfs\n", "unknown partition \"rootfs\""},
		{"no image format", "  image: {format: camrig}\n", "", "flash.image.format is required"},
		{"bad image format", "image: {format: camrig}", "image: {format: zip}", "flash.image.format \"zip\""},
		{"arch on camrig", "image: {format: camrig}", "image: {format: camrig, arch: arm}", "uImage header fields"},
		{"unknown arch", "image: {format: camrig}", "image: {format: uimage, arch: z80}", "flash.image.arch \"z80\""},
		{"nand without page", "kind: spi-nor", "kind: spi-nand", "flash.page_size"},
		{"erase_part on nor", "kind: spi-nor", "kind: spi-nor\n  erase_part: true", "flash.erase_part"},
		{"bad framing", "prompt: ", "framing: bash\n  prompt: ", "bootloader.framing \"bash\""},
		{"bad line clear", "prompt: ", "line_clear: \"x\"\n  prompt: ", "bootloader.line_clear"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			in := strings.Replace(string(base), c.from, c.to, 1)
			if in == string(base) {
				t.Fatalf("replacement %q did not apply", c.from)
			}
			_, err := profile.Parse("hik.yaml", []byte(in))
			if err == nil || !strings.Contains(err.Error(), c.want) || !strings.HasPrefix(err.Error(), "hik.yaml:") {
				t.Fatalf("err = %v, want %q", err, c.want)
			}
			// Every message must carry a line number.
			for _, line := range strings.Split(err.Error(), "\n") {
				if !strings.HasPrefix(line, "hik.yaml:") || strings.HasPrefix(line, "hik.yaml: ") {
					t.Errorf("no line in %q", line)
				}
			}
		})
	}
}

// A model that is never reflashed needs no flash section.
func TestNoFlashSection(t *testing.T) {
	base, err := os.ReadFile(filepath.Join(dir, "hikvision-ds2cd.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	s := string(base)
	i := strings.Index(s, "\nflash:")
	j := strings.Index(s, "\napi:")
	if i < 0 || j < i {
		t.Fatal("fixture layout changed")
	}
	p, err := profile.Parse("hik.yaml", []byte(s[:i]+s[j:]))
	if err != nil || p.Flash.Kind != "" {
		t.Fatalf("profile without flash: %v", err)
	}
}

func TestLoadModelRejectsPaths(t *testing.T) {
	for _, m := range []string{"../x", "a/b", ".hidden", ""} {
		if _, err := profile.LoadModel(dir, m); err == nil {
			t.Errorf("%q accepted", m)
		}
	}
}

func FuzzParse(f *testing.F) {
	for _, m := range []string{"blink", "hikvision-ds2cd"} {
		b, _ := os.ReadFile(filepath.Join(dir, m+".yaml"))
		f.Add(b)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		p, err := profile.Parse("p.yaml", data)
		if err == nil && p.Model == "" {
			t.Fatal("accepted a profile without a model")
		}
	})
}
