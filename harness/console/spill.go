package console

import (
	"encoding/binary"
	"errors"
	"fmt"
	"os"
	"strings"
	"time"
)

// spill holds the bytes that left a transcript's memory window: the raw
// stream in one file (byte i of the file is stream offset i, so ReadAt is
// direct) and the chunk arrival times in a second file of fixed 16-byte
// records (offset, unix nanoseconds), so a long soak's index is not in
// memory either.
//
// The raw stream is unredacted (a unit may echo a password), so both files
// are unlinked as soon as they are open: the transcript reads them through
// its descriptors, and nothing is left on disk however the process ends.
// (Where an open file cannot be unlinked, remove deletes them.)
type spill struct {
	path     string
	data     *os.File
	times    *os.File
	size     int64 // bytes in data
	nmark    int64 // records in times
	unlinked bool
}

const markRecord = 16

func newSpill(dir, name string) (*spill, error) {
	if dir == "" {
		dir = os.TempDir()
	}
	data, err := os.CreateTemp(dir, "camrig-console-"+fileSafe(name)+"-*.log")
	if err != nil {
		return nil, fmt.Errorf("console transcript: %w", err)
	}
	times, err := os.Create(data.Name() + ".times")
	if err != nil {
		data.Close()
		os.Remove(data.Name())
		return nil, fmt.Errorf("console transcript: %w", err)
	}
	sp := &spill{path: data.Name(), data: data, times: times}
	sp.unlinked = os.Remove(sp.path) == nil && os.Remove(sp.path+".times") == nil
	return sp, nil
}

// fileSafe turns a port name into something usable inside a file name.
func fileSafe(name string) string {
	s := strings.Map(func(r rune) rune {
		switch {
		case r >= 'a' && r <= 'z', r >= 'A' && r <= 'Z', r >= '0' && r <= '9', r == '-', r == '.':
			return r
		}
		return '_'
	}, name)
	s = strings.Trim(s, "_.")
	if len(s) > 40 {
		s = s[len(s)-40:]
	}
	return s
}

// write appends p and the marks of the chunks starting in it.
func (s *spill) write(p []byte, marks []mark) error {
	if _, err := s.data.Write(p); err != nil {
		return fmt.Errorf("console transcript: writing %s: %w", s.path, err)
	}
	s.size += int64(len(p))
	rec := make([]byte, 0, markRecord*len(marks))
	for _, m := range marks {
		rec = binary.LittleEndian.AppendUint64(rec, uint64(m.off))
		rec = binary.LittleEndian.AppendUint64(rec, uint64(m.at.UnixNano()))
	}
	if _, err := s.times.Write(rec); err != nil {
		return fmt.Errorf("console transcript: writing %s.times: %w", s.path, err)
	}
	s.nmark += int64(len(marks))
	return nil
}

// markAt reads the i-th spilled mark.
func (s *spill) markAt(i int64) (mark, error) {
	var rec [markRecord]byte
	if _, err := s.times.ReadAt(rec[:], i*markRecord); err != nil {
		return mark{}, fmt.Errorf("console transcript: reading %s.times: %w", s.path, err)
	}
	return mark{
		off: int64(binary.LittleEndian.Uint64(rec[:8])),
		at:  time.Unix(0, int64(binary.LittleEndian.Uint64(rec[8:]))),
	}, nil
}

func (s *spill) remove() error {
	err := errors.Join(s.data.Close(), s.times.Close())
	if !s.unlinked {
		for _, p := range []string{s.path, s.path + ".times"} {
			if e := os.Remove(p); e != nil && !errors.Is(e, os.ErrNotExist) {
				err = errors.Join(err, e)
			}
		}
	}
	return err
}
