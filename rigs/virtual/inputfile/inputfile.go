// Package inputfile reads the files the simulator is given (the rig file,
// profiles, boot scripts) only when they are regular files, and only up to
// a limit. A FIFO named as the rig file would otherwise block the
// simulator's start forever, and /dev/zero would fill its memory. The
// harness has its own reader with the same rules; the simulator imports
// nothing from harness/.
package inputfile

import (
	"fmt"
	"io"
	"os"

	"golang.org/x/sys/unix"
)

// MaxYAML bounds a rig file, profile or boot script: each is a page or two.
const MaxYAML = 1 << 20

// Read returns the content of the regular file at path, refusing any other
// kind of file before reading and any file over limit bytes.
func Read(path string, limit int64) ([]byte, error) {
	f, err := os.OpenFile(path, os.O_RDONLY|unix.O_NONBLOCK|unix.O_NOCTTY, 0)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return nil, err
	}
	if !st.Mode().IsRegular() {
		return nil, fmt.Errorf("%s: not a regular file (mode %v)", path, st.Mode().Type())
	}
	data, err := io.ReadAll(io.LimitReader(f, limit+1))
	if err != nil {
		return nil, err
	}
	if int64(len(data)) > limit {
		return nil, fmt.Errorf("%s: larger than the %d bytes allowed", path, limit)
	}
	return data, nil
}
