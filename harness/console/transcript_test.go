package console

import (
	"bytes"
	"fmt"
	"io"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/camrig/camrig/harness/secret"
)

func testTranscript(t *testing.T, window int, secrets ...secret.Secret) *Transcript {
	t.Helper()
	o := buildOptions([]Option{WithTranscriptDir(t.TempDir()), WithWindow(window), WithRedact(secrets...)})
	tr := newTranscript("/dev/serial/by-id/usb-FTDI_x", o)
	t.Cleanup(func() { tr.Discard() })
	return tr
}

func TestTranscriptSpillsWithBoundedMemory(t *testing.T) {
	const window = 4096
	tr := testTranscript(t, window)
	start := time.Unix(1700000000, 0)
	var want bytes.Buffer
	peak := 0
	for i := 0; i < 5000; i++ {
		line := fmt.Sprintf("[%8d] kernel line %d \x00\xff\r\n", i, i)
		tr.append(start.Add(time.Duration(i)*time.Millisecond), []byte(line))
		want.WriteString(line)
		peak = max(peak, tr.InMemory())
	}
	if peak > window+64 {
		t.Fatalf("memory window grew to %d bytes (window %d)", peak, window)
	}
	if tr.Len() != int64(want.Len()) {
		t.Fatalf("Len = %d, want %d", tr.Len(), want.Len())
	}
	if tr.SpillPath() == "" {
		t.Fatal("nothing spilled")
	}
	// The raw, unredacted spill is never a file anyone can find: it was
	// unlinked as soon as it was made.
	if left, _ := os.ReadDir(tr.dir); len(left) != 0 {
		t.Fatalf("spill files visible in %s: %v", tr.dir, left)
	}
	spilled := make([]byte, want.Len()-window)
	if n, err := tr.ReadAt(spilled, 0); err != nil || n == 0 || !bytes.Equal(spilled[:n], want.Bytes()[:n]) {
		t.Fatalf("the spilled part reads back %d bytes, %v, not the earliest ones", n, err)
	}
	var all bytes.Buffer
	if n, err := tr.WriteTo(&all); err != nil || n != int64(want.Len()) {
		t.Fatalf("WriteTo = %d, %v", n, err)
	}
	if !bytes.Equal(all.Bytes(), want.Bytes()) {
		t.Fatal("WriteTo differs from what arrived")
	}
	// Every chunk keeps its arrival time, spilled or not, and the chunks
	// tile the stream.
	var off int64
	i := 0
	err := tr.Chunks(func(c Chunk) error {
		if c.Offset != off {
			return fmt.Errorf("chunk at %d, want %d", c.Offset, off)
		}
		off += int64(len(c.Data))
		line := bytes.TrimSpace(c.Data)
		var n int
		if _, err := fmt.Sscanf(string(line), "[%d]", &n); err == nil {
			if !c.At.Equal(start.Add(time.Duration(n) * time.Millisecond)) {
				return fmt.Errorf("line %d stamped %v", n, c.At)
			}
			i++
		}
		return nil
	})
	if err != nil || off != tr.Len() || i < 4990 {
		t.Fatalf("chunks: %v, covered %d of %d, %d stamped lines", err, off, tr.Len(), i)
	}
	// ReadAt reaches back into the spill file.
	buf := make([]byte, 10)
	if n, err := tr.ReadAt(buf, 0); err != nil || string(buf[:n]) != "[       0]" {
		t.Fatalf("ReadAt(0) = %q, %v", buf[:n], err)
	}
	if err := tr.Discard(); err != nil {
		t.Fatal(err)
	}
	if left, _ := os.ReadDir(tr.dir); len(left) != 0 {
		t.Fatalf("spill files left behind: %v", left)
	}
}

func TestTranscriptSplitChunkKeepsItsTime(t *testing.T) {
	tr := testTranscript(t, 10)
	t0, t1 := time.Unix(1, 0), time.Unix(2, 0)
	tr.append(t0, []byte("0123456"))
	tr.append(t1, []byte("789abcdef")) // spills to 5 in memory: cut inside this chunk
	var got []string
	tr.Chunks(func(c Chunk) error {
		got = append(got, fmt.Sprintf("%d:%s@%d", c.Offset, c.Data, c.At.Unix()))
		return nil
	})
	// 16 bytes over a 10-byte window spill down to 5: the cut falls inside
	// the second chunk, whose two halves keep its arrival time.
	if want := "0:0123456@1 7:789a@2 11:bcdef@2"; strings.Join(got, " ") != want {
		t.Fatalf("chunks = %v, want %s", got, want)
	}
	if tr.InMemory() > 10 {
		t.Fatalf("in memory %d", tr.InMemory())
	}
}

func TestWriteTimedEscapesAndStamps(t *testing.T) {
	tr := testTranscript(t, 1<<20)
	at := time.Date(2026, 1, 2, 3, 4, 5, 123456000, time.UTC)
	tr.append(at, []byte("U-Boot\r\nga\x00rb\xffage"))
	tr.append(at.Add(time.Second), []byte("\r\n=> "))
	var b strings.Builder
	if err := tr.WriteTimed(&b); err != nil {
		t.Fatal(err)
	}
	want := "03:04:05.123456 U-Boot\n03:04:05.123456 ga\\x00rb\\xffage\n03:04:06.123456 => \n"
	if b.String() != want {
		t.Fatalf("got\n%s\nwant\n%s", b.String(), want)
	}
}

func TestRedactionAcrossChunksAndSpill(t *testing.T) {
	pw := secret.Literal("hunter2secret")
	tr := testTranscript(t, 64, pw)
	stream := strings.Repeat("noise ", 20) + "login: root\r\nPassword: hunter2se" + "cret\r\n" + strings.Repeat("more ", 30) + "echo hunter2secret\r\n"
	for i := 0; i < len(stream); i += 5 {
		tr.append(time.Unix(0, 0), []byte(stream[i:min(i+5, len(stream))]))
	}
	if tr.SpillPath() == "" {
		t.Fatal("expected a spill")
	}
	for name, got := range map[string]string{"String": tr.String(), "WriteTimed": timed(tr)} {
		if strings.Contains(got, "hunter2") {
			t.Errorf("%s leaks the secret: %q", name, got)
		}
		if strings.Count(got, secret.Redacted) != 2 {
			t.Errorf("%s: want 2 redactions in %q", name, got)
		}
	}
	var raw bytes.Buffer
	r := io.NewSectionReader(tr, 0, tr.Len())
	io.Copy(&raw, r)
	if raw.String() != stream {
		t.Fatal("ReadAt must hand out the raw bytes")
	}
}

func timed(tr *Transcript) string {
	var b strings.Builder
	tr.WriteTimed(&b)
	return b.String()
}

func TestRedactWriterSafeCut(t *testing.T) {
	r := newRedactor([]secret.Secret{secret.Literal("abcd"), secret.Literal("xyzzy")})
	in := "..abcd..ab" + "cd..xyz" + "zy..abcxyzzy"
	// Every split of the input into two writes must redact the same.
	for i := 0; i <= len(in); i++ {
		var out bytes.Buffer
		w := &redactWriter{w: &out, r: r}
		w.Write([]byte(in[:i]))
		w.Write([]byte(in[i:]))
		w.Flush()
		if want := "..[redacted]..[redacted]..[redacted]..abc[redacted]"; out.String() != want {
			t.Fatalf("split %d: %q", i, out.String())
		}
	}
}

func TestTranscriptKeepsUnconsumedBytesUntilHardCap(t *testing.T) {
	const window = 1000
	tr := testTranscript(t, window)
	tr.keepFrom = 0 // an Expect waiting from the start
	line := []byte(strings.Repeat("x", 99) + "\n")
	for tr.Len() < hardCapFactor*window-100 {
		tr.append(time.Unix(0, 0), line)
	}
	if tr.SpillPath() != "" || tr.InMemory() != int(tr.Len()) {
		t.Fatalf("spilled unconsumed bytes below the hard cap: %d in memory of %d", tr.InMemory(), tr.Len())
	}
	// The consumer catches up: consumed bytes may go.
	end := tr.Len()
	tr.mu.Lock()
	tr.keepFrom = end
	tr.mu.Unlock()
	tr.append(time.Unix(0, 0), line)
	if tr.InMemory() > window {
		t.Fatalf("consumed bytes kept: %d in memory", tr.InMemory())
	}
	// Nobody consumes any more: memory still stops at the hard cap.
	for i := 0; i < 100; i++ {
		tr.append(time.Unix(0, 0), line)
		if tr.InMemory() > hardCapFactor*window+len(line) {
			t.Fatalf("%d bytes in memory past the hard cap", tr.InMemory())
		}
	}
}
