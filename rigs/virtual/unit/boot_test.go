package unit

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"math"
	"strings"
	"testing"
	"time"

	"github.com/camrig/camrig/rigs/virtual/device"
)

// expectedBoot renders what a unit prints for an uninterrupted boot.
func expectedBoot(p *Profile, s *Script) string {
	var b strings.Builder
	for _, st := range s.Steps {
		switch st.Directive {
		case "":
			b.WriteString(st.Text + "\r\n")
		case DirAutoboot:
			n := int(math.Ceil(p.Bootloader.Countdown.Seconds()))
			fmt.Fprintf(&b, "%s: %2d ", p.Bootloader.Autoboot, n)
			for n > 0 {
				n--
				fmt.Fprintf(&b, "\b\b\b%2d ", n)
			}
			b.WriteString("\r\n")
		}
	}
	return b.String()
}

func TestBootScriptPlaysAtPace(t *testing.T) {
	const baud, ts = 19200, 0.01
	h := newHarness(t, "blink", setup{timescale: ts, baud: baud})
	want := expectedBoot(h.Profile(), h.script)

	start := time.Now()
	h.SetPower(true)
	h.waitState(t, StateUp)
	h.con.expect(t, h.Profile().Boot.ReadyMarker+"\r\n")
	got := h.con.all()
	if string(got) != want {
		t.Fatalf("transcript\n got %q\nwant %q", got, want)
	}

	// Every line is due at the sum of the scaled delays before it (its
	// schedule from power-on), and cannot have left the UART before its
	// own bytes' line time after that, nor before the whole log up to it
	// at the line rate: both are lower bounds a real unit cannot beat.
	byteTime := time.Second * 10 / baud
	var due, minAt time.Duration
	off := 0
	for _, st := range h.script.Steps {
		var text string
		switch st.Directive {
		case "":
			due += h.Scale(st.Delay)
			text = st.Text + "\r\n"
		case DirAutoboot:
			due += h.Scale(h.Profile().Bootloader.Countdown)
			text = expectedBoot(h.Profile(), &Script{Steps: []Step{st}})
		default:
			continue
		}
		off += len(text)
		lineTime := time.Duration(len(text)) * byteTime
		minAt = max(minAt+lineTime, due+lineTime)
		if at := h.con.arrivedAt(off - 1).Sub(start); at < minAt {
			t.Errorf("byte %d (end of %q) arrived %v after power-on, want >= %v", off-1, strings.TrimSpace(text), at, minAt)
		}
	}
	if h.BootCount() != 1 {
		t.Errorf("BootCount = %d", h.BootCount())
	}
}

func TestPowerCutIsSilence(t *testing.T) {
	h := newHarness(t, "generic-poe-ipc", setup{timescale: 0.01, baud: 9600})
	h.SetPower(true)
	h.con.expect(t, "U-Boot 2016")
	h.SetPower(false)
	atCut := h.UART().Sent()
	if h.State() != StateOff || h.LED() {
		t.Fatalf("after the cut: state %v, LED %v", h.State(), h.LED())
	}
	// Anything still in flight was on the wire before the cut; nothing
	// may follow it.
	time.Sleep(100 * time.Millisecond) // a real UART would have sent ~96 more bytes by now
	if got := uint64(len(h.con.all())); got != atCut {
		t.Fatalf("console has %d bytes, %d were on the wire at the cut", got, atCut)
	}
	if atCut >= uint64(len(expectedBoot(h.Profile(), h.script))) {
		t.Fatal("the whole boot log was out before the cut; the test proves nothing")
	}
}

func TestInterruptKeyCountsPresses(t *testing.T) {
	cases := []struct {
		name  string
		model string
		keys  string
		want  State
	}{
		{"hikvision: one Ctrl+U stops", "hikvision-ds2cd", "\x15", StateShell},
		{"hikvision: another key does not", "hikvision-ds2cd", "x\r", StateUp},
		{"generic: three Ctrl+C stop", "generic-poe-ipc", "\x03\x03\x03", StateShell},
		{"generic: two Ctrl+C do not", "generic-poe-ipc", "\x03\x03", StateUp},
		{"blink: CR stops", "blink", "\r", StateShell},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			h := newHarness(t, tc.model, setup{fakeCountdown: true})
			h.SetPower(true)
			h.waitState(t, StateCountdown)
			h.con.expect(t, h.Profile().Bootloader.Autoboot)
			h.con.send(t, tc.keys)
			// Let the countdown read every key before its second ends.
			deadline := time.Now().Add(5 * time.Second)
			for (h.UART().Received() < uint64(len(tc.keys)) || h.UART().Buffered() > 0) && h.State() == StateCountdown {
				if time.Now().After(deadline) {
					t.Fatal("keys not consumed")
				}
				time.Sleep(100 * time.Microsecond)
			}
			h.tickUntil(t, StateShell, StateUp)
			if got := h.State(); got != tc.want {
				t.Fatalf("state %v, want %v", got, tc.want)
			}
			if tc.want == StateShell {
				h.con.expect(t, " 0 \r\n"+h.Profile().Bootloader.Prompt)
			}
		})
	}
}

func TestFirmwareCheckBricksAndBootRetries(t *testing.T) {
	h := newHarness(t, "hikvision-ds2cd", setup{fast: true})
	bad := true
	h.SetFirmwareCheck(func() (string, error) {
		if bad {
			return "", errors.New("CRC mismatch in firmware partition")
		}
		return "V5.5.71", nil
	})
	h.SetPower(true)
	h.waitState(t, StateBricked)
	h.con.expect(t, "Bad firmware image: CRC mismatch in firmware partition\r\nERROR: can't get kernel image!\r\nHKVS # ")
	h.SetFirmwareCheck(func() (string, error) { return "V5.5.71", nil })
	bad = false
	h.con.send(t, "boot\r")
	h.con.expect(t, "Image Name:   firmware V5.5.71")
	h.waitState(t, StateUp)
}

func TestServicesRunWhileUp(t *testing.T) {
	h := newHarness(t, "blink", setup{fast: true})
	started := make(chan context.Context, 10)
	h.AddService(func(ctx context.Context, host device.Host) error {
		if host.Name() != "cam-test" || host.Model() != "blink" {
			t.Errorf("host %s/%s", host.Name(), host.Model())
		}
		started <- ctx
		<-ctx.Done()
		return nil
	})
	next := func() context.Context {
		t.Helper()
		select {
		case ctx := <-started:
			return ctx
		case <-time.After(10 * time.Second):
			t.Fatal("service did not start")
			return nil
		}
	}
	stopped := func(ctx context.Context, why string) {
		t.Helper()
		select {
		case <-ctx.Done():
		case <-time.After(10 * time.Second):
			t.Fatalf("service context not cancelled by %s", why)
		}
	}
	h.SetPower(true)
	ctx := next()
	if h.State() != StateUp {
		t.Fatalf("service started in state %v", h.State())
	}
	h.SetPower(false)
	stopped(ctx, "power loss")

	h.SetPower(true)
	ctx = next()
	h.Reboot("test")
	stopped(ctx, "reboot")
	h.con.expect(t, "rebooting (test)\r\n")
	ctx = next()
	h.FactoryReset(true)
	stopped(ctx, "factory reset")
	next()
	if n := h.BootCount(); n != 4 {
		t.Fatalf("BootCount %d, want 4", n)
	}
}

func TestRecoveryAfterACutDuringAWrite(t *testing.T) {
	h := newHarness(t, "hikvision-ds2cd", setup{fast: true})
	markers := h.Profile().Boot.RecoveryMarkers
	h.SetPower(true)
	h.waitState(t, StateUp)
	if err := h.WriteConfig("kept", "1", 0); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- h.WriteConfig("lost", "1", time.Minute) }()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := h.fake.WaitPending(ctx, 1); err != nil { // the write is under way
		t.Fatal(err)
	}
	if !h.Config().Writing() {
		t.Fatal("store not writing during WriteConfig")
	}
	h.SetPower(false)
	if err := <-done; !errors.Is(err, ErrInterrupted) {
		t.Fatalf("write cut by power loss returned %v", err)
	}
	h.con.expect(t, h.Profile().Boot.ReadyMarker)

	h.SetPower(true)
	h.waitState(t, StateUp)
	boot2 := h.con.expect(t, h.Profile().Boot.ReadyMarker)
	for _, m := range markers {
		if !strings.Contains(boot2, m+"\r\n") {
			t.Errorf("boot after the cut lacks recovery line %q:\n%s", m, boot2)
		}
	}
	if _, ok := h.Config().Get("lost"); ok {
		t.Error("the interrupted write's value is in the store")
	}
	if v, _ := h.Config().Get("kept"); v != "1" {
		t.Error("an earlier write was lost")
	}

	h.SetPower(false)
	h.SetPower(true)
	h.waitState(t, StateUp)
	boot3 := h.con.expect(t, h.Profile().Boot.ReadyMarker)
	if strings.Contains(boot3, markers[0]) {
		t.Errorf("recovery lines again on a clean boot:\n%s", boot3)
	}
}

func TestSaveenvCutShowsRecovery(t *testing.T) {
	h := newHarness(t, "blink", setup{fakeCountdown: true})
	h.SetPower(true)
	h.waitState(t, StateCountdown)
	h.con.send(t, "\r")
	h.waitState(t, StateShell)
	h.con.expect(t, "isvp_t31# ")
	h.con.send(t, "setenv bootargs quiet\rsaveenv\r")
	h.con.expect(t, "Saving Environment to SPI Flash... ")
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := h.fake.WaitPending(ctx, 1); err != nil {
		t.Fatal(err)
	}
	h.SetPower(false)
	h.SetPower(true)
	h.tickUntil(t, StateUp)
	boot2 := h.con.expect(t, "blink: app ready")
	if !strings.Contains(boot2, "jffs2: Empty flash at\r\n") {
		t.Fatalf("no recovery line after a cut saveenv:\n%q", boot2)
	}
	if _, ok := h.Config().Get(EnvPrefix + "bootargs"); ok {
		t.Fatal("the cut saveenv was stored")
	}
}

func TestKeysSentBeforeTheCountdownCount(t *testing.T) {
	// At timescale 0.01 the hikvision countdown is 10 ms; a harness that
	// sends Ctrl+U as soon as it sees the banner still gets the prompt.
	h := newHarness(t, "hikvision-ds2cd", setup{timescale: 0.01})
	h.SetPower(true)
	h.con.expect(t, "U-Boot 1.3.4")
	h.con.send(t, "\x15")
	h.waitState(t, StateShell, StateUp)
	if h.State() != StateShell {
		t.Fatalf("state %v, want shell", h.State())
	}
	if !bytes.Contains(h.con.all(), []byte("HKVS # ")) {
		h.con.expect(t, "HKVS # ")
	}
}

// TestOnBootRunsPerBootAndEndsWithIt: a boot hook starts with every boot
// (power-on and restart) and its context ends with that boot, so a fault
// timed from a boot can never act in a later one.
func TestOnBootRunsPerBootAndEndsWithIt(t *testing.T) {
	h := newHarness(t, "blink", setup{fast: true})
	started := make(chan context.Context, 10)
	h.OnBoot(func(ctx context.Context) {
		started <- ctx
		<-ctx.Done()
	})
	next := func(why string) context.Context {
		t.Helper()
		select {
		case ctx := <-started:
			return ctx
		case <-time.After(10 * time.Second):
			t.Fatalf("no boot hook at %s", why)
			return nil
		}
	}
	ended := func(ctx context.Context, why string) {
		t.Helper()
		select {
		case <-ctx.Done():
		case <-time.After(10 * time.Second):
			t.Fatalf("the boot hook's context outlived %s", why)
		}
	}
	h.SetPower(true)
	ctx := next("power-on")
	h.waitState(t, StateUp)
	if ctx.Err() != nil {
		t.Fatal("the hook's context ended when the unit came up; it is the boot's until power goes or it restarts")
	}
	h.Reboot("test")
	ended(ctx, "a restart")
	ctx = next("the restart")
	h.SetPower(false)
	ended(ctx, "a power cut")
	select {
	case <-started:
		t.Fatal("a boot hook ran with power off")
	default:
	}
}
