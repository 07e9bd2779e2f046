package procedure_test

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/camrig/camrig/harness/clock"
	"github.com/camrig/camrig/harness/fwimage"
	"github.com/camrig/camrig/harness/power/powertest"
	"github.com/camrig/camrig/harness/procedure"
	"github.com/camrig/camrig/harness/profile"
	"github.com/camrig/camrig/harness/timeline"
	"github.com/camrig/camrig/harness/uboot/uboottest"
)

const (
	ramBase  = 0x80000000
	fwOffset = 0x40000
)

func fakeProfile(kind string) *profile.Profile {
	return &profile.Profile{
		Model: "fake-cam",
		Boot:  profile.Boot{Deadline: 10 * time.Second, ReadyMarker: "fake: system ready"},
		Bootloader: profile.Bootloader{Banner: "U-Boot 2023.01-fake", Autoboot: "Hit any key to stop autoboot",
			InterruptKey: "\x03", Presses: 1, Countdown: time.Second, Prompt: "=> "},
		Flash: profile.Flash{Kind: kind, Size: 1 << 20, EraseSize: 64 << 10, LoadAddr: ramBase, Firmware: "firmware",
			Image: profile.Image{Format: "camrig"},
			Partitions: []profile.Partition{
				{Name: "boot", Offset: 0, Size: 256 << 10},
				{Name: "firmware", Offset: fwOffset, Size: 768 << 10},
			}},
	}
}

// rig is a fake unit on a fake power line.
type fakeRig struct {
	unit   *uboottest.Unit
	power  *powertest.Fake
	target *procedure.Unit
}

func newFakeRig(t *testing.T, kind string, image []byte, cfg uboottest.Config) *fakeRig {
	t.Helper()
	cfg.Flash, cfg.RAMBase, cfg.Ready = kind, ramBase, "fake: system ready"
	if cfg.Countdown == 0 {
		cfg.Countdown = 300 * time.Millisecond
	}
	// The unit boots only an intact image, like the virtual rig's units.
	cfg.Boot = func(flash []byte) bool { return bytes.Equal(flash[fwOffset:fwOffset+len(image)], image) }
	con, u := uboottest.New(t, cfg)
	if err := con.SetBaud(115200); err != nil {
		t.Fatal(err)
	}
	pw := &powertest.Fake{Name: "fake-relay#0", OnSet: u.SetPower}
	return &fakeRig{unit: u, power: pw, target: &procedure.Unit{
		Name: "cam9", Profile: fakeProfile(kind), Clock: clock.Real{}, Scale: 1,
		Timeline: timeline.New("cam9"), Power: pw, Console: con, Log: slog.New(slog.DiscardHandler),
	}}
}

// image is an n-byte camrig image for the fake profile's model.
func image(n int) []byte { return fwimage.Generate("fake-cam", "V1.2.3", n, int64(n)) }

func ctx(t *testing.T) context.Context {
	c, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	t.Cleanup(cancel)
	return c
}

var fast = procedure.ReflashOptions{CommandTimeout: 500 * time.Millisecond}

func TestReflashSPINOR(t *testing.T) {
	img := image(10000)
	r := newFakeRig(t, "spi-nor", img, uboottest.Config{})
	var seen int64
	opts := fast
	opts.Progress = func(p procedure.ReflashProgress) { seen = max(seen, p.Sent) }
	res, err := procedure.Reflash(ctx(t), r.target, img, opts)
	if err != nil {
		t.Fatal(err)
	}
	if res.Version != "V1.2.3" || res.Attempts != 1 || seen != int64(len(img)) {
		t.Errorf("result %+v, progress %d", res, seen)
	}
	if got := r.unit.Flash()[fwOffset : fwOffset+len(img)]; !bytes.Equal(got, img) {
		t.Fatal("flash does not hold the image")
	}
	// Never erase before the RAM check, never reset before the flash check.
	order := strings.Join(r.unit.History(), " | ")
	for _, pair := range [][2]string{{"crc32 0x80000000", "sf erase"}, {"sf erase", "sf write"}, {"sf read", "reset"}} {
		if i, j := strings.Index(order, pair[0]), strings.Index(order, pair[1]); i < 0 || j < 0 || i > j {
			t.Errorf("%q must run before %q: %s", pair[0], pair[1], order)
		}
	}
}

func TestReflashRetriesTheTransferNotTheErase(t *testing.T) {
	img := image(5000)
	r := newFakeRig(t, "spi-nor", img, uboottest.Config{})
	r.unit.CorruptLoads = 1 // the first load lands with a flipped byte
	r.unit.CancelLoads = 1  // ... after the unit cancelled one
	res, err := procedure.Reflash(ctx(t), r.target, img, fast)
	if err != nil {
		t.Fatal(err)
	}
	if res.Attempts != 3 {
		t.Errorf("attempts %d, want 3 (cancelled, corrupt, good)", res.Attempts)
	}
	if n := r.unit.Ran("sf erase"); n != 1 {
		t.Errorf("erased %d times, want once", n)
	}
}

func TestReflashNeverErasesWhenRAMCheckKeepsFailing(t *testing.T) {
	img := image(5000)
	r := newFakeRig(t, "spi-nor", img, uboottest.Config{})
	old := bytes.Repeat([]byte{0x5a}, len(img))
	r.unit.SetFlash(fwOffset, old)
	r.unit.CorruptLoads = 100
	_, err := procedure.Reflash(ctx(t), r.target, img, fast)
	var re *procedure.ReflashError
	if !errors.As(err, &re) || re.Step != procedure.StepVerifyRAM || !strings.Contains(err.Error(), "flash untouched") {
		t.Fatalf("err = %v", err)
	}
	if r.unit.Ran("sf erase")+r.unit.Ran("sf write") != 0 {
		t.Fatalf("flash touched: %v", r.unit.History())
	}
	if !bytes.Equal(r.unit.Flash()[fwOffset:fwOffset+len(img)], old) {
		t.Fatal("old firmware lost")
	}
}

func TestReflashFallsBackToASlowerBaud(t *testing.T) {
	img := image(3000)
	r := newFakeRig(t, "spi-nor", img, uboottest.Config{MaxBaud: 115200})
	opts := fast
	opts.Bauds = []int{460800, 921600}
	res, err := procedure.Reflash(ctx(t), r.target, img, opts)
	if err != nil {
		t.Fatal(err)
	}
	// 921600 hangs the unit, 460800 too; each costs a power cycle.
	if res.Baud != 115200 || res.Attempts != 3 {
		t.Errorf("result %+v", res)
	}
	if edges := r.power.Edges(); len(edges) != 6 {
		t.Errorf("power edges %v, want three cycles", edges)
	}
}

func TestReflashPowerCutMidWriteThenRerun(t *testing.T) {
	img := image(20000)
	r := newFakeRig(t, "spi-nor", img, uboottest.Config{})
	r.unit.CutOnWrite = true
	_, err := procedure.Reflash(ctx(t), r.target, img, fast)
	var re *procedure.ReflashError
	if !errors.As(err, &re) || re.Step != procedure.StepWrite {
		t.Fatalf("err = %v, want a write-step failure", err)
	}
	// The half-written unit stops in its bootloader; a rerun completes.
	if _, err := procedure.Reflash(ctx(t), r.target, img, fast); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(r.unit.Flash()[fwOffset:fwOffset+len(img)], img) {
		t.Fatal("rerun did not leave the image in flash")
	}
}

func TestReflashCFINOR(t *testing.T) {
	img := image(70000) // spans two erase blocks
	r := newFakeRig(t, "cfi-nor", img, uboottest.Config{FlashBase: 0x08000000, Protected: 16})
	opts := fast
	opts.FlashBase = 0x08000000
	res, err := procedure.Reflash(ctx(t), r.target, img, opts)
	if err != nil {
		t.Fatal(err)
	}
	if res.Plan.FlashAddr != 0x08000000+fwOffset || res.Plan.EraseLen != 128<<10 {
		t.Errorf("plan %+v", res.Plan)
	}
	if !bytes.Equal(r.unit.Flash()[fwOffset:fwOffset+len(img)], img) {
		t.Fatal("flash does not hold the image")
	}
	if r.unit.Ran("protect off") != 1 {
		t.Errorf("history %v", r.unit.History())
	}
}

// eMMC: mmc write of whole 512-byte blocks, mmc read back, CRC over the
// image's bytes.
func TestReflashEMMC(t *testing.T) {
	img := image(3000) // not a whole number of blocks
	r := newFakeRig(t, "mmc", img, uboottest.Config{})
	res, err := procedure.Reflash(ctx(t), r.target, img, fast)
	if err != nil {
		t.Fatal(err)
	}
	if res.Plan.FlashAddr != fwOffset/512 {
		t.Errorf("plan %+v", res.Plan)
	}
	if !bytes.Equal(r.unit.Flash()[fwOffset:fwOffset+len(img)], img) {
		t.Fatal("the eMMC does not hold the image")
	}
	order := strings.Join(r.unit.History(), " | ")
	for _, pair := range [][2]string{{"crc32 0x80000000", "mmc write"}, {"mmc write", "mmc read"}, {"mmc read", "reset"}} {
		if i, j := strings.Index(order, pair[0]), strings.Index(order, pair[1]); i < 0 || j < 0 || i > j {
			t.Errorf("%q must run before %q: %s", pair[0], pair[1], order)
		}
	}
}

func TestReflashRefusesBeforeTouchingTheUnit(t *testing.T) {
	for _, tc := range []struct {
		name string
		img  []byte
		want string
	}{
		{"too big", image(768<<10 + 1), "partition \"firmware\" of fake-cam holds 786432"},
		{"empty", nil, "empty"},
		{"wrong model", fwimage.Generate("other-cam", "V1", 300, 1), `built for model "other-cam"`},
		{"corrupt", corrupt(image(300)), "payload CRC mismatch"},
		{"uImage for a camrig bootloader", fwimage.BuildUImage("arm", "firmware", "x", 0, 0, []byte("k")), "is a uimage image"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := newFakeRig(t, "spi-nor", image(200), uboottest.Config{})
			opts := fast
			_, err := procedure.Reflash(ctx(t), r.target, tc.img, opts)
			var re *procedure.ReflashError
			if !errors.As(err, &re) || re.Step != procedure.StepCheckImage || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("err = %v", err)
			}
			if len(r.power.Edges()) != 0 {
				t.Fatal("power touched for a refused image")
			}
		})
	}
}

func corrupt(b []byte) []byte { b[len(b)-1] ^= 0xFF; return b }

func TestPlanReflashCommands(t *testing.T) {
	for _, tc := range []struct {
		kind string
		want []string
	}{
		{"spi-nor", []string{"sf probe 0", "sf erase 0x40000 0x10000", "sf write 0x80000000 0x40000 0x1000", "sf read 0x80100000 0x40000 0x1000", "crc32 0x80100000 0x1000"}},
		{"cfi-nor", []string{"protect off 0x40000 +0x10000", "erase 0x40000 +0x10000", "cp.b 0x80000000 0x40000 0x1000", "crc32 0x40000 0x1000"}},
		{"mmc", []string{"mmc write 0x80000000 0x200 0x8", "mmc read 0x80100000 0x200 0x8", "crc32 0x80100000 0x1000"}},
		{"spi-nand", []string{"nand erase 0x40000 0xc0000", "nand write 0x80000000 0x40000 0x1000", "nand read 0x80100000 0x40000 0x1000", "crc32 0x80100000 0x1000"}},
	} {
		prof := fakeProfile(tc.kind)
		prof.Flash.PageSize = 2048
		pl, err := procedure.PlanReflash(prof, 4096, procedure.ReflashOptions{})
		if err != nil {
			t.Fatal(err)
		}
		if strings.Join(pl.Commands, "\n") != strings.Join(tc.want, "\n") {
			t.Errorf("%s plan:\n%s\nwant:\n%s", tc.kind, strings.Join(pl.Commands, "\n"), strings.Join(tc.want, "\n"))
		}
	}
}

// With erase_part (the bootloader has mtdparts) a NAND plan names the
// partition, so U-Boot bounds its bad-block skipping to it.
func TestPlanReflashNANDByPartition(t *testing.T) {
	p := fakeProfile("nand")
	p.Flash.PageSize, p.Flash.ErasePart = 2048, true
	pl, err := procedure.PlanReflash(p, 4096, procedure.ReflashOptions{})
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"nand erase.part firmware", "nand write 0x80000000 firmware 0x1000", "nand read 0x80100000 firmware 0x1000", "crc32 0x80100000 0x1000"}
	if strings.Join(pl.Commands, "\n") != strings.Join(want, "\n") {
		t.Fatalf("plan:\n%s", strings.Join(pl.Commands, "\n"))
	}
}
