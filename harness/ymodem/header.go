package ymodem

import (
	"fmt"
	"strconv"
	"strings"
)

// header is the payload of YMODEM block 0: name NUL decimal-length, then
// the modification time in octal if known. The rest of the block is NUL.
func header(f File) ([]byte, error) {
	if f.Name == "" {
		return nil, fmt.Errorf("%w: empty name (it would end the batch)", ErrBadFile)
	}
	if strings.IndexByte(f.Name, 0) >= 0 {
		return nil, fmt.Errorf("%w: name %q holds a NUL", ErrBadFile, f.Name)
	}
	b := make([]byte, 0, len(f.Name)+32)
	b = append(b, f.Name...)
	b = append(b, 0)
	b = strconv.AppendInt(b, int64(len(f.Data)), 10)
	if !f.ModTime.IsZero() && f.ModTime.Unix() > 0 {
		b = append(b, ' ')
		b = strconv.AppendInt(b, f.ModTime.Unix(), 8)
	}
	// The receiver needs at least one NUL after the fields to find their end.
	if len(b) >= bigBlock {
		return nil, fmt.Errorf("%w: name %q is too long for block 0", ErrBadFile, f.Name)
	}
	return b, nil
}
