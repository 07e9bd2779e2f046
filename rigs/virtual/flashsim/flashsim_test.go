package flashsim_test

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"sync/atomic"
	"testing"
	"time"

	"github.com/camrig/camrig/rigs/virtual/flashsim"
)

var small = flashsim.Geometry{Name: "tiny", Size: 64 << 10, EraseSize: 4 << 10, PageSize: 256}

func open(t *testing.T, g flashsim.Geometry) (*flashsim.Chip, string) {
	t.Helper()
	path := filepath.Join(t.TempDir(), "flash.bin")
	c, err := flashsim.Open(path, g)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c, path
}

func read(t *testing.T, c *flashsim.Chip, off, n int) []byte {
	t.Helper()
	b := make([]byte, n)
	if _, err := c.ReadAt(b, int64(off)); err != nil {
		t.Fatal(err)
	}
	return b
}

func TestNewChipIsErasedAndPersisted(t *testing.T) {
	c, path := open(t, small)
	if b := read(t, c, 0, small.Size); !bytes.Equal(b, bytes.Repeat([]byte{0xFF}, small.Size)) {
		t.Fatal("new chip not erased")
	}
	if fi, err := os.Stat(path); err != nil || fi.Size() != int64(small.Size) {
		t.Fatalf("backing file: %v %v", fi, err)
	}
}

func TestProgramOnlyClearsBits(t *testing.T) {
	c, _ := open(t, small)
	ctx := context.Background()
	cases := []struct {
		write, want byte
	}{
		{0xF0, 0xF0},
		{0x3C, 0x30}, // 0xF0 AND 0x3C
		{0xFF, 0x30}, // writing ones changes nothing
		{0x00, 0x00},
	}
	for _, c2 := range cases {
		if err := c.Program(ctx, 100, []byte{c2.write}); err != nil {
			t.Fatal(err)
		}
		if got := read(t, c, 100, 1)[0]; got != c2.want {
			t.Fatalf("after writing %02x: %02x, want %02x", c2.write, got, c2.want)
		}
	}
	if err := c.Erase(ctx, 0, small.EraseSize); err != nil {
		t.Fatal(err)
	}
	if got := read(t, c, 100, 1)[0]; got != 0xFF {
		t.Fatalf("after erase: %02x", got)
	}
}

func TestProgramAcrossPagesAndPersistence(t *testing.T) {
	c, path := open(t, small)
	data := bytes.Repeat([]byte("camrig!"), 200) // 1400 bytes, unaligned
	if err := c.Program(context.Background(), 1000, data); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(read(t, c, 1000, len(data)), data) {
		t.Fatal("read back differs")
	}
	c.Close()
	again, err := flashsim.Open(path, small)
	if err != nil {
		t.Fatal(err)
	}
	defer again.Close()
	if !bytes.Equal(read(t, again, 1000, len(data)), data) || read(t, again, 999, 1)[0] != 0xFF {
		t.Fatal("contents did not survive reopening")
	}
}

func TestBadRequests(t *testing.T) {
	c, _ := open(t, small)
	ctx := context.Background()
	cases := []struct {
		name string
		err  error
		want error
	}{
		{"erase unaligned offset", c.Erase(ctx, 100, small.EraseSize), flashsim.ErrAlignment},
		{"erase unaligned length", c.Erase(ctx, 0, 100), flashsim.ErrAlignment},
		{"erase past the end", c.Erase(ctx, small.Size-small.EraseSize, 2*small.EraseSize), flashsim.ErrRange},
		{"program past the end", c.Program(ctx, small.Size-1, []byte{1, 2}), flashsim.ErrRange},
		{"program negative", c.Program(ctx, -1, []byte{1}), flashsim.ErrRange},
	}
	for _, cs := range cases {
		if !errors.Is(cs.err, cs.want) {
			t.Errorf("%s: err = %v, want %v", cs.name, cs.err, cs.want)
		}
	}
	if _, err := c.ReadAt(make([]byte, 2), int64(small.Size-1)); err == nil {
		t.Error("read past the end succeeded")
	}
}

func TestOpenRefusesWrongSizeAndBadGeometry(t *testing.T) {
	path := filepath.Join(t.TempDir(), "f.bin")
	if err := os.WriteFile(path, make([]byte, 1000), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := flashsim.Open(path, small); err == nil {
		t.Fatal("opened a 1000-byte file as a 64 KiB chip")
	}
	for _, g := range []flashsim.Geometry{
		{Size: 1000, EraseSize: 4096, PageSize: 256},
		{Size: 8192, EraseSize: 4096, PageSize: 1000},
		{Size: 0, EraseSize: 4096, PageSize: 256},
	} {
		if _, err := flashsim.Open(filepath.Join(t.TempDir(), "g.bin"), g); err == nil {
			t.Errorf("geometry %+v accepted", g)
		}
	}
}

// cutAfter is a context whose Done channel closes once it has been asked
// n times: the chip asks once before each page, so the cut lands exactly
// after n pages.
type cutAfter struct {
	context.Context
	n      atomic.Int32
	closed chan struct{}
}

func newCutAfter(n int32) *cutAfter {
	c := &cutAfter{Context: context.Background(), closed: make(chan struct{})}
	c.n.Store(n)
	close(c.closed)
	return c
}

func (c *cutAfter) Done() <-chan struct{} {
	if c.n.Add(-1) < 0 {
		return c.closed
	}
	return nil
}

func (c *cutAfter) Err() error {
	if c.n.Load() < 0 {
		return context.Canceled
	}
	return nil
}

func TestPowerCutLeavesPartialWrite(t *testing.T) {
	c, path := open(t, small)
	data := bytes.Repeat([]byte{0x00}, 10*small.PageSize)
	err := c.Program(newCutAfter(3), 0, data)
	if !errors.Is(err, flashsim.ErrInterrupted) {
		t.Fatalf("err = %v, want ErrInterrupted", err)
	}
	c.Close()
	disk, _ := os.ReadFile(path)
	done := 3 * small.PageSize
	if !bytes.Equal(disk[:done], data[:done]) || !bytes.Equal(disk[done:len(data)], bytes.Repeat([]byte{0xFF}, len(data)-done)) {
		t.Fatal("flash after the cut is not exactly the first 3 pages")
	}
}

func TestPowerCutDuringErase(t *testing.T) {
	c, _ := open(t, small)
	if err := c.Program(context.Background(), 0, make([]byte, small.Size)); err != nil {
		t.Fatal(err)
	}
	err := c.Erase(newCutAfter(2), 0, 4*small.EraseSize)
	if !errors.Is(err, flashsim.ErrInterrupted) {
		t.Fatalf("err = %v", err)
	}
	got := read(t, c, 0, 4*small.EraseSize)
	two := 2 * small.EraseSize
	if !bytes.Equal(got[:two], bytes.Repeat([]byte{0xFF}, two)) || !bytes.Equal(got[two:], make([]byte, two)) {
		t.Fatal("want exactly two sectors erased")
	}
}

// TestCloseInterruptsARunningWrite: Close (the simulator going away) stops a
// slow write part way; what was written is on disk.
func TestCloseInterruptsARunningWrite(t *testing.T) {
	g := small
	g.PageProgram = 20 * time.Millisecond
	c, path := open(t, g)
	data := make([]byte, 100*g.PageSize) // 2 s if uninterrupted
	errc := make(chan error, 1)
	go func() { errc <- c.Program(context.Background(), 0, data) }()
	// Wait for the first page to reach the file: the write is under way.
	for deadline := time.Now().Add(5 * time.Second); ; {
		disk, _ := os.ReadFile(path)
		if len(disk) > 0 && disk[0] == 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the write never started")
		}
		time.Sleep(time.Millisecond)
	}
	start := time.Now()
	c.Close()
	err := <-errc
	if !errors.Is(err, flashsim.ErrInterrupted) || !errors.Is(err, flashsim.ErrClosed) {
		t.Fatalf("err = %v", err)
	}
	if d := time.Since(start); d > time.Second {
		t.Errorf("Close took %v to stop the write", d)
	}
	disk, _ := os.ReadFile(path)
	n := bytes.IndexByte(disk, 0xFF)
	if n <= 0 || n >= len(data) || n%g.PageSize != 0 || !bytes.Equal(disk[:n], data[:n]) {
		t.Fatalf("flash holds %d programmed bytes: want a whole number of pages, fewer than %d", n, len(data))
	}
}

func TestTimingIsModelled(t *testing.T) {
	g := small
	g.PageProgram = time.Millisecond / 4
	c, _ := open(t, g)
	start := time.Now()
	if err := c.Program(context.Background(), 0, make([]byte, 40*g.PageSize)); err != nil {
		t.Fatal(err)
	}
	// 40 pages x 250 µs = 10 ms: never faster than the model.
	if d := time.Since(start); d < 9*time.Millisecond {
		t.Errorf("40 page programs took %v, model says 10 ms", d)
	}
}

// drops_last_page: a write across pages reports success with its last
// (partial) page still erased; everything before it is written.
func TestDropsLastPage(t *testing.T) {
	ctx := context.Background()
	data := bytes.Repeat([]byte{0x5A}, 3*256+100) // pages at 0x100..0x3ff and 100 bytes more
	for _, on := range []bool{false, true} {
		c, _ := open(t, small)
		c.SetDropsLastPage(on)
		if err := c.Program(ctx, 0x100, data); err != nil {
			t.Fatal(err)
		}
		got := read(t, c, 0x100, len(data))
		lastPage := got[3*256:]
		if !bytes.Equal(got[:3*256], data[:3*256]) {
			t.Fatalf("defect %v: the pages before the last differ", on)
		}
		wantLast := data[3*256:]
		if on {
			wantLast = bytes.Repeat([]byte{0xFF}, 100)
		}
		if !bytes.Equal(lastPage, wantLast) {
			t.Fatalf("defect %v: last page % x, want % x", on, lastPage[:4], wantLast[:4])
		}
	}
}

// SetPowerCut (the fault matrix's power cut during a reflash): each kind of
// operation stops where the cut lands, and only the operations asked for
// are cut.
func TestSetPowerCut(t *testing.T) {
	ctx := context.Background()
	c, _ := open(t, small)
	if err := c.Program(ctx, 0, make([]byte, small.EraseSize)); err != nil {
		t.Fatal(err)
	}
	var asked []flashsim.Op
	failed := 0
	only := func(want flashsim.Op) *flashsim.PowerCut {
		return &flashsim.PowerCut{Cuts: func(op flashsim.Op) bool { return op == want }, Fails: func() { failed++ }}
	}
	c.SetPowerCut(&flashsim.PowerCut{
		Cuts: func(op flashsim.Op) bool {
			asked = append(asked, op)
			return op != flashsim.OpRead || len(asked) > 3
		},
		Fails: func() { failed++ },
	})
	// Erase of one sector: cut half-way, the sector half-erased.
	if err := c.Erase(ctx, 0, small.EraseSize); !errors.Is(err, flashsim.ErrInterrupted) {
		t.Fatalf("erase: %v", err)
	}
	half := small.EraseSize / 2
	got := read(t, c, 0, small.EraseSize) // not cut: the third op asked
	if !bytes.Equal(got[:half], bytes.Repeat([]byte{0xFF}, half)) || !bytes.Equal(got[half:], make([]byte, half)) {
		t.Fatal("want the first half of the sector erased, the rest untouched")
	}
	// Program: only its first page written.
	if err := c.Erase(ctx, small.EraseSize, small.EraseSize); !errors.Is(err, flashsim.ErrInterrupted) {
		t.Fatalf("second erase: %v", err)
	}
	c.SetPowerCut(only(flashsim.OpProgram))
	if err := c.Program(ctx, 2*small.EraseSize, make([]byte, 3*small.PageSize)); !errors.Is(err, flashsim.ErrInterrupted) {
		t.Fatalf("program: %v", err)
	}
	c.SetPowerCut(nil)
	got = read(t, c, 2*small.EraseSize, 2*small.PageSize)
	if !bytes.Equal(got[:small.PageSize], make([]byte, small.PageSize)) || !bytes.Equal(got[small.PageSize:], bytes.Repeat([]byte{0xFF}, small.PageSize)) {
		t.Fatal("want exactly the first page programmed")
	}
	c.SetPowerCut(only(flashsim.OpRead))
	if _, err := c.ReadAt(make([]byte, 4), 0); !errors.Is(err, flashsim.ErrInterrupted) {
		t.Fatalf("read: %v", err)
	}
	// The power fails once per cut, where it lands: two erases, a
	// program, a read.
	if failed != 4 {
		t.Fatalf("the power failed %d times, want 4", failed)
	}
}
