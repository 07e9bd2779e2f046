package virtual

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/camrig/camrig/rigs/virtual/unit"
)

// TestUARTUnplugDuringBoot pulls cam1's console adapter 3s into its boot
// for 4s (device time): the harness's open port gets an error at once,
// the link is gone, and a new pty comes back behind the same link with the
// boot carried on; the line the unit printed in the gap (rcS, at 3.72s) is
// on neither adapter, and the unit's UART counts it lost.
func TestUARTUnplugDuringBoot(t *testing.T) {
	dir := stateDir(t)
	path := RelocatedRig(t, dir, 0)
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	data = bytes.Replace(data, []byte("\nsim:\n"), []byte("\nsim:\n  units: {cam1: {uart_unplug_during_boot: {after: 3s, for: 4s}}}\n"), 1)
	if err := os.WriteFile(path, data, 0o644); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	// 3s is 150ms here, 36ms before the rcS line and 200ms before the
	// replug: margins a loaded machine keeps.
	r, err := Start(ctx, path, WithStateDir(dir), WithTimescale(0.05))
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	if notes := strings.Join(r.Notes(), "\n"); !strings.Contains(notes, "cam1's console adapter is pulled 3s into its first boot") {
		t.Errorf("the notes do not announce the fault:\n%s", notes)
	}
	link := filepath.Join(dir, "cam1.uart")
	firstTTY := r.ConsoleSlave("cam1")
	cam1 := r.Unit("cam1")
	before := openTTY(t, link)
	cam1.SetPower(true)

	var first []byte
	buf := make([]byte, 4096)
	for {
		before.f.SetReadDeadline(time.Now().Add(10 * time.Second))
		n, err := before.f.Read(buf)
		first = append(first, buf[:n]...)
		if errors.Is(err, os.ErrDeadlineExceeded) {
			t.Fatalf("the pulled adapter's port stayed silent instead of failing; read %q", first)
		}
		if err != nil {
			break
		}
	}
	if !bytes.Contains(first, []byte("Linux version")) || bytes.Contains(first, []byte("app ready")) {
		t.Fatalf("before the unplug the harness read %q: want the boot up to the kernel, not its end", first)
	}
	if err := cam1.WaitState(ctx, unit.StateUp); err != nil {
		t.Fatal(err)
	}
	// The new adapter is plugged in before the last lines (8.72s, 11.72s);
	// its pty keeps what it got until the harness opens it.
	if target, err := os.Readlink(link); err != nil || target == firstTTY || target != r.ConsoleSlave("cam1") {
		t.Fatalf("after the replug %s -> %q (%v); first %s, now %s", link, target, err, firstTTY, r.ConsoleSlave("cam1"))
	}
	after := openTTY(t, link)
	after.expect(t, "blink: wifi associated\r\nblink: app ready\r\n")
	if lost := cam1.UART().Lost(); lost == 0 {
		t.Fatal("the UART lost nothing while unplugged")
	}
	if bytes.Contains(append(first, after.buf...), []byte("starting pid 374")) {
		t.Fatal("the line printed while unplugged reached the harness")
	}

	// Once only: the next boot keeps its adapter.
	lost := cam1.UART().Lost()
	cam1.SetPower(false)
	cam1.SetPower(true)
	after.expect(t, "blink: app ready\r\n")
	if cam1.UART().Lost() != lost {
		t.Fatal("a second boot lost console bytes too")
	}
}

func TestUARTUnplugRigFileErrors(t *testing.T) {
	base := "rig: r\nstate_dir: /tmp/x\nunits:\n  - name: cam1\n    profile: blink\n    console: {port: /tmp/x/cam1}\nsim:\n  units:\n    cam1:\n      uart_unplug_during_boot: "
	cases := []struct{ value, want string }{
		{"3s", `bad.yaml:10: uart_unplug_during_boot: want {after: <duration>, for: <duration>}`},
		{"{after: 3s}", `bad.yaml:10: uart_unplug_during_boot: for is missing`},
		{"{for: 3s}", `bad.yaml:10: uart_unplug_during_boot: after is missing`},
		{"{after: 3s, for: 0s}", `bad.yaml:10: uart_unplug_during_boot: for: "0s": want a positive duration`},
		{"{after: -1s, for: 2s}", `bad.yaml:10: uart_unplug_during_boot: after: "-1s": want a positive duration`},
		{"{after: soon, for: 2s}", `bad.yaml:10: uart_unplug_during_boot: after: "soon": want a positive duration`},
		{"{after: [3s], for: 2s}", `bad.yaml:10: uart_unplug_during_boot: after: "": want a positive duration`},
		{"{after: 3s, for: 2s, fro: 1s}", `bad.yaml:10: uart_unplug_during_boot: unknown key "fro" (known: after, for)`},
		{"{after: 3s, for: 2s, after: 1s}", `bad.yaml:10: uart_unplug_during_boot: after given twice`},
		{"\n        after: 3s\n        for: x\n", `bad.yaml:12: uart_unplug_during_boot: for: "x"`},
	}
	for _, tc := range cases {
		t.Run(tc.value, func(t *testing.T) {
			_, err := ParseRigFile("bad.yaml", []byte(base+tc.value+"\n"), "")
			var rfe *RigFileError
			if !errors.As(err, &rfe) || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("error %v, want a RigFileError containing %q", err, tc.want)
			}
		})
	}
	rf, err := ParseRigFile("good.yaml", []byte(base+"{after: 3s, for: 1500ms}\n"), "")
	if err != nil {
		t.Fatal(err)
	}
	if got := rf.Sim.Units["cam1"].UARTUnplug; got == nil || got.After != 3*time.Second || got.For != 1500*time.Millisecond {
		t.Fatalf("parsed %+v", got)
	}
}
