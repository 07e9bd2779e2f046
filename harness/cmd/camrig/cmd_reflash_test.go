package main

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/camrig/camrig/harness/clock"
	"github.com/camrig/camrig/harness/fwimage"
	"github.com/camrig/camrig/harness/power/powertest"
	"github.com/camrig/camrig/harness/procedure"
	"github.com/camrig/camrig/harness/rig"
	"github.com/camrig/camrig/harness/timeline"
	"github.com/camrig/camrig/harness/uboot/uboottest"
)

const reflashProfile = `model: fake-cam
boot: {deadline: 10s, ready_marker: "fake: system ready"}
bootloader: {banner: "U-Boot 2023.01-fake", autoboot: "Hit any key to stop autoboot", interrupt_key: "\x03", presses: 1, countdown: 1s, prompt: "=> "}
flash:
  kind: spi-nor
  size: 1MiB
  erase_size: 64KiB
  load_addr: 0x80000000
  firmware: firmware
  image: {format: %s}
  partitions:
    - {name: boot, offset: 0x0, size: 256KiB}
    - {name: firmware, offset: 0x40000, size: 768KiB}
`

const reflashRig = `rig: bench-test
profiles: profiles
units:
  - name: cam9
    profile: fake-cam
    console: {port: /dev/ttyUSB9, baud: 115200}
    power: {driver: qemu, port: unix:///nonexistent/qmp.sock}
`

// reflashFixture writes a rig file (its profile taking camrig images) and
// a camrig image, and swaps in a fake unit for the rig's drivers.
func reflashFixture(t *testing.T, imageSize int) (rigPath, imagePath string, img []byte, unit *uboottest.Unit, opened *bool) {
	return reflashFixtureFormat(t, "camrig", fwimage.Generate("fake-cam", "V9", imageSize, 1))
}

func reflashFixtureFormat(t *testing.T, format string, img []byte) (rigPath, imagePath string, _ []byte, unit *uboottest.Unit, opened *bool) {
	t.Helper()
	dir := t.TempDir()
	os.Mkdir(filepath.Join(dir, "profiles"), 0o755)
	must(t, os.WriteFile(filepath.Join(dir, "profiles", "fake-cam.yaml"), []byte(fmt.Sprintf(reflashProfile, format)), 0o644))
	rigPath = filepath.Join(dir, "rig.yaml")
	must(t, os.WriteFile(rigPath, []byte(reflashRig), 0o644))
	imagePath = filepath.Join(dir, "fw.bin")
	must(t, os.WriteFile(imagePath, img, 0o644))

	con, u := uboottest.New(t, uboottest.Config{RAMBase: 0x80000000, Ready: "fake: system ready", Countdown: 300 * time.Millisecond})
	must(t, con.SetBaud(115200))
	pw := &powertest.Fake{Name: "fake-relay#0", OnSet: u.SetPower}
	fakePower = pw
	opened = new(bool)
	old := openReflashTarget
	t.Cleanup(func() { openReflashTarget = old })
	openReflashTarget = func(ctx context.Context, rp, name string, log *slog.Logger) (*procedure.Unit, func(bool), error) {
		*opened = true
		if rp != rigPath || name != "cam9" {
			t.Errorf("opened %s %s", rp, name)
		}
		r, err := rig.Load(rp)
		if err != nil {
			return nil, nil, err
		}
		return &procedure.Unit{Name: name, Profile: r.Profile(name), Clock: clock.Real{}, Scale: 1,
				Timeline: timeline.New(name), Power: pw, Console: con, Log: log}, func(leavePowered bool) {
				// What rig.Unit.Close does: the safe state unless told to
				// leave the unit running.
				if !leavePowered {
					pw.Set(context.Background(), false)
				}
			}, nil
	}
	return rigPath, imagePath, img, u, opened
}

// fakePower is the last fixture's power line.
var fakePower *powertest.Fake

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

func TestReflashCommand(t *testing.T) {
	rigPath, imagePath, img, u, opened := reflashFixture(t, 6000)
	var out, errb bytes.Buffer
	code := runMain([]string{"reflash", "--rig", rigPath, "--unit", "cam9", "--image", imagePath}, &out, &errb)
	if code != exitOK {
		t.Fatalf("exit %d: %s", code, errb.String())
	}
	if !*opened {
		t.Fatal("target never opened")
	}
	got := out.String()
	for _, want := range []string{"enter bootloader...", "transfer [", "100%", "verify flash...", "reflashed cam9: 6000 bytes"} {
		if !strings.Contains(got, want) {
			t.Errorf("output lacks %q:\n%s", want, got)
		}
	}
	if strings.Contains(got, "\r") {
		t.Error("redrawing a bar on a non-terminal")
	}
	if !bytes.Equal(u.Flash()[0x40000:0x40000+len(img)], img) {
		t.Error("flash does not hold the image")
	}
	if on, _ := fakePower.Get(context.Background()); !on {
		t.Error("a successful reflash left the unit powered off")
	}
}

func TestReflashCommandRefusals(t *testing.T) {
	rigPath, imagePath, _, _, opened := reflashFixture(t, 768<<10+1)
	dir := filepath.Dir(imagePath)
	small := filepath.Join(dir, "small.bin")
	must(t, os.WriteFile(small, fwimage.Generate("fake-cam", "V9", 4096, 2), 0o644))
	wrongModel := filepath.Join(dir, "blink.bin")
	must(t, os.WriteFile(wrongModel, fwimage.Generate("blink", "V9", 4096, 2), 0o644))
	badCRC := fwimage.Generate("fake-cam", "V9", 4096, 2)
	badCRC[1000] ^= 1
	corrupt := filepath.Join(dir, "corrupt.bin")
	must(t, os.WriteFile(corrupt, badCRC, 0o644))
	fifo := filepath.Join(dir, "fifo.bin")
	must(t, syscall.Mkfifo(fifo, 0o600))
	for _, tc := range []struct {
		name string
		args []string
		code int
		out  string
	}{
		{"too big", []string{"--image", imagePath}, exitFailed, `refusing`},
		{"no image", nil, exitUsage, "--image is required"},
		{"unreadable image", []string{"--image", imagePath + ".missing"}, exitFailed, "no such file"},
		// Refused at once, not read until the flash is full (or forever).
		{"FIFO as image", []string{"--image", fifo, "--dry-run"}, exitFailed, "not a regular file (a named pipe (FIFO))"},
		{"/dev/zero as image", []string{"--image", "/dev/zero", "--dry-run"}, exitFailed, "not a regular file (a character device)"},
		{"dry run", []string{"--image", small, "--dry-run"}, exitOK, "sf write 0x80000000 0x40000 0x1000"},
		{"dry run names the image", []string{"--image", small, "--dry-run"}, exitOK, "camrig image for fake-cam, version V9"},
		{"dry run, wrong model", []string{"--image", wrongModel, "--dry-run"}, exitFailed, `built for model "blink"`},
		{"wrong model", []string{"--image", wrongModel}, exitFailed, `built for model "blink"`},
		{"corrupt", []string{"--image", corrupt}, exitFailed, "payload CRC mismatch"},
		{"dry run, corrupt", []string{"--image", corrupt, "--dry-run"}, exitFailed, "payload CRC mismatch"},
		{"wrong size", []string{"--image", small, "--size", "4095"}, exitFailed, "size mismatch"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var out, errb bytes.Buffer
			args := append([]string{"reflash", "--rig", rigPath, "--unit", "cam9"}, tc.args...)
			code := runMain(args, &out, &errb)
			if code != tc.code || !strings.Contains(out.String()+errb.String(), tc.out) {
				t.Fatalf("exit %d, out %q, err %q", code, out.String(), errb.String())
			}
			if *opened {
				t.Fatal("the unit was opened")
			}
		})
	}
}

// A uImage with a bad data CRC, for a bootloader that takes uImages, is
// refused before the unit is opened; a raw image needs --sha256 and must
// match it. The power line is never switched by a refusal.
func TestReflashCommandImageFormats(t *testing.T) {
	ui := fwimage.BuildUImage("arm", "firmware", "fw", 0, 0, make([]byte, 3000))
	ui[len(ui)-5] ^= 0x40
	raw := bytes.Repeat([]byte{0x5a}, 5000)
	sum := sha256.Sum256(raw)
	for _, tc := range []struct {
		name, format string
		img          []byte
		args         []string
		code         int
		out          string
	}{
		{"uImage bad data CRC", "uimage", ui, nil, exitFailed, "data CRC mismatch"},
		{"uImage bad data CRC, dry run", "uimage", ui, []string{"--dry-run"}, exitFailed, "data CRC mismatch"},
		{"raw without sha", "raw", raw, []string{"--dry-run"}, exitFailed, "--sha256"},
		{"raw wrong sha", "raw", raw, []string{"--sha256", strings.Repeat("ab", 32)}, exitFailed, "SHA-256 mismatch"},
		{"raw with sha, dry run", "raw", raw, []string{"--dry-run", "--sha256", hex.EncodeToString(sum[:])}, exitOK, "raw image, 5000 bytes"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			rigPath, imagePath, _, _, opened := reflashFixtureFormat(t, tc.format, tc.img)
			var out, errb bytes.Buffer
			args := append([]string{"reflash", "--rig", rigPath, "--unit", "cam9", "--image", imagePath}, tc.args...)
			code := runMain(args, &out, &errb)
			if code != tc.code || !strings.Contains(out.String()+errb.String(), tc.out) {
				t.Fatalf("exit %d, out %q, err %q", code, out.String(), errb.String())
			}
			if *opened || len(fakePower.Edges()) != 0 {
				t.Fatal("the unit was opened or its power switched")
			}
		})
	}
}

func TestProgressBarRender(t *testing.T) {
	now := time.Unix(100, 0)
	b := newProgressBar(&bytes.Buffer{}, func() time.Time { return now })
	b.update(procedure.ReflashProgress{Step: procedure.StepTransfer, Attempt: 1, Baud: 115200, Total: 20480})
	now = now.Add(2 * time.Second)
	got := b.render(procedure.ReflashProgress{Step: procedure.StepTransfer, Attempt: 1, Baud: 115200, Sent: 10240, Total: 20480})
	want := "transfer [===============>              ]  50% 10.0/20.0 KiB 5.0 KiB/s ETA 2s (attempt 1, 115200 bps)"
	if got != want {
		t.Errorf("render\n got %q\nwant %q", got, want)
	}
}
