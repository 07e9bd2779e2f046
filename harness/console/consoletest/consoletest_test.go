package consoletest_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/camrig/camrig/harness/clock"
	"github.com/camrig/camrig/harness/console"
	"github.com/camrig/camrig/harness/console/consoletest"
)

func ctx(t *testing.T) context.Context {
	c, cancel := clock.WithTimeout(context.Background(), clock.Real{}, 10*time.Second, t.Name())
	t.Cleanup(cancel)
	return c
}

func TestScriptedBootloader(t *testing.T) {
	c, d := consoletest.New(t)
	d.Print("U-Boot 2016.11\r\nHit any key to stop autoboot:  2")
	d.ReplyOnce(" ", "\r\nhisilicon # ")
	d.Reply("printenv bootdelay\r", "bootdelay=2\r\nhisilicon # ")
	if _, err := c.Expect(ctx(t), console.Lit("autoboot:")); err != nil {
		t.Fatal(err)
	}
	if err := c.Send(ctx(t), " "); err != nil {
		t.Fatal(err)
	}
	if _, err := c.Expect(ctx(t), console.Lit("hisilicon # ")); err != nil {
		t.Fatal(err)
	}
	c.Send(ctx(t), "printenv bootdelay\r")
	m, err := c.Expect(ctx(t), console.Re(`bootdelay=(\d+)`))
	if err != nil || m.Groups[0] != "2" {
		t.Fatalf("%+v %v", m, err)
	}
	if err := d.Expect(ctx(t), "printenv bootdelay\r"); err != nil {
		t.Fatal(err)
	}
	if got := string(d.Received()); got != " printenv bootdelay\r" {
		t.Fatalf("received %q", got)
	}
	if err := c.SetBaud(921600); err != nil || d.Baud() != 921600 {
		t.Fatalf("baud %d, %v", d.Baud(), err)
	}
}

func TestUnplugAndPlug(t *testing.T) {
	c, d := consoletest.New(t)
	d.Unplug()
	if _, err := c.Expect(ctx(t), console.Lit("x")); !errors.Is(err, console.ErrDisconnected) {
		t.Fatalf("after Unplug: %v", err)
	}
	d.Plug()
	if err := c.WaitConnected(ctx(t)); err != nil {
		t.Fatal(err)
	}
	d.Print("back\r\n")
	if _, err := c.Expect(ctx(t), console.Lit("back")); err != nil {
		t.Fatal(err)
	}
}

func TestOnWriteSeesRawBytes(t *testing.T) {
	c, d := consoletest.New(t)
	got := make(chan []byte, 1)
	d.OnWrite(func(d *consoletest.Device, p []byte) {
		got <- p
		d.Write([]byte{0x06}) // ACK
	})
	c.Write([]byte{0x01, 0x00, 0xff})
	if p := <-got; len(p) != 3 || p[2] != 0xff {
		t.Fatalf("OnWrite got % x", p)
	}
	b := make([]byte, 4)
	n, err := c.ReadContext(ctx(t), b)
	if err != nil || n != 1 || b[0] != 0x06 {
		t.Fatalf("ReadContext = % x, %v", b[:n], err)
	}
}

// TestTrickleSplitsEveryLineAndRegexStillSeesWholeLines: a boot log handed
// over in 7-byte pieces reaches the console as 7-byte reads; a regular
// expression still captures whole tokens.
func TestTrickleSplitsEveryLineAndRegexStillSeesWholeLines(t *testing.T) {
	c, d := consoletest.New(t)
	log := "U-Boot 2016.11\r\nStarting kernel ...\r\n[    0.000000] Linux version 3.18.20-hisi_v500 (build@host) #1\r\n[    0.1] ubi0: attaching\r\n"
	go d.Trickle(log, 7)
	m, err := c.Expect(ctx(t), console.Re(`Linux version (\S+)`))
	if err != nil || m.Groups[0] != "3.18.20-hisi_v500" {
		t.Fatalf("%+v %v", m, err)
	}
	if _, err := c.Expect(ctx(t), console.Lit("attaching\r\n")); err != nil {
		t.Fatal(err)
	}
	var sizes []int
	c.Transcript().Chunks(func(ch console.Chunk) error {
		sizes = append(sizes, len(ch.Data))
		return nil
	})
	for i, n := range sizes {
		if n != 7 && i != len(sizes)-1 {
			t.Fatalf("chunk sizes %v: want 7-byte reads", sizes)
		}
	}
}
