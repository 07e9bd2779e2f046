package main

import (
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// Every command that takes --rig refuses a FIFO or a device node at once
// with a rig-file error naming what the path is. Before, a FIFO hung every
// entry point (ignoring the first SIGTERM) and /dev/zero grew memory until
// the process was killed.
func TestRigThatIsNotAFileIsRefusedAtOnce(t *testing.T) {
	fifo := filepath.Join(t.TempDir(), "rig.yaml")
	if err := syscall.Mkfifo(fifo, 0o600); err != nil {
		t.Fatal(err)
	}
	commands := [][]string{
		{"power", "status", "--unit", "cam1"},
		{"press", "--unit", "cam1", "--hold", "1s"},
		{"led", "--unit", "cam1"},
		{"console", "--unit", "cam1"},
		{"camera", "status", "--unit", "cam1"},
		{"nvr", "channels"},
		{"reflash", "--unit", "cam1", "--image", "/nonexistent", "--dry-run"},
		{"sim"},
	}
	for _, path := range []struct{ path, what string }{{fifo, "named pipe"}, {"/dev/zero", "character device"}} {
		for _, cmd := range commands {
			args := append(append([]string{}, cmd...), "--rig", path.path)
			t.Run(strings.Join(args, " "), func(t *testing.T) {
				type result struct {
					code           int
					stdout, stderr string
				}
				done := make(chan result, 1)
				go func() {
					code, stdout, stderr := camrig(t, args...)
					done <- result{code, stdout, stderr}
				}()
				select {
				case r := <-done:
					if r.code != exitRigFile || !strings.Contains(r.stderr, "not a regular file") || !strings.Contains(r.stderr, path.what) {
						t.Fatalf("exit %d, want %d naming a %s\nstderr:\n%s", r.code, exitRigFile, path.what, r.stderr)
					}
				case <-time.After(20 * time.Second):
					t.Fatalf("camrig %s is still reading", strings.Join(args, " "))
				}
			})
		}
	}
}
