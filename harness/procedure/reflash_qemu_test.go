package procedure_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"math/rand/v2"
	"strings"
	"testing"
	"time"

	"github.com/camrig/camrig/harness/clock"
	"github.com/camrig/camrig/harness/console"
	"github.com/camrig/camrig/harness/power"
	"github.com/camrig/camrig/harness/procedure"
	"github.com/camrig/camrig/harness/profile"
	"github.com/camrig/camrig/harness/timeline"
	"github.com/camrig/camrig/rigs/virtual/qemusim"
	"github.com/camrig/camrig/rigs/virtual/qemusim/qemutest"
)

// TestReflashRealUBootUnderQEMU is the end-to-end proof: a reflash
// through Debian's U-Boot (loady -> crc32 -> protect off/erase, then the
// image programmed word by word into the pflash bank -> read-back crc32 ->
// reset -> autoboot line), with power through QMP, then the pflash file on
// disk must hold the 256 KiB image byte for byte.
func TestReflashRealUBootUnderQEMU(t *testing.T) {
	prof, err := profile.Load("../../fixtures/profiles/qemu-arm-virt.yaml")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	m := qemutest.Start(t, ctx)
	con, err := console.Open(ctx, console.Config{Port: m.SerialPort(), Baud: 115200})
	if err != nil {
		t.Fatal(err)
	}
	defer func() {
		if t.Failed() {
			t.Logf("console transcript:\n%s", con.Transcript().String())
		}
		con.Close()
	}()
	sw, err := power.Open(ctx, power.Config{Driver: "qemu", Port: m.QMPPort()}, power.Deps{})
	if err != nil {
		t.Fatal(err)
	}
	tl := timeline.New("uboot1")
	target := &procedure.Unit{Name: "uboot1", Profile: prof, Clock: clock.Real{}, Scale: 1, Timeline: tl, Power: sw, Console: con}
	rng := rand.NewChaCha8([32]byte{7})

	// cp.b (U-Boot's buffered write) of 64 KiB: QEMU 7.2 takes only the
	// first 4 KiB of a sector. U-Boot then either reports a buffer write
	// timeout (the write step must fail with its words) or says "done"
	// (the read-back must catch it). A QEMU with the upstream fix flashes
	// it fine. Either way nothing is reset into.
	buffered := *prof
	buffered.Flash.Program = "buffer"
	target.Profile = &buffered
	big := make([]byte, 64<<10)
	rng.Read(big)
	_, err = procedure.Reflash(ctx, target, big, procedure.ReflashOptions{SHA256: sha256Hex(big)})
	var re *procedure.ReflashError
	switch {
	case err == nil:
		t.Logf("this QEMU programs whole sectors with cp.b (pflash block-write fix present)")
	case errors.As(err, &re) && re.Step == procedure.StepWrite:
		if !strings.Contains(err.Error(), "Timeout writing to Flash") {
			t.Errorf("the write error does not quote the unit: %v", err)
		}
		t.Logf("U-Boot noticed QEMU's dropped flash writes: %v", err)
	case errors.As(err, &re) && re.Step == procedure.StepVerifyFlash:
		if !strings.Contains(err.Error(), "contents differ after 4096 equal bytes") {
			t.Errorf("the verify error does not name the first bad byte: %v", err)
		}
		t.Logf("the read-back caught QEMU's dropped flash writes: %v", err)
	default:
		t.Fatalf("64 KiB by cp.b: %v", err)
	}

	// 256 KiB word by word (the profile's flash.program: words): the
	// rerun completes and the pflash file holds every byte.
	target.Profile = prof
	img := make([]byte, 256<<10)
	rng.Read(img)
	var steps []string
	res, err := procedure.Reflash(ctx, target, img, procedure.ReflashOptions{SHA256: sha256Hex(img), Progress: func(p procedure.ReflashProgress) {
		if len(steps) == 0 || steps[len(steps)-1] != p.Step {
			steps = append(steps, p.Step)
		}
	}})
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"check image", "enter bootloader", "transfer", "verify in RAM", "erase flash", "write flash", "verify flash", "boot"}
	if strings.Join(steps, ",") != strings.Join(want, ",") {
		t.Errorf("steps %v, want %v", steps, want)
	}
	if res.Attempts != 1 || res.Baud != 115200 || res.Plan.FlashAddr != 0x04040000 {
		t.Errorf("result %+v", res)
	}
	var spans []string
	for _, e := range tl.Events() {
		if e.Source == timeline.Step {
			spans = append(spans, e.Kind)
		}
	}
	if !strings.Contains(strings.Join(spans, ","), "reflash.verify flash,reflash.boot") {
		t.Errorf("timeline steps %v", spans)
	}
	if err := sw.Set(ctx, false); err != nil {
		t.Fatal(err)
	}
	checkPFlash(t, m, res.Plan.FlashAddr, img)
}

// checkPFlash stops QEMU and compares the pflash file with want.
func checkPFlash(t *testing.T, m *qemusim.Machine, addr uint64, want []byte) {
	t.Helper()
	if err := m.Close(); err != nil {
		t.Fatal(err)
	}
	got, err := qemusim.ReadPFlash(m.PFlash(), addr, len(want))
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, want) {
		i := 0
		for i < len(got) && got[i] == want[i] {
			i++
		}
		t.Fatalf("pflash file at %#x differs from the image from byte %d", addr, i)
	}
}

// sha256Hex is what a user passes as --sha256 for a raw image.
func sha256Hex(b []byte) string {
	s := sha256.Sum256(b)
	return hex.EncodeToString(s[:])
}
