package console

import (
	"bytes"
)

// maxExcerpt bounds how far back Excerpt reads.
const maxExcerpt = 16 << 10

// Excerpt returns the lines of the stream bytes [from, to) as a reader of
// the console sees them, for an error message: a line cut by from is left
// out, line endings are dropped, control bytes and invalid UTF-8 are
// escaped, WithRedact secrets replaced. At most maxLines, the last ones;
// at most 16 KiB are read. Bytes that are no longer readable (Discard)
// are skipped.
func (c *Console) Excerpt(from, to int64, maxLines int) []string {
	to = min(to, c.tr.Len())
	from = max(from, to-maxExcerpt, 0)
	if from >= to || maxLines <= 0 {
		return nil
	}
	// One byte before from tells whether from starts a line.
	lo := max(from-1, 0)
	buf := make([]byte, to-lo)
	n := 0
	for n < len(buf) {
		k, err := c.tr.ReadAt(buf[n:], lo+int64(n))
		n += k
		if err != nil || k == 0 {
			break
		}
	}
	buf = buf[:n]
	if from > 0 {
		if len(buf) == 0 {
			return nil
		}
		// Drop the byte before from and, unless it ended a line, the
		// rest of the line it was part of.
		if buf[0] == '\n' {
			buf = buf[1:]
		} else if nl := bytes.IndexByte(buf, '\n'); nl >= 0 {
			buf = buf[nl+1:]
		} else {
			return nil
		}
	}
	// to may cut a secret; the start is a line start.
	if c.red.active() {
		buf = c.red.m.RedactCut(buf)
	}
	var lines []string
	for _, l := range bytes.Split(bytes.TrimSuffix(buf, []byte("\n")), []byte("\n")) {
		lines = append(lines, escapeLine(bytes.TrimSuffix(l, []byte("\r"))))
	}
	if len(lines) > maxLines {
		lines = lines[len(lines)-maxLines:]
	}
	return lines
}
