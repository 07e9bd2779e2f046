// Package qemutest starts Debian's real U-Boot under QEMU for tests, or
// skips them, saying which package is missing.
package qemutest

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/camrig/camrig/rigs/virtual/qemusim"
)

// Start starts a paused (powered-off) QEMU running u-boot-qemu with a fresh
// pflash file, its serial and QMP on unix sockets in a short temp dir (unix
// socket paths are length-limited), all removed at the end of the test.
func Start(t testing.TB, ctx context.Context) *qemusim.Machine {
	t.Helper()
	if _, err := exec.LookPath(qemusim.DefaultBinary); err != nil {
		t.Skipf("skipping: %s not installed (Debian qemu-system-arm; `make deps`)", qemusim.DefaultBinary)
	}
	if _, err := os.Stat(qemusim.DefaultBIOS); err != nil {
		t.Skipf("skipping: %s missing (Debian u-boot-qemu; `make deps`)", qemusim.DefaultBIOS)
	}
	dir, err := os.MkdirTemp("", "cq")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	m, err := qemusim.Start(ctx, qemusim.Config{
		PFlash: filepath.Join(dir, "flash.img"),
		Serial: filepath.Join(dir, "uart.sock"),
		QMP:    filepath.Join(dir, "qmp.sock"),
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { m.Close() })
	return m
}
