// Package inputfile reads the files a user names (rig files, profiles,
// secret files) without trusting what they are. A path may name a FIFO
// (os.ReadFile blocks until a writer appears, and the process ignores the
// first SIGTERM while it waits), /dev/zero (an endless read grows memory
// without bound) or any other device node. Read opens without blocking,
// refuses anything that is not a regular file before reading a byte, and
// never reads more than its limit.
package inputfile

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"

	"golang.org/x/sys/unix"
)

// ErrNotRegular is matched (errors.Is) when the path is not a regular file.
var ErrNotRegular = errors.New("not a regular file")

// ErrTooLarge is matched (errors.Is) when the file exceeds the limit.
var ErrTooLarge = errors.New("file too large")

// Error says why a file was refused or could not be read.
type Error struct {
	Path string
	// What the file is (for ErrNotRegular) or how large (ErrTooLarge).
	Detail string
	Err    error
}

func (e *Error) Error() string {
	if e.Detail != "" {
		return fmt.Sprintf("%s: %v (%s)", e.Path, e.Err, e.Detail)
	}
	return fmt.Sprintf("%s: %v", e.Path, e.Err)
}

func (e *Error) Unwrap() error { return e.Err }

// Read returns the content of the regular file at path, at most limit
// bytes; a larger file is an ErrTooLarge error, anything but a regular
// file (after following symlinks) an ErrNotRegular one. Neither blocks.
func Read(path string, limit int64) ([]byte, error) {
	// O_NONBLOCK: opening a FIFO for reading otherwise waits for a writer.
	// It has no effect on reads of regular files, the only ones made.
	f, err := os.OpenFile(path, os.O_RDONLY|unix.O_NONBLOCK|unix.O_NOCTTY, 0)
	if err != nil {
		var pe *fs.PathError
		if errors.As(err, &pe) {
			err = pe.Err
		}
		return nil, &Error{Path: path, Err: err}
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return nil, &Error{Path: path, Err: err}
	}
	if !st.Mode().IsRegular() {
		return nil, &Error{Path: path, Err: ErrNotRegular, Detail: kind(st.Mode())}
	}
	if st.Size() > limit {
		return nil, &Error{Path: path, Err: ErrTooLarge, Detail: fmt.Sprintf("%d bytes, at most %d allowed", st.Size(), limit)}
	}
	// The size can change between Stat and the read (a file being
	// written): the read is bounded on its own.
	data, err := io.ReadAll(io.LimitReader(f, limit+1))
	if err != nil {
		return nil, &Error{Path: path, Err: err}
	}
	if int64(len(data)) > limit {
		return nil, &Error{Path: path, Err: ErrTooLarge, Detail: fmt.Sprintf("more than %d bytes", limit)}
	}
	return data, nil
}

// kind names a non-regular file type in the words of ls and find.
func kind(m fs.FileMode) string {
	switch {
	case m.IsDir():
		return "a directory"
	case m&fs.ModeNamedPipe != 0:
		return "a named pipe (FIFO)"
	case m&fs.ModeSocket != 0:
		return "a socket"
	case m&fs.ModeCharDevice != 0:
		return "a character device"
	case m&fs.ModeDevice != 0:
		return "a block device"
	}
	return "not a plain file"
}
