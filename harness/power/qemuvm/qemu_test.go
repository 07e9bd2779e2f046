package qemuvm_test

import (
	"bytes"
	"context"
	"net"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/camrig/camrig/rigs/virtual/qemusim/qemutest"

	"github.com/camrig/camrig/harness/clock"
	"github.com/camrig/camrig/harness/power"
	"github.com/camrig/camrig/harness/timeline"
)

func TestQEMUSwitchIsPowerForARealUBoot(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	m := qemutest.Start(t, ctx)

	sw, err := power.Open(ctx, power.Config{Driver: "qemu", Port: m.QMPPort()}, power.Deps{})
	if err != nil {
		t.Fatal(err)
	}
	if on, err := sw.Get(ctx); err != nil || on {
		t.Fatalf("a freshly started VM reads %v, %v; want off", on, err)
	}
	var d net.Dialer
	uart, err := d.DialContext(ctx, "unix", strings.TrimPrefix(m.SerialPort(), "unix://"))
	if err != nil {
		t.Fatal(err)
	}
	defer uart.Close()
	bootsSeen := func(within time.Duration) int {
		var got []byte
		buf := make([]byte, 4096)
		deadline := time.Now().Add(within)
		for !bytes.Contains(got, []byte("Hit any key to stop autoboot")) {
			uart.SetReadDeadline(deadline)
			n, err := uart.Read(buf)
			got = append(got, buf[:n]...)
			if err != nil {
				t.Fatalf("no boot: %v; got %q", err, got)
			}
		}
		uart.Write([]byte("\r")) // stop autoboot so the unit sits quietly
		return bytes.Count(got, []byte("U-Boot 2023.01"))
	}

	tl := timeline.New("qemu-unit")
	if err := power.Cycle(ctx, sw, 0, clock.Real{}, tl); err != nil {
		t.Fatal(err)
	}
	if n := bootsSeen(20 * time.Second); n != 1 {
		t.Fatalf("power-on printed %d banners, want 1", n)
	}
	if on, _ := sw.Get(ctx); !on {
		t.Fatal("reads off after power on")
	}
	// On while on is not a reboot.
	if err := sw.Set(ctx, true); err != nil {
		t.Fatal(err)
	}
	// A cycle is a cold boot: the banner again.
	if err := power.Cycle(ctx, sw, 0, clock.Real{}, tl); err != nil {
		t.Fatal(err)
	}
	if n := bootsSeen(20 * time.Second); n != 1 {
		t.Fatalf("cycle printed %d banners, want 1", n)
	}
	if err := sw.Set(ctx, false); err != nil {
		t.Fatal(err)
	}
	if on, _ := sw.Get(ctx); on {
		t.Fatal("reads on after power off")
	}
	kinds := []string{}
	for _, e := range tl.Events() {
		kinds = append(kinds, e.Kind)
	}
	if got := strings.Join(kinds, ","); got != "off,on,off,on" {
		t.Errorf("timeline edges %s", got)
	}
}

func TestQEMUSwitchNamesTheSocketWhenQEMUIsAbsent(t *testing.T) {
	dir := t.TempDir()
	sock := filepath.Join(dir, "qmp.sock")
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	_, err := power.Open(ctx, power.Config{Driver: "qemu", Port: "unix://" + sock}, power.Deps{})
	if err == nil || !strings.Contains(err.Error(), sock) {
		t.Fatalf("err = %v, want one naming %s", err, sock)
	}
	_, err = power.Open(ctx, power.Config{Driver: "qemu", URL: "tcp://192.0.2.1:4444"}, power.Deps{})
	if err == nil || !strings.Contains(err.Error(), "loopback") {
		t.Fatalf("err = %v, want a loopback-only refusal", err)
	}
}
