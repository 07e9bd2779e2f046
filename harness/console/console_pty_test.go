package console

import (
	"bytes"
	"errors"
	"io"
	"strings"
	"testing"
)

func TestExpectOverPtyWithDeviceGoroutine(t *testing.T) {
	c, pair := ptyConsole(t)
	ctx := ctxFor(t, "boot markers")
	lines := []string{
		"U-Boot 2016.11 (Jan 01 2020) hi3516dv300\r\n",
		"Hit any key to stop autoboot:  2",
		"\r\n## Booting kernel from Legacy Image at 80600000 ...\r\n",
		"Starting kernel ...\r\n",
		"Check dir /dav ok!\r\n",
	}
	go func() {
		// The device: boot lines, some split mid-marker, written as a UART
		// would deliver them (in pieces).
		for _, l := range lines {
			for len(l) > 0 {
				n := min(len(l), 7)
				if _, err := pair.Master.Write([]byte(l[:n])); err != nil {
					return
				}
				l = l[n:]
			}
		}
	}()
	m, err := c.Expect(ctx, Lit("no such line"), Re(`autoboot:\s+(\d)`))
	if err != nil {
		t.Fatal(err)
	}
	if m.Index != 1 || m.Groups[0] != "2" || !strings.HasPrefix(m.Before, "U-Boot 2016.11") {
		t.Fatalf("autoboot match = %+v", m)
	}
	if m.At.IsZero() || m.Offset != int64(strings.Index(strings.Join(lines, ""), "autoboot:")) {
		t.Fatalf("match time %v offset %d", m.At, m.Offset)
	}
	m, err = c.Expect(ctx, Lit("Check dir /dav ok!"))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(m.Before, "Starting kernel") {
		t.Fatalf("Before = %q", m.Before)
	}
	if err := c.Send(ctx, "printenv\r"); err != nil {
		t.Fatal(err)
	}
	if got := readMaster(t, pair, 9); string(got) != "printenv\r" {
		t.Fatalf("device got %q", got)
	}
	if got := c.Transcript().String(); got != strings.Join(lines, "") {
		t.Fatalf("transcript = %q", got)
	}
}

func TestGarbageNULsAndWrongBaudLineDoNotBreakExpect(t *testing.T) {
	c, pair := ptyConsole(t)
	ctx := ctxFor(t, "marker after garbage")
	// What a 115200 line read at 9600 (or a floating RX pin) looks like:
	// high bytes, NULs, invalid UTF-8, stray CRs.
	garbage := []byte{0x00, 0xff, 0xfe, 0x80, 0x00, 0xc3, 0x28, 0xe0, 0x80, '\r', 0x00, 0xf8, 0x78, 0x80, 0xf8, 0x00}
	stream := append(append([]byte{}, garbage...), "\x00Linux version 3.10.14\r\n\xff\xfeinit started: BusyBox v1.19.3\r\n"...)
	if _, err := pair.Master.Write(stream); err != nil {
		t.Fatal(err)
	}
	m, err := c.Expect(ctx, Re(`init started: BusyBox v[\d.]+`))
	if err != nil {
		t.Fatal(err)
	}
	if m.Text != "init started: BusyBox v1.19.3" {
		t.Fatalf("text = %q", m.Text)
	}
	if !bytes.Equal([]byte(m.Before), stream[:m.Offset]) {
		t.Fatalf("Before lost bytes: %q", m.Before)
	}
	var all bytes.Buffer
	c.Transcript().WriteTo(&all)
	if !bytes.Equal(all.Bytes(), stream) {
		t.Fatalf("transcript changed bytes: %q", all.Bytes())
	}
	// A literal made of garbage matches byte for byte too.
	c2, pair2 := ptyConsole(t)
	pair2.Master.Write(stream)
	if m, err := c2.Expect(ctx, Lit(string(garbage[8:14]))); err != nil || m.Offset != 8 {
		t.Fatalf("garbage literal: %+v %v", m, err)
	}
}

func TestReadContextConsumesAfterCursor(t *testing.T) {
	c, pair := ptyConsole(t)
	ctx := ctxFor(t, "ymodem bytes")
	pair.Master.Write([]byte("## Ready for binary (ymodem) download\r\nCC"))
	if _, err := c.Expect(ctx, Lit("download\r\n")); err != nil {
		t.Fatal(err)
	}
	buf := make([]byte, 16)
	n, err := c.ReadContext(ctx, buf)
	if err != nil || string(buf[:n]) != "CC" {
		t.Fatalf("ReadContext = %q, %v", buf[:n], err)
	}
	pair.Master.Write([]byte{0x06, 0x00, 0xff})
	got := make([]byte, 0, 3)
	for len(got) < 3 {
		n, err := c.ReadContext(ctx, buf)
		if err != nil {
			t.Fatal(err)
		}
		got = append(got, buf[:n]...)
	}
	if !bytes.Equal(got, []byte{0x06, 0x00, 0xff}) {
		t.Fatalf("got % x", got)
	}
	// Consumed: Expect starts after them.
	pair.Master.Write([]byte("=> "))
	if m, err := c.Expect(ctx, Lit("=> ")); err != nil || m.Before != "" {
		t.Fatalf("after ReadContext: %+v %v", m, err)
	}
}

func TestReaderSeesStreamWithoutMovingCursorAndEndsAtClose(t *testing.T) {
	c, pair := ptyConsole(t)
	ctx := ctxFor(t, "reader")
	r := c.Reader()
	pair.Master.Write([]byte("one\r\ntwo\r\n"))
	if _, err := c.Expect(ctx, Lit("two")); err != nil {
		t.Fatal(err)
	}
	done := make(chan []byte)
	go func() {
		b, _ := io.ReadAll(r)
		done <- b
	}()
	c.Close()
	if got := <-done; string(got) != "one\r\ntwo\r\n" {
		t.Fatalf("reader got %q", got)
	}
}

func TestSetBaudOnPty(t *testing.T) {
	c, _ := ptyConsole(t)
	if err := c.SetBaud(921600); err != nil {
		t.Fatal(err)
	}
	if c.Baud() != 921600 {
		t.Fatalf("baud = %d", c.Baud())
	}
	if err := c.SetBaud(0); err == nil {
		t.Fatal("baud 0 accepted")
	}
}

func TestClosedConsoleFailsClearly(t *testing.T) {
	c, _ := ptyConsole(t)
	c.Close()
	_, err := c.Expect(ctxFor(t, "x"), Lit("x"))
	if !errors.Is(err, ErrClosed) {
		t.Fatalf("Expect after Close: %v", err)
	}
	if _, err := c.Write([]byte("x")); !errors.Is(err, ErrClosed) {
		t.Fatalf("Write after Close: %v", err)
	}
	if err := c.Close(); err != nil {
		t.Fatalf("second Close: %v", err)
	}
}
