package console

import (
	"fmt"
	"io"
	"log/slog"
	"math"
	"sort"
	"sync"
	"time"
)

// Transcript is every byte a console received, each chunk stamped with its
// arrival time. The newest bytes (the window) stay in memory for Expect;
// older ones spill to a file so a day-long soak keeps bounded memory and
// still has its whole log for the report. It stays readable after the
// console is closed; Discard removes the spill files.
type Transcript struct {
	mu      sync.Mutex
	name    string
	window  int
	buf     []byte // stream bytes [base, base+len(buf))
	base    int64
	marks   []mark // arrival of each in-memory chunk, ascending offsets
	changed chan struct{}
	spill   *spill
	dir     string
	noSpill bool // spilling failed once; keep everything in memory
	// keepFrom is the console's expect cursor: bytes from here on are not
	// consumed yet (a waiting Expect may not have scanned them), so they
	// spill only once memory reaches hardCapFactor windows.
	keepFrom int64
	red      redactor
	log      *slog.Logger
	// lastAt is when the newest chunk arrived (zero: none yet).
	lastAt time.Time
	// baseLineStart: the byte at base starts a line (base is 0, or the
	// last byte spilled was a newline).
	baseLineStart bool
	// gaps are the port's disconnections, in stream order.
	gaps []Gap
}

// Gap is a disconnection of the console's port: bytes from Offset on
// arrived after the port reopened; whatever the unit said while it was
// away is lost. Up is zero while the port is still away.
type Gap struct {
	Offset   int64
	Down, Up time.Time
}

// mark is the arrival time of the chunk starting at off.
type mark struct {
	off int64
	at  time.Time
}

// Chunk is a run of bytes that arrived together.
type Chunk struct {
	At     time.Time
	Offset int64
	Data   []byte
}

func newTranscript(name string, o options) *Transcript {
	return &Transcript{
		name:          name,
		window:        o.window,
		changed:       make(chan struct{}),
		dir:           o.dir,
		keepFrom:      math.MaxInt64,
		baseLineStart: true,
		red:           newRedactor(o.secrets),
		log:           o.log,
	}
}

// append records p as arrived at at and wakes everyone waiting for data.
func (t *Transcript) append(at time.Time, p []byte) {
	if len(p) == 0 {
		return
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	t.marks = append(t.marks, mark{off: t.base + int64(len(t.buf)), at: at})
	t.buf = append(t.buf, p...)
	t.lastAt = at
	if len(t.buf) > t.window && !t.noSpill {
		t.maybeSpillLocked()
	}
	close(t.changed)
	t.changed = make(chan struct{})
}

// hardCapFactor bounds memory when nobody consumes: past this many windows
// even unconsumed bytes spill (and an Expect that fell that far behind
// skips them, with a warning).
const hardCapFactor = 4

// maybeSpillLocked spills down to half the window (so the copy in
// spillLocked is amortised over many appends), but not past unconsumed
// bytes unless memory is at the hard cap.
func (t *Transcript) maybeSpillLocked() {
	n := len(t.buf) - t.window/2
	if consumed := int(t.keepFrom - t.base); consumed < n && len(t.buf) < hardCapFactor*t.window {
		if consumed < t.window/4 {
			return // too little to be worth the copy; wait for more
		}
		n = consumed
	}
	t.spillLocked(n)
}

// spillLocked moves the oldest n in-memory bytes to the spill file.
func (t *Transcript) spillLocked(n int) {
	if t.spill == nil {
		s, err := newSpill(t.dir, t.name)
		if err != nil {
			t.noSpill = true
			t.log.Error("console transcript cannot spill to disk; keeping all of it in memory", "port", t.name, "err", err)
			return
		}
		t.spill = s
		t.log.Info("console transcript spilling to disk", "port", t.name, "file", s.path)
	}
	cut := t.base + int64(n)
	k := sort.Search(len(t.marks), func(i int) bool { return t.marks[i].off >= cut })
	if err := t.spill.write(t.buf[:n], t.marks[:k]); err != nil {
		t.noSpill = true
		t.log.Error("console transcript spill failed; keeping the rest in memory", "port", t.name, "err", err)
		return
	}
	// The chunk straddling the cut keeps its arrival time for its tail.
	keep := t.marks[k:]
	end := t.base + int64(len(t.buf))
	if k > 0 && cut < end && (k == len(t.marks) || t.marks[k].off > cut) {
		t.marks[k-1].off = cut
		keep = t.marks[k-1:]
	}
	t.marks = append(t.marks[:0], keep...)
	t.baseLineStart = t.buf[n-1] == '\n'
	t.buf = t.buf[:copy(t.buf, t.buf[n:])]
	t.base = cut
}

// gapDown records that the port was lost at at: bytes arriving from now on
// are not the continuation of those before. Drops with nothing received
// in between are one gap.
func (t *Transcript) gapDown(at time.Time) {
	t.mu.Lock()
	defer t.mu.Unlock()
	end := t.base + int64(len(t.buf))
	if n := len(t.gaps); n > 0 && t.gaps[n-1].Offset == end {
		t.gaps[n-1].Up = time.Time{}
		return
	}
	t.gaps = append(t.gaps, Gap{Offset: end, Down: at})
}

// gapUp records that the port came back at at.
func (t *Transcript) gapUp(at time.Time) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if n := len(t.gaps); n > 0 {
		t.gaps[n-1].Up = at
	}
}

// Gaps lists the port's disconnections so far, in stream order.
func (t *Transcript) Gaps() []Gap {
	t.mu.Lock()
	defer t.mu.Unlock()
	return append([]Gap(nil), t.gaps...)
}

// gapOffsetsLocked are the offsets of the gaps a scan of memory can meet.
func (t *Transcript) gapOffsetsLocked() []int64 {
	var out []int64
	for _, g := range t.gaps {
		if g.Offset >= t.base {
			out = append(out, g.Offset)
		}
	}
	return out
}

// Len is the number of bytes received so far.
func (t *Transcript) Len() int64 {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.base + int64(len(t.buf))
}

// InMemory is how many bytes are held in memory now.
func (t *Transcript) InMemory() int {
	t.mu.Lock()
	defer t.mu.Unlock()
	return len(t.buf)
}

// SpillPath names the file older bytes went to, or "" if nothing spilled.
// The file is unlinked as soon as it is made (see spill): the name is for
// logs; read the bytes with ReadAt, WriteTo or Chunks.
func (t *Transcript) SpillPath() string {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.spill == nil {
		return ""
	}
	return t.spill.path
}

// Changed returns a channel closed when more bytes arrive.
func (t *Transcript) Changed() <-chan struct{} {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.changed
}

// timeAtLocked is the arrival time of the byte at off (in memory).
func (t *Transcript) timeAtLocked(off int64) time.Time {
	i := sort.Search(len(t.marks), func(i int) bool { return t.marks[i].off > off })
	if i == 0 {
		return time.Time{}
	}
	return t.marks[i-1].at
}

// ReadAt reads raw (unredacted) stream bytes from off, from the spill file
// or memory. It returns io.EOF at the end of what has arrived.
func (t *Transcript) ReadAt(p []byte, off int64) (int, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.readAtLocked(p, off)
}

func (t *Transcript) readAtLocked(p []byte, off int64) (int, error) {
	end := t.base + int64(len(t.buf))
	if off < 0 {
		return 0, fmt.Errorf("console transcript: negative offset %d", off)
	}
	if off >= end {
		return 0, io.EOF
	}
	if off >= t.base {
		return copy(p, t.buf[off-t.base:]), nil
	}
	if t.spill == nil {
		return 0, fmt.Errorf("console transcript: offset %d lost (no spill file)", off)
	}
	n := int(min(int64(len(p)), t.base-off))
	return t.spill.data.ReadAt(p[:n], off)
}

// Tail returns up to the last n raw bytes.
func (t *Transcript) Tail(n int) []byte {
	t.mu.Lock()
	defer t.mu.Unlock()
	end := t.base + int64(len(t.buf))
	from := max(0, end-int64(n))
	out := make([]byte, 0, end-from)
	for off := from; off < end; {
		buf := make([]byte, end-off)
		k, err := t.readAtLocked(buf, off)
		out = append(out, buf[:k]...)
		off += int64(k)
		if err != nil || k == 0 {
			break
		}
	}
	return out
}

// Discard closes (and, where they still exist, removes) the spill files.
// The transcript keeps only what is in memory afterwards.
func (t *Transcript) Discard() error {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.spill == nil {
		return nil
	}
	err := t.spill.remove()
	t.spill = nil
	t.noSpill = true
	return err
}
