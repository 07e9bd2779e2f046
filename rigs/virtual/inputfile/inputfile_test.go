package inputfile

import (
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

func TestRead(t *testing.T) {
	dir := t.TempDir()
	fifo := filepath.Join(dir, "fifo")
	if err := syscall.Mkfifo(fifo, 0o600); err != nil {
		t.Fatal(err)
	}
	ok := filepath.Join(dir, "ok")
	os.WriteFile(ok, []byte("1234"), 0o644)
	for _, tt := range []struct {
		path, want string
	}{
		{fifo, "not a regular file"},
		{"/dev/zero", "not a regular file"},
		{dir, "not a regular file"},
		{ok, ""},
	} {
		done := make(chan error, 1)
		go func() { _, err := Read(tt.path, 4); done <- err }()
		select {
		case err := <-done:
			if (tt.want == "") != (err == nil) || (err != nil && !strings.Contains(err.Error(), tt.want)) {
				t.Errorf("Read(%s) = %v, want %q", tt.path, err, tt.want)
			}
		case <-time.After(10 * time.Second):
			t.Fatalf("Read(%s) blocked", tt.path)
		}
	}
	if _, err := Read(ok, 3); err == nil || !strings.Contains(err.Error(), "larger than the 3 bytes") {
		t.Fatalf("over the limit: %v", err)
	}
}
