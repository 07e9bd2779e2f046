package inputfile

import (
	"errors"
	"net"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// Every kind of path a user could pass as --rig that is not a plain file is
// refused before a byte is read, without blocking: a FIFO with no writer
// (os.ReadFile would wait forever), /dev/zero (endless), a directory, a
// socket. A regular file over the limit is refused too, and one at the
// limit is read whole.
func TestRead(t *testing.T) {
	dir := t.TempDir()
	fifo := filepath.Join(dir, "fifo")
	if err := syscall.Mkfifo(fifo, 0o600); err != nil {
		t.Fatal(err)
	}
	sock := filepath.Join(dir, "sock")
	ln, err := net.Listen("unix", sock)
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	exact := filepath.Join(dir, "exact")
	os.WriteFile(exact, []byte(strings.Repeat("x", 64)), 0o644)
	big := filepath.Join(dir, "big")
	os.WriteFile(big, []byte(strings.Repeat("x", 65)), 0o644)
	link := filepath.Join(dir, "link")
	os.Symlink(exact, link)
	linkToFIFO := filepath.Join(dir, "link-fifo")
	os.Symlink(fifo, linkToFIFO)

	tests := []struct {
		path   string
		want   error
		detail string
	}{
		{fifo, ErrNotRegular, "named pipe"},
		{linkToFIFO, ErrNotRegular, "named pipe"},
		{"/dev/zero", ErrNotRegular, "character device"},
		{"/dev/null", ErrNotRegular, "character device"},
		{dir, ErrNotRegular, "directory"},
		{sock, nil, ""}, // a socket cannot be opened: ENXIO
		{big, ErrTooLarge, "65 bytes, at most 64"},
		{filepath.Join(dir, "absent"), os.ErrNotExist, ""},
		{exact, nil, ""},
		{link, nil, ""},
	}
	for _, tt := range tests {
		t.Run(filepath.Base(tt.path), func(t *testing.T) {
			done := make(chan struct{})
			var data []byte
			var err error
			go func() {
				defer close(done)
				data, err = Read(tt.path, 64)
			}()
			select {
			case <-done:
			case <-time.After(10 * time.Second):
				t.Fatalf("Read(%s) blocked", tt.path)
			}
			switch {
			case tt.path == sock:
				if err == nil || !strings.HasPrefix(err.Error(), sock+": ") {
					t.Fatalf("err = %v, want an error naming the socket", err)
				}
			case tt.want == nil:
				if err != nil || len(data) != 64 {
					t.Fatalf("read %d bytes, err %v", len(data), err)
				}
			default:
				if !errors.Is(err, tt.want) || !strings.Contains(err.Error(), tt.detail) || !strings.HasPrefix(err.Error(), tt.path+": ") {
					t.Fatalf("err = %v, want %v naming %q", err, tt.want, tt.detail)
				}
			}
		})
	}
}
