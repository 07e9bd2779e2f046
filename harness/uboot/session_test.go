package uboot_test

import (
	"context"
	"errors"
	"hash/crc32"
	"strings"
	"testing"
	"time"

	"github.com/camrig/camrig/harness/console/consoletest"
	"github.com/camrig/camrig/harness/profile"
	"github.com/camrig/camrig/harness/secret"
	"github.com/camrig/camrig/harness/uboot"
	"github.com/camrig/camrig/harness/uboot/uboottest"
)

var fakeBL = profile.Bootloader{Banner: "U-Boot 2023.01-fake", Autoboot: "Hit any key to stop autoboot", InterruptKey: " ", Presses: 1, Countdown: time.Second, Prompt: "=> "}

func tctx(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	t.Cleanup(cancel)
	return ctx
}

// atPrompt powers a fake SPI NOR unit on and stops its autoboot: a
// session at the bootloader's prompt, the unit, and the test's context.
func atPrompt(t *testing.T) (*uboot.Session, *uboottest.Unit, context.Context) {
	t.Helper()
	con, u := uboottest.New(t, uboottest.Config{RAMBase: 0x80000000, Countdown: 5 * time.Second})
	s := uboot.New(con, fakeBL, uboot.WithCommandTimeout(2*time.Second))
	u.SetPower(true)
	ctx := tctx(t)
	if err := s.Interrupt(ctx); err != nil {
		t.Fatal(err)
	}
	return s, u, ctx
}

func TestSessionOnFakeSPINOR(t *testing.T) {
	s, u, ctx := atPrompt(t)
	img := []byte(strings.Repeat("camrig firmware ", 300)) // 4800 bytes: a short last block
	if _, err := s.LoadY(ctx, 0x80000000, 0, img, nil); err != nil {
		t.Fatal(err)
	}
	if sum, err := s.CRC32(ctx, 0x80000000, uint64(len(img))); err != nil || sum != crc32.ChecksumIEEE(img) {
		t.Fatalf("crc32 = %08x %v", sum, err)
	}
	info, err := s.SFProbe(ctx)
	if err != nil || info.Total != 1<<20 || info.EraseSize != 64<<10 {
		t.Fatalf("probe %+v %v", info, err)
	}
	if err := s.SFErase(ctx, 0x10000, 0x10000); err != nil {
		t.Fatal(err)
	}
	if err := s.SFWrite(ctx, 0x80000000, 0x10000, uint64(len(img))); err != nil {
		t.Fatal(err)
	}
	if err := s.SFRead(ctx, 0x80100000, 0x10000, uint64(len(img))); err != nil {
		t.Fatal(err)
	}
	if sum, _ := s.CRC32(ctx, 0x80100000, uint64(len(img))); sum != crc32.ChecksumIEEE(img) {
		t.Fatalf("read back crc %08x", sum)
	}
	if got := u.Flash()[0x10000 : 0x10000+len(img)]; string(got) != string(img) {
		t.Fatal("flash does not hold the image")
	}
	// An unaligned erase fails with the unit's words.
	err = s.SFErase(ctx, 0x100, 0x10000)
	var ce *uboot.CommandError
	if !errors.As(err, &ce) || ce.RC != 1 || !strings.Contains(err.Error(), "not multiple of erase size") {
		t.Fatalf("unaligned erase: %v", err)
	}
}

func TestLoadYSwitchesBaudAndBack(t *testing.T) {
	con, u := uboottest.New(t, uboottest.Config{RAMBase: 0x80000000, Countdown: 5 * time.Second})
	s := uboot.New(con, fakeBL, uboot.WithCommandTimeout(2*time.Second))
	if err := con.SetBaud(115200); err != nil {
		t.Fatal(err)
	}
	u.SetPower(true)
	ctx := tctx(t)
	if err := s.Interrupt(ctx); err != nil {
		t.Fatal(err)
	}
	img := make([]byte, 3000)
	var last int64
	if _, err := s.LoadY(ctx, 0x80000000, 921600, img, func(sent, total int64) { last = sent }); err != nil {
		t.Fatal(err)
	}
	if last != 3000 || con.Baud() != 115200 {
		t.Fatalf("progress %d, console left at %d bps", last, con.Baud())
	}
	if _, err := s.Run(ctx, "version"); err != nil {
		t.Fatalf("prompt not back after ESC: %v", err)
	}
}

func TestLoadYCancelledByUnit(t *testing.T) {
	s, u, ctx := atPrompt(t)
	u.CancelLoads = 1
	_, err := s.LoadY(ctx, 0x80000000, 0, make([]byte, 5000), nil)
	if err == nil || !strings.Contains(err.Error(), "transfer failed") {
		t.Fatalf("cancelled load: %v", err)
	}
	if _, err := s.Run(ctx, "version"); err != nil {
		t.Fatalf("session unusable after a cancelled load: %v", err)
	}
}

func TestInterruptAnswersPasswordOnce(t *testing.T) {
	bl := fakeBL
	bl.PasswordPrompt = "Password: "
	for _, tc := range []struct {
		name, password string
		wantErr        string
	}{
		{"right", "s3cret-pw", ""},
		{"wrong", "bad-guess", "password is wrong"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			con, dev := consoletest.New(t)
			dev.ReplyOnce(" ", "\r\nPassword: ")
			dev.ReplyOnce("s3cret-pw\r", "\r\n=> ")
			dev.ReplyOnce("bad-guess\r", "\r\nPassword: ")
			dev.Reply("echo __camrig_rc_1=$?\r", "echo __camrig_rc_1=$?\r\n__camrig_rc_1=0\r\n=> ")
			s := uboot.New(con, bl, uboot.WithPassword(secret.Literal(tc.password)))
			dev.Print("U-Boot 2023.01\r\nHit any key to stop autoboot:  1 ")
			err := s.Interrupt(tctx(t))
			if tc.wantErr == "" {
				if err != nil {
					t.Fatal(err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tc.wantErr) || strings.Contains(err.Error(), tc.password) {
				t.Fatalf("err = %v", err)
			}
		})
	}
}

func TestInterruptBrickedUnitAtPrompt(t *testing.T) {
	// A unit with nothing to boot prints its banner and stops at the prompt.
	con, dev := consoletest.New(t)
	dev.Reply("echo __camrig_rc_1=$?\r", "echo __camrig_rc_1=$?\r\n__camrig_rc_1=0\r\n=> ")
	dev.Print("U-Boot 2023.01\r\n## Bad image\r\n=> ")
	if err := uboot.New(con, fakeBL).Interrupt(tctx(t)); err != nil {
		t.Fatal(err)
	}
}

func TestInterruptSilentUnitTimesOut(t *testing.T) {
	con, _ := consoletest.New(t)
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	err := uboot.New(con, fakeBL).Interrupt(ctx)
	if err == nil || !strings.Contains(err.Error(), "waiting for the bootloader") {
		t.Fatalf("err = %v", err)
	}
}

// A unit that starts over mid-command (its power failed) never prints the
// command's end; its autoboot line ends the wait at once with
// ErrRestarted, not the command's whole deadline later. A command that
// ends as it should is not mistaken for one.
func TestRunForSeesTheUnitRestart(t *testing.T) {
	s, u, ctx := atPrompt(t)
	if _, err := s.Run(ctx, "version"); err != nil {
		t.Fatalf("a command that ends: %v", err)
	}
	// loady waits for a sender that never comes: a command still running
	// when the power fails.
	res := make(chan error, 1)
	start := time.Now()
	go func() {
		_, err := s.RunFor(ctx, time.Minute, "loady 0x80000000")
		res <- err
	}()
	if err := u.WaitRan(ctx, "loady"); err != nil {
		t.Fatal(err)
	}
	u.SetPower(false)
	u.SetPower(true)
	err := <-res
	var ce *uboot.CommandError
	if !errors.As(err, &ce) || !errors.Is(err, uboot.ErrRestarted) || ce.Cmd != "loady 0x80000000" || ce.RC != -1 {
		t.Fatalf("a command cut by a restart returned %v, want a CommandError with ErrRestarted", err)
	}
	if waited := time.Since(start); waited > 10*time.Second {
		t.Fatalf("the restart was seen after %v: the command's minute-long deadline was waited out", waited)
	}
	t.Log(err)
}
