package profile_test

import (
	"os"
	"path/filepath"
	"regexp"
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
		{"words on spi-nor", "kind: spi-nor", "kind: spi-nor\n  program: words", "flash.program: words is for cfi-nor"},
		{"bad program", "kind: spi-nor", "kind: spi-nor\n  program: fast", "flash.program \"fast\""},
		{"bad framing", "prompt: ", "framing: bash\n  prompt: ", "bootloader.framing \"bash\""},
		{"bad line clear", "prompt: ", "line_clear: \"x\"\n  prompt: ", "bootloader.line_clear"},
		{"disable unknown failure marker", "deadline: 90s", "deadline: 90s\n  failure_markers: {disable: [kernel-oops]}", "no default marker \"kernel-oops\""},
		{"failure marker without pattern", "deadline: 90s", "deadline: 90s\n  failure_markers:\n    add: [{name: isp}]", "marker \"isp\" needs exactly one of text and regex"},
		{"failure marker with both", "deadline: 90s", "deadline: 90s\n  failure_markers:\n    add: [{name: isp, text: a, regex: b}]", "exactly one of text and regex"},
		{"failure marker bad regex", "deadline: 90s", "deadline: 90s\n  failure_markers:\n    add: [{name: isp, regex: \"isp(\"}]", "marker \"isp\": error parsing regexp"},
		{"failure marker matching nothing", "deadline: 90s", "deadline: 90s\n  failure_markers:\n    add: [{name: isp, regex: \"x*\"}]", "matches an empty line"},
		{"failure marker twice", "deadline: 90s", "deadline: 90s\n  failure_markers:\n    add: [{name: a, text: x}, {name: a, text: y}]", "marker \"a\" given twice"},
		{"negative reaction", "release_on_led: true", "release_on_led: true\n  reaction: -1s", "holds.reaction -1s: want a positive time"},
		{"reaction past the boot", "release_on_led: true", "release_on_led: true\n  reaction: 90s", "shorter than boot.deadline 1m30s"},
		{"failure marker unnamed", "deadline: 90s", "deadline: 90s\n  failure_markers:\n    add: [{text: x}]", "a marker needs a name"},
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

func TestFailureMarkersDefaultsAndOverrides(t *testing.T) {
	base, err := os.ReadFile(filepath.Join(dir, "hikvision-ds2cd.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	names := func(p *profile.Profile) string {
		var n []string
		for _, m := range p.FailureMarkers() {
			n = append(n, m.Name)
		}
		return strings.Join(n, ",")
	}
	load := func(t *testing.T, markers string) *profile.Profile {
		t.Helper()
		in := strings.Replace(string(base), "deadline: 90s", "deadline: 90s\n  failure_markers:\n"+markers, 1)
		p, err := profile.Parse("hik.yaml", []byte(in))
		if err != nil {
			t.Fatal(err)
		}
		return p
	}
	p, err := profile.Parse("hik.yaml", base)
	if err != nil {
		t.Fatal(err)
	}
	if got := names(p); got != "kernel-panic,bad-image,ubifs-error,jffs2-error,squashfs-error,watchdog-reset,bootloader-prompt" {
		t.Fatalf("default set: %s", got)
	}
	if m := p.FailureMarkers()[6]; m.Text != p.Bootloader.Prompt {
		t.Fatalf("the bootloader-prompt marker is %+v, want the profile's prompt %q", m, p.Bootloader.Prompt)
	}
	p = load(t, "    disable: [watchdog-reset, bootloader-prompt]\n    add:\n      - {name: isp-fault, text: \"ISP fault\"}\n      - {name: kernel-panic, regex: \"panic!\"}\n")
	if got := names(p); got != "kernel-panic,bad-image,ubifs-error,jffs2-error,squashfs-error,isp-fault" {
		t.Fatalf("adjusted set: %s", got)
	}
	if m := p.FailureMarkers()[0]; m.Regex != "panic!" || m.Text != "" {
		t.Fatalf("an added marker named like a default replaces it: %+v", m)
	}
	if got := names(load(t, "    no_defaults: true\n    add: [{name: own, text: x}]\n")); got != "own" {
		t.Fatalf("no_defaults: %s", got)
	}
}

// TestDefaultFailureMarkersSeeFailuresNotHealthyBoots: each default marker
// matches the message it exists for, and none matches a line of the
// shipped boot logs or their recovery markers (which healthy units print).
func TestDefaultFailureMarkersSeeFailuresNotHealthyBoots(t *testing.T) {
	failing := map[string][]string{
		"kernel-panic":   {"[    2.104000] Kernel panic - not syncing: VFS: Unable to mount root fs on unknown-block(31,3)"},
		"bad-image":      {"   Verifying Checksum ... Bad Data CRC", "Bad Magic Number", "Wrong Image Format for bootm command", "ERROR: can't get kernel image!"},
		"ubifs-error":    {"UBIFS error (ubi0:0 pid 1): ubifs_read_node: bad node type (255 but expected 9)", "ubi0 error: ubi_io_read: error -74 (ECC error) while reading 4096 bytes"},
		"jffs2-error":    {"jffs2: Error garbage collecting node at 0x00123400!", "jffs2: error: (1) jffs2_do_read_inode_internal: CRC failed"},
		"squashfs-error": {"SQUASHFS error: zlib_inflate error, data probably corrupt"},
		"watchdog-reset": {"Reset cause: WDOG", "reset reason: watchdog", "U-Boot: last reset by watchdog"},
	}
	healthy := []string{"softdog: initialized. soft_noboot=0 soft_margin=60 sec", "hi_wdt: watchdog timeout set to 60 s",
		"*** Warning - bad CRC, using default environment",
		"UBIFS (ubi0:0): recovery needed", "UBIFS (ubi0:0): recovery completed", "jffs2: Empty flash at 0x00f80000 ends at 0x00f90000",
		"EXT4-fs (mmcblk0p1): recovery complete", "   Verifying Checksum ... OK"}
	logs, err := filepath.Glob(filepath.Join(dir, "..", "boot", "*.log"))
	if err != nil || len(logs) == 0 {
		t.Fatalf("boot logs: %v %v", logs, err)
	}
	for _, l := range logs {
		data, err := os.ReadFile(l)
		if err != nil {
			t.Fatal(err)
		}
		healthy = append(healthy, strings.Split(string(data), "\n")...)
	}
	for _, m := range profile.DefaultFailureMarkers {
		match := func(line string) bool {
			if m.Text != "" {
				return strings.Contains(line, m.Text)
			}
			return regexp.MustCompile(m.Regex).MatchString(line)
		}
		if len(failing[m.Name]) == 0 {
			t.Errorf("%s: no failing line to test it with", m.Name)
		}
		for _, line := range failing[m.Name] {
			if !match(line) {
				t.Errorf("%s misses %q", m.Name, line)
			}
		}
		for _, line := range healthy {
			if match(line) {
				t.Errorf("%s fires on a healthy line %q", m.Name, line)
			}
		}
	}
}
