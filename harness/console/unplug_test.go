package console

import (
	"errors"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/camrig/camrig/harness/clock/clocktest"
	"github.com/camrig/camrig/harness/timeline"
	"github.com/camrig/camrig/rigs/virtual/pty"
)

// TestUnplugThenReplug pulls the "USB adapter" (closes the pty pair and
// removes its symlink) under a pending Expect, then plugs a new one in at
// the same path. The console's clock is fake and never advanced, so the
// reopen can only come from watching the path, not from a retry timer.
func TestUnplugThenReplug(t *testing.T) {
	link := filepath.Join(t.TempDir(), "by-id", "usb-FTDI_FT232R-if00")
	pair, err := pty.Open(link)
	if err != nil {
		t.Fatal(err)
	}
	defer pair.Close()
	fake := clocktest.New(time.Unix(1700000000, 0))
	tl := timeline.New("cam1")
	c, err := Open(ctxFor(t, "open"), Config{Port: link}, WithClock(fake), WithTimeline(tl), WithTranscriptDir(t.TempDir()))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	ctx := ctxFor(t, "unplug test")

	pair.Master.Write([]byte("before unplug\r\n"))
	if _, err := c.Expect(ctx, Lit("before unplug")); err != nil {
		t.Fatal(err)
	}
	pending := make(chan error, 1)
	go func() {
		_, err := c.Expect(ctx, Lit("never sent"))
		pending <- err
	}()
	pair.Unplug()

	err = <-pending
	if !errors.Is(err, ErrDisconnected) || !strings.Contains(err.Error(), link) || !strings.Contains(err.Error(), "never sent") {
		t.Fatalf("pending Expect after unplug: %v", err)
	}
	if _, err := c.Expect(ctx, Lit("anything")); !errors.Is(err, ErrDisconnected) {
		t.Fatalf("Expect while unplugged: %v", err)
	}
	if _, err := c.Write([]byte("x")); !errors.Is(err, ErrDisconnected) {
		t.Fatalf("Write while unplugged: %v", err)
	}
	if c.Connected() {
		t.Fatal("still connected")
	}

	pair2, err := pty.Open(link)
	if err != nil {
		t.Fatal(err)
	}
	defer pair2.Close()
	if err := c.WaitConnected(ctx); err != nil {
		t.Fatal(err)
	}
	pair2.Master.Write([]byte("U-Boot after replug\r\n"))
	m, err := c.Expect(ctx, Lit("after replug"))
	if err != nil {
		t.Fatal(err)
	}
	if m.Offset != int64(len("before unplug\r\nU-Boot ")) {
		t.Fatalf("offset after replug = %d", m.Offset)
	}
	if err := c.Send(ctx, "\x15"); err != nil {
		t.Fatal(err)
	}
	if got := readMaster(t, pair2, 1); got[0] != 0x15 {
		t.Fatalf("device got %q", got)
	}
	var kinds []string
	for _, e := range tl.Events() {
		kinds = append(kinds, e.Kind)
	}
	if got := strings.Join(kinds, ","); !strings.Contains(got, "disconnected") || !strings.Contains(got, "reconnected") {
		t.Fatalf("timeline kinds: %s", got)
	}
}

func TestCloseWhileUnpluggedEndsReopen(t *testing.T) {
	c, pair := ptyConsole(t, WithClock(clocktest.New(time.Unix(0, 0))))
	pair.Unplug()
	// Expect returns once the reader has seen the hangup.
	if _, err := c.Expect(ctxFor(t, "drop"), Lit("never")); !errors.Is(err, ErrDisconnected) {
		t.Fatalf("Expect after unplug: %v", err)
	}
	done := make(chan error)
	go func() { done <- c.Close() }()
	select {
	case <-done:
	case <-time.After(testDeadline):
		t.Fatal("Close hung while the console was reopening")
	}
	if err := c.WaitConnected(ctxFor(t, "closed")); !errors.Is(err, ErrClosed) {
		t.Fatalf("WaitConnected after Close: %v", err)
	}
}

// TestReplugMarksTheGapAndNoMatchStraddlesIt: the unit was half-way through
// a line when the adapter was pulled. After the replug the transcript says
// bytes were lost there, and an Expect begun after the replug does not
// stitch the half line before the gap to the bytes after it.
func TestReplugMarksTheGapAndNoMatchStraddlesIt(t *testing.T) {
	link := filepath.Join(t.TempDir(), "by-id", "usb-FTDI_FT232R-if00")
	pair, err := pty.Open(link)
	if err != nil {
		t.Fatal(err)
	}
	defer pair.Close()
	c, err := Open(ctxFor(t, "open"), Config{Port: link}, WithTranscriptDir(t.TempDir()))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	ctx := ctxFor(t, "replug")
	rd := c.Reader()
	ch := c.Transcript().Changed()
	pair.Master.Write([]byte("app: rea"))
	for c.Transcript().Len() < int64(len("app: rea")) {
		<-ch
		ch = c.Transcript().Changed()
	}
	pair.Unplug()
	if _, err := c.Expect(ctx, Lit("never")); !errors.Is(err, ErrDisconnected) {
		t.Fatalf("Expect across the unplug: %v", err)
	}
	pair2, err := pty.Open(link)
	if err != nil {
		t.Fatal(err)
	}
	defer pair2.Close()
	if err := c.WaitConnected(ctx); err != nil {
		t.Fatal(err)
	}
	pair2.Master.Write([]byte("dy\r\nU-Boot 2016.11\r\napp: ready\r\n"))
	// Nothing was consumed before the unplug: the cursor is still at 0.
	m, err := c.Expect(ctx, Lit("ready"), Re(`rea\S*dy`))
	if err != nil {
		t.Fatal(err)
	}
	if want := int64(len("app: rea" + "dy\r\nU-Boot 2016.11\r\napp: ")); m.Offset != want {
		t.Fatalf("pattern %d matched at %d (%q), want the whole word after the replug at %d", m.Index, m.Offset, m.Text, want)
	}
	gaps := c.Transcript().Gaps()
	if len(gaps) != 1 || gaps[0].Offset != int64(len("app: rea")) || gaps[0].Up.Before(gaps[0].Down) {
		t.Fatalf("gaps = %+v", gaps)
	}
	text := c.Transcript().String()
	if !strings.HasPrefix(text, "app: rea\n[camrig: console disconnected ") || !strings.Contains(text, "what the unit said meanwhile is lost]\ndy\r\nU-Boot") {
		t.Fatalf("transcript does not mark the gap on a line of its own:\n%s", text)
	}
	var timed strings.Builder
	if err := c.Transcript().WriteTimed(&timed); err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(timed.String(), "\n")
	if len(lines) < 3 || !strings.HasSuffix(lines[0], " app: rea") || !strings.Contains(lines[1], " [camrig: console disconnected ") || !strings.HasSuffix(lines[2], " dy") {
		t.Fatalf("timed transcript:\n%s", timed.String())
	}
	// The reader camrig console streams from shows the gap too.
	var streamed []byte
	buf := make([]byte, 64)
	for !strings.HasSuffix(string(streamed), "app: ready\r\n") {
		n, err := rd.Read(buf)
		if err != nil {
			t.Fatalf("reader after %q: %v", streamed, err)
		}
		streamed = append(streamed, buf[:n]...)
	}
	if got := string(streamed); !strings.HasPrefix(got, "app: rea\n[camrig: console disconnected ") || !strings.HasSuffix(got, "meanwhile is lost]\ndy\r\nU-Boot 2016.11\r\napp: ready\r\n") {
		t.Fatalf("streamed %q", got)
	}
	var from strings.Builder
	if _, err := c.Transcript().WriteFrom(&from, int64(len("app: rea"))); err != nil || !strings.HasPrefix(from.String(), "\n[camrig: console disconnected ") {
		t.Fatalf("WriteFrom the gap: %q, %v", from.String(), err)
	}
}
