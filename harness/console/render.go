package console

import (
	"bytes"
	"fmt"
	"io"
	"math"
	"strings"
	"time"
	"unicode/utf8"
)

// view is a consistent picture of a transcript taken under its lock: how
// much had spilled, and a copy of the in-memory part. Rendering from it
// needs no lock, so a report never stalls the console's reader.
type view struct {
	sp     *spill
	size   int64
	nmark  int64
	mem    []byte
	marks  []mark
	memOff int64
	gaps   []Gap
}

func (t *Transcript) view() view {
	t.mu.Lock()
	defer t.mu.Unlock()
	v := view{
		mem:    append([]byte(nil), t.buf...),
		marks:  append([]mark(nil), t.marks...),
		memOff: t.base,
		gaps:   append([]Gap(nil), t.gaps...),
	}
	if t.spill != nil {
		v.sp, v.size, v.nmark = t.spill, t.spill.size, t.spill.nmark
	}
	return v
}

// WriteTo writes every byte received, oldest first (spilled, then in
// memory), with WithRedact secrets replaced, and a line marking each time
// the port was lost and reopened (see Gap).
func (t *Transcript) WriteTo(w io.Writer) (int64, error) {
	cw := &countWriter{w: w}
	err := t.view().render(cw, t.red, -1)
	return cw.n, err
}

// gapLine is how a rendered transcript marks a Gap.
func gapLine(g Gap) string {
	back := "not back yet"
	if !g.Up.IsZero() {
		back = "reopened " + g.Up.Format("15:04:05.000")
	}
	return fmt.Sprintf("[camrig: console disconnected %s, %s; what the unit said meanwhile is lost]",
		g.Down.Format("15:04:05.000"), back)
}

type countWriter struct {
	w io.Writer
	n int64
}

func (c *countWriter) Write(p []byte) (int, error) {
	n, err := c.w.Write(p)
	c.n += int64(n)
	return n, err
}

// String is the whole transcript as text (raw bytes, secrets redacted).
// For long soaks prefer WriteTo.
func (t *Transcript) String() string {
	var b strings.Builder
	t.WriteTo(&b)
	return b.String()
}

// Chunks calls fn for every chunk received, oldest first, with its arrival
// time. Data is raw (unredacted) and valid only during the call.
func (t *Transcript) Chunks(fn func(Chunk) error) error {
	return t.view().chunks(fn)
}

func (v view) chunks(fn func(Chunk) error) error {
	if v.sp != nil {
		for i := int64(0); i < v.nmark; i++ {
			m, err := v.sp.markAt(i)
			if err != nil {
				return err
			}
			end := v.size
			if i+1 < v.nmark {
				next, err := v.sp.markAt(i + 1)
				if err != nil {
					return err
				}
				end = next.off
			}
			buf := make([]byte, end-m.off)
			if _, err := v.sp.data.ReadAt(buf, m.off); err != nil {
				return fmt.Errorf("console transcript %s: %w", v.sp.path, err)
			}
			if err := fn(Chunk{At: m.at, Offset: m.off, Data: buf}); err != nil {
				return err
			}
		}
	}
	for i, m := range v.marks {
		end := v.memOff + int64(len(v.mem))
		if i+1 < len(v.marks) {
			end = v.marks[i+1].off
		}
		if err := fn(Chunk{At: m.at, Offset: m.off, Data: v.mem[m.off-v.memOff : end-v.memOff]}); err != nil {
			return err
		}
	}
	return nil
}

// maxTimedLine breaks a line that never ends (garbage at the wrong baud) so
// the rendering stays readable.
const maxTimedLine = 4096

// WriteTimed renders the transcript as text lines, each prefixed with the
// arrival time of its first byte (time of day, microseconds). Control bytes
// and invalid UTF-8 are escaped as \xNN, CR before LF is dropped, and
// WithRedact secrets are replaced. This is the form reports attach.
func (t *Transcript) WriteTimed(w io.Writer) error {
	return t.timedLines(func(at time.Time, text string) error {
		_, err := fmt.Fprintf(w, "%s %s\n", at.Format(timedLayout), text)
		return err
	})
}

// timedLayout stamps each line of a timed transcript.
const timedLayout = "15:04:05.000000"

// timedLines calls fn for every line of the transcript (redacted and
// escaped) with the arrival time of its first byte, and for every gap.
func (t *Transcript) timedLines(fn func(at time.Time, text string) error) error {
	var line []byte
	var at time.Time
	flush := func() error {
		if len(line) == 0 {
			return nil
		}
		text := escapeLine(t.red.apply(bytes.TrimSuffix(bytes.TrimSuffix(line, []byte("\n")), []byte("\r"))))
		line = line[:0]
		return fn(at, text)
	}
	v := t.view()
	gaps := v.gaps
	// gapsUpTo writes the lines of the gaps at or before off.
	gapsUpTo := func(off int64) error {
		for len(gaps) > 0 && gaps[0].Offset <= off {
			if err := flush(); err != nil {
				return err
			}
			if err := fn(gaps[0].Down, gapLine(gaps[0])); err != nil {
				return err
			}
			gaps = gaps[1:]
		}
		return nil
	}
	err := v.chunks(func(c Chunk) error {
		if err := gapsUpTo(c.Offset); err != nil {
			return err
		}
		for _, b := range c.Data {
			if len(line) == 0 {
				at = c.At
			}
			line = append(line, b)
			switch {
			case b == '\n':
				if err := flush(); err != nil {
					return err
				}
			case len(line) >= maxTimedLine:
				// A forced break must not cut a secret in two: the part
				// that could still be one moves on to the next line.
				keep := line[len(line):]
				if h := t.red.m.Hold(line); h > 0 && t.red.active() {
					keep = append([]byte(nil), line[h:]...)
					line = line[:h]
				}
				if err := flush(); err != nil {
					return err
				}
				line = append(line, keep...)
			}
		}
		return nil
	})
	if err != nil {
		return err
	}
	if err := flush(); err != nil {
		return err
	}
	return gapsUpTo(math.MaxInt64)
}

// escapeLine keeps printable UTF-8 and tabs and writes every other byte as
// \xNN, so garbage and NULs are visible and never corrupt a report.
func escapeLine(b []byte) string {
	var s strings.Builder
	for len(b) > 0 {
		r, n := utf8.DecodeRune(b)
		switch {
		case r == utf8.RuneError && n <= 1, r < 0x20 && r != '\t', r == 0x7f:
			fmt.Fprintf(&s, `\x%02x`, b[0])
			n = 1
		default:
			s.Write(b[:n])
		}
		b = b[n:]
	}
	return s.String()
}

// WriteFrom writes the transcript from stream offset off on (what arrived
// after a Len() taken earlier: one spec's share of a console that stays
// open across specs), secrets redacted. It renders the whole stream
// redacted and skips as much output as the part before off renders to, so
// a secret straddling off is never cut in half into the output. It costs
// two passes and no memory beyond WriteTo's.
func (t *Transcript) WriteFrom(w io.Writer, off int64) (int64, error) {
	if off <= 0 {
		return t.WriteTo(w)
	}
	v := t.view()
	prefix := &countWriter{w: io.Discard}
	if err := v.render(prefix, t.red, off); err != nil {
		return 0, err
	}
	sw := &skipWriter{w: w, skip: prefix.n}
	err := v.render(sw, t.red, -1)
	return sw.n, err
}

// render writes the view's bytes up to limit (-1: all) through redaction,
// with a line for each gap before limit (all of them when limit is -1).
func (v view) render(w io.Writer, red redactor, limit int64) error {
	rw := &redactWriter{w: w, r: red}
	total := v.memOff + int64(len(v.mem))
	all := limit < 0
	if all || limit > total {
		limit = total
	}
	var off int64
	last := byte('\n')
	for _, g := range v.gaps {
		if g.Offset > limit || (!all && g.Offset == limit) {
			break
		}
		if err := v.copyRange(rw, off, g.Offset); err != nil {
			return err
		}
		if g.Offset > off {
			last = v.byteAt(g.Offset - 1)
		}
		off = g.Offset
		text := gapLine(g) + "\n"
		if last != '\n' {
			text = "\n" + text
		}
		if _, err := rw.Write([]byte(text)); err != nil {
			return err
		}
		last = '\n'
	}
	if err := v.copyRange(rw, off, limit); err != nil {
		return err
	}
	return rw.Flush()
}

// copyRange writes stream bytes [from, to) from the spill file and memory.
func (v view) copyRange(w io.Writer, from, to int64) error {
	if from >= to {
		return nil
	}
	if v.sp != nil && from < v.size {
		n := min(v.size, to) - from
		if _, err := io.Copy(w, io.NewSectionReader(v.sp.data, from, n)); err != nil {
			return fmt.Errorf("console transcript %s: %w", v.sp.path, err)
		}
		from += n
	}
	if from >= to || to <= v.memOff {
		return nil // nothing left, or only bytes Discard dropped
	}
	lo := max(from, v.memOff) - v.memOff
	if _, err := w.Write(v.mem[lo : to-v.memOff]); err != nil {
		return err
	}
	return nil
}

// byteAt is the stream byte at off ('\n' if it cannot be read: a gap
// line then starts on its own line anyway).
func (v view) byteAt(off int64) byte {
	if off >= v.memOff && off-v.memOff < int64(len(v.mem)) {
		return v.mem[off-v.memOff]
	}
	var b [1]byte
	if v.sp != nil && off < v.size {
		if _, err := v.sp.data.ReadAt(b[:], off); err == nil {
			return b[0]
		}
	}
	return '\n'
}

// skipWriter drops the first skip bytes written to it.
type skipWriter struct {
	w    io.Writer
	skip int64
	n    int64
}

func (s *skipWriter) Write(p []byte) (int, error) {
	all := len(p)
	if s.skip > 0 {
		k := min(int64(len(p)), s.skip)
		s.skip -= k
		p = p[k:]
	}
	n, err := s.w.Write(p)
	s.n += int64(n)
	if err != nil {
		return all - len(p) + n, err
	}
	return all, nil
}
