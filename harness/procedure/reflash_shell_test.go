package procedure_test

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/camrig/camrig/harness/fwimage"
	"github.com/camrig/camrig/harness/procedure"
	"github.com/camrig/camrig/harness/uboot"
	"github.com/camrig/camrig/rigs/virtual/unit"
)

// A bootloader built without hush prints $? as typed. With the profile's
// framing left at hush the session never sees an exit status and says so
// at the prompt; with framing: simple the reflash completes.
func TestReflashThroughABootloaderWithoutHush(t *testing.T) {
	r, sim := brickedWith(t, ", hush: false")
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	u, target := openCam4(t, ctx, r)
	image := fwimage.Generate("no-button", "V3.0.0-nohush", 32<<10, 5)

	// The defect the framing option exists for.
	_, err := procedure.Reflash(ctx, target, image, procedure.ReflashOptions{CommandTimeout: time.Second})
	var re *procedure.ReflashError
	if !errors.As(err, &re) || re.Step != procedure.StepBootloader || !strings.Contains(err.Error(), `framing "hush"`) {
		t.Fatalf("hush framing on a bootloader without hush: %v", err)
	}
	// The error quotes the unit printing the marker with $? as typed.
	if !strings.Contains(err.Error(), `__camrig_rc_1=$?\r\n`) {
		t.Fatalf("the unit did not print $? literally: %v", err)
	}

	prof := *u.Profile
	prof.Bootloader.Framing = uboot.FramingSimple
	target.Profile = &prof
	res, err := procedure.Reflash(ctx, target, image, procedure.ReflashOptions{})
	if err != nil {
		t.Fatalf("reflash with simple framing: %v\n%s", err, tailOf(u.Console.Transcript().String(), 1500))
	}
	if res.Version != "V3.0.0-nohush" {
		t.Fatalf("result %+v", res)
	}
	upCtx, upCancel := context.WithTimeout(ctx, 5*time.Second)
	defer upCancel()
	if err := sim.Unit("cam4").WaitState(upCtx, unit.StateUp); err != nil {
		t.Fatalf("cam4 is %v after the reflash: %v", sim.Unit("cam4").State(), err)
	}
}

// staleFIFO is a console whose adapter still holds the tail of a command
// a killed run was typing: the bytes reach the unit right behind the first
// interrupt key, after autoboot has stopped, and wait in its line editor.
type staleFIFO struct {
	procedure.Console
	key, stale string
	mu         sync.Mutex
	left       int // injections still to make
}

func (s *staleFIFO) Write(p []byte) (int, error) {
	n, err := s.Console.Write(p)
	s.mu.Lock()
	inject := err == nil && s.left > 0 && string(p) == s.key
	if inject {
		s.left--
	}
	s.mu.Unlock()
	if inject {
		if _, err := s.Console.Write([]byte(s.stale)); err != nil {
			return n, err
		}
	}
	return n, err
}

// The rerun after a reflash cut while `cp.b` was being typed: 16 stale
// bytes sit in the unit's line. Without clearing the line, the first
// command fails ("Unknown command 'p.b'"); Interrupt clears it (the
// profile's line_clear, Ctrl+C by default) and the reflash completes,
// for either clear key.
func TestReflashRerunWithStaleBytesInTheUART(t *testing.T) {
	const stale = "p.b 0x80600000 0" // 16 bytes of "cp.b 0x80600000 0x80000 ..."
	r, sim := bricked(t)
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	u, target := openCam4(t, ctx, r)
	key := u.Profile.Bootloader.InterruptKey

	// The defect: the stale bytes prefix the first command.
	if err := u.Power.Set(ctx, true); err != nil {
		t.Fatal(err)
	}
	if err := sim.Unit("cam4").WaitState(ctx, unit.StateBricked); err != nil {
		t.Fatal(err)
	}
	s := uboot.New(u.Console, u.Profile.Bootloader, uboot.WithCommandTimeout(2*time.Second))
	if _, err := s.Run(ctx, ""); err != nil {
		t.Fatal(err)
	}
	if _, err := u.Console.Write([]byte(stale)); err != nil {
		t.Fatal(err)
	}
	_, err := s.Run(ctx, "crc32 0x80600000 0x10")
	if err == nil || !strings.Contains(err.Error(), "Unknown command 'p.b'") {
		t.Fatalf("a command behind stale bytes: %v", err)
	}

	for _, clear := range []string{"", "\x15"} {
		con := &staleFIFO{Console: u.Console, key: key, stale: stale, left: 1}
		tgt := *target
		tgt.Console = con
		prof := *u.Profile
		prof.Bootloader.LineClear = clear
		tgt.Profile = &prof
		image := fwimage.Generate("no-button", "V4.0.0-stale", 20<<10, int64(len(clear)))
		res, err := procedure.Reflash(ctx, &tgt, image, procedure.ReflashOptions{})
		if err != nil {
			t.Fatalf("line_clear %q: %v\n%s", clear, err, tailOf(u.Console.Transcript().String(), 1500))
		}
		if con.left != 0 || res.Version != "V4.0.0-stale" {
			t.Fatalf("line_clear %q: stale bytes injected: %v, result %+v", clear, con.left == 0, res)
		}
	}
}
