package ubootsim_test

import (
	"bytes"
	"context"
	"fmt"
	"hash/crc32"
	"strings"
	"testing"
	"time"

	"github.com/camrig/camrig/rigs/virtual/ubootsim"
)

const (
	SOH = 0x01
	STX = 0x02
	EOT = 0x04
	ACK = 0x06
	NAK = 0x15
	CAN = 0x18
)

// block builds a packet the way a sender would.
func block(blk byte, size int, data []byte, fill byte) []byte {
	body := make([]byte, size)
	n := copy(body, data)
	for i := n; i < size; i++ {
		body[i] = fill
	}
	start := byte(SOH)
	if size == 1024 {
		start = STX
	}
	p := append([]byte{start, blk, ^blk}, body...)
	c := crc16(body)
	return append(p, byte(c>>8), byte(c))
}

func crc16(p []byte) uint16 {
	var c uint16
	for _, b := range p {
		c ^= uint16(b) << 8
		for range 8 {
			if c&0x8000 != 0 {
				c = c<<1 ^ 0x1021
			} else {
				c <<= 1
			}
		}
	}
	return c
}

// startCmd runs a command in the background; wait returns its error.
func startCmd(t *testing.T, r *rig, io *bufIO, args ...string) (wait func() error) {
	t.Helper()
	done := make(chan error, 1)
	go func() { done <- r.run(t, io, args...) }()
	return func() error {
		t.Helper()
		select {
		case err := <-done:
			return err
		case <-time.After(20 * time.Second):
			t.Fatalf("%v did not finish", args)
			return nil
		}
	}
}

// TestLoadyProtocolDetails scripts a sender byte by byte through U-Boot's
// corner cases: no 'C' after block 0, a bad complement, a duplicate, a bad
// CRC, EOT answered with ACK ACK 'C', the final block 0. It runs at U-Boot's
// own timing, not fastTiming: the script answers the receiver step by step,
// and every answer must arrive within the receiver's character timeout
// (20 ms in fastTiming, which a loaded machine's stall under -race passed:
// a spurious timeout, a retry too many, or 10 headers timed out before
// block 0 was sent). The real 2 s makes the test wait about 7 s (the
// timeouts it provokes), beside the package's other tests.
func TestLoadyProtocolDetails(t *testing.T) {
	t.Parallel()
	timing := ubootsim.DefaultTiming()
	r := newRig(t, w25q128, ubootsim.WithTiming(timing))
	io := newBufIO()
	wait := startCmd(t, r, io, "loady")
	io.waitFor(t, "## Ready for binary (ymodem) download to 0x82000000 at 115200 bps...\r\n")
	io.waitFor(t, "C")
	data := randomBytes(300, 1)

	io.send(block(0, 128, []byte("fw.bin\x00300 14254121062"), 0)...)
	io.waitFor(t, "\x06")
	acked := time.Now()
	io.waitFor(t, "C") // only after the character timeout: U-Boot sends no 'C' after block 0
	if d := time.Since(acked); d < timing.CharTimeout {
		t.Errorf("'C' %v after block 0's ACK, before the %v timeout", d, timing.CharTimeout)
	}
	bad := block(1, 128, data, 0x1A)
	bad[2] = 0x00 // blk ^ ~blk != 0xFF
	io.send(bad...)
	io.waitFor(t, "C")
	io.send(block(1, 128, data[:128], 0x1A)...)
	io.send(block(1, 128, data[:128], 0x1A)...) // a repeat is ACKed again
	io.waitFor(t, "\x06\x06")
	badCRC := block(2, 128, data[128:256], 0x1A)
	badCRC[50] ^= 1
	io.send(badCRC...)
	io.waitFor(t, "C")
	io.send(block(2, 128, data[128:256], 0x1A)...)
	io.send(block(3, 128, data[256:], 0x1A)...)
	io.waitFor(t, "\x06")
	io.send(EOT)
	io.waitFor(t, "\x06\x06\x06C") // ACK for block 3, then ACK ACK 'C' for the EOT
	io.send(block(0, 128, nil, 0)...)
	io.waitFor(t, "\x06")
	if err := wait(); err != nil {
		t.Fatal(err)
	}
	tail := io.waitFor(t, "## Start Addr      = 0x82000000\r\n")
	want := "xyzModem - CRC mode, 8(SOH)/0(STX)/0(CAN) packets, 4 retries\r\n## Total Size      = 0x0000012c = 300 Bytes\r\n"
	if tail != want {
		t.Errorf("summary %q, want %q", tail, want)
	}
	if got, _ := r.ram.Read(ramBase, 301); !bytes.Equal(got[:300], data) || got[300] != 0 {
		t.Error("RAM does not hold exactly the 300 bytes")
	}
	if v, _ := r.env.Get("filesize"); v != "12c" {
		t.Errorf("filesize = %q", v)
	}
}

func TestLoadyCancelledMidway(t *testing.T) {
	r := newRig(t, w25q128, ubootsim.WithTiming(fastTiming))
	io := newBufIO()
	wait := startCmd(t, r, io, "loady", "83000000")
	io.waitFor(t, "C")
	io.send(block(0, 128, []byte("a\x002000"), 0)...)
	io.send(block(1, 1024, randomBytes(1024, 2), 0x1A)...)
	io.waitFor(t, "\x06\x06")
	io.send(CAN, CAN, CAN)
	err := wait()
	if err == nil || err.Error() != "## Binary (kermit) download aborted" {
		t.Fatalf("err = %v", err)
	}
	out := io.waitFor(t, "## Binary (kermit) download aborted")
	if !strings.Contains(out, "xyzModem - CRC mode, 1(SOH)/1(STX)/3(CAN) packets, 0 retries\r\nCancelled\r\n") {
		t.Errorf("output %q", out)
	}
}

// TestLoadyFallsBackToChecksum: nobody sends; after 10 header timeouts the
// receiver asks with NAK, and after 20 it gives up.
func TestLoadyFallsBackToChecksum(t *testing.T) {
	r := newRig(t, w25q128, ubootsim.WithTiming(fastTiming))
	io := newBufIO()
	if err := r.run(t, io, "loady"); err != nil {
		t.Fatal(err) // U-Boot reports an open failure but returns success
	}
	out := io.output()
	want := "## Ready for binary (ymodem) download to 0x82000000 at 115200 bps...\r\n" +
		strings.Repeat("C", 10) + strings.Repeat("\x15", 11) + // the first and 20 retries
		"Timed out\r\nxyzModem - Cksum mode, 0(SOH)/0(STX)/0(CAN) packets, 20 retries\r\n" +
		"## Total Size      = 0x00000000 = 0 Bytes\r\n## Start Addr      = 0x82000000\r\n"
	if out != want {
		t.Fatalf("output\n%q\nwant\n%q", out, want)
	}
}

// TestLoadxTrimsPadding: XMODEM has no length; U-Boot strips a run of
// three or more ^Z from each block.
func TestLoadxTrimsPadding(t *testing.T) {
	r := newRig(t, w25q128, ubootsim.WithTiming(fastTiming))
	io := newBufIO()
	wait := startCmd(t, r, io, "loadx")
	io.waitFor(t, "## Ready for binary (xmodem) download to 0x82000000 at 115200 bps...\r\nC")
	data := randomBytes(200, 3)
	data[0] = 0x1A
	io.send(block(1, 128, data[:128], 0x1A)...)
	io.send(block(2, 128, data[128:], 0x1A)...)
	io.send(EOT)
	io.waitFor(t, "\x06\x06\x06\x06") // two blocks, then EOT's two ACKs
	if err := wait(); err != nil {
		t.Fatal(err)
	}
	io.waitFor(t, "## Total Size      = 0x000000c8 = 200 Bytes\r\n")
	if got, _ := r.ram.Read(ramBase, 200); !bytes.Equal(got, data) {
		t.Error("RAM differs")
	}
}

func TestLoadArguments(t *testing.T) {
	r := newRig(t, w25q128, ubootsim.WithTiming(fastTiming))
	r.env.Set("loadaddr", "0x83000000")
	cases := []struct {
		args []string
		want string
	}{
		{[]string{"loady"}, "## Ready for binary (ymodem) download to 0x83000000 at 115200 bps...\r\n"},
		{[]string{"loadx", "82100000"}, "## Ready for binary (xmodem) download to 0x82100000 at 115200 bps...\r\n"},
		{[]string{"loady", "82100000", "0"}, "## Ready for binary (ymodem) download to 0x82100000 at 115200 bps...\r\n"},
		{[]string{"loady", "82100000", "115200"}, "## Ready for binary (ymodem) download to 0x82100000 at 115200 bps...\r\n"},
		{[]string{"loady", "nope"}, "Usage:\r\nloady [ off ] [ baud ]"},
		{[]string{"loady", "82000000", "fast"}, "Usage:\r\nloady [ off ] [ baud ]"},
		{[]string{"loady", "1", "2", "3"}, "Usage:\r\nloady [ off ] [ baud ]"},
	}
	for _, c := range cases {
		io := newBufIO()
		io.send(CAN, CAN, CAN) // end any transfer at once
		r.run(t, io, c.args...)
		if !strings.HasPrefix(io.output(), c.want) {
			t.Errorf("%v: output %q, want prefix %q", c.args, io.output(), c.want)
		}
	}
}

// TestLoadyBaudSwitch: `loady addr baud` asks for ENTER at the new rate,
// loads, then asks for ESC at the old one.
func TestLoadyBaudSwitch(t *testing.T) {
	r := newRig(t, w25q128, ubootsim.WithTiming(fastTiming))
	io := newBufIO()
	wait := startCmd(t, r, io, "loady", "82000000", "921600")
	io.waitFor(t, "## Switch baudrate to 921600 bps and press ENTER ...\r\n")
	io.send('x', '\r') // only CR counts
	io.waitFor(t, "## Ready for binary (ymodem) download to 0x82000000 at 921600 bps...\r\nC")
	if b := io.Baud(); b != 921600 {
		t.Fatalf("baud during the transfer %d", b)
	}
	io.send(block(0, 128, []byte("a\x003"), 0)...)
	io.send(block(1, 128, []byte("abc"), 0x1A)...)
	io.send(EOT)
	io.waitFor(t, "C")
	io.send(block(0, 128, nil, 0)...)
	io.waitFor(t, "## Switch baudrate to 115200 bps and press ESC ...\r\n")
	io.send(0x1B)
	if err := wait(); err != nil {
		t.Fatal(err)
	}
	if b := io.Baud(); b != 115200 {
		t.Fatalf("baud after %d", b)
	}
	if got, _ := r.ram.Read(ramBase, 4); string(got) != "abc\x00" {
		t.Fatalf("RAM %q", got)
	}
}

// TestLoadStopsOnPowerLoss: the command's context ends (power cut): it
// returns at once, silently.
func TestLoadStopsOnPowerLoss(t *testing.T) {
	r := newRig(t, w25q128)
	io := newBufIO()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- r.cmds["loady"](ctx, io, r.env, []string{"loady"}) }()
	io.waitFor(t, "C")
	cancel()
	select {
	case err := <-done:
		if err == nil {
			t.Fatal("no error after the power cut")
		}
	case <-time.After(5 * time.Second):
		t.Fatal("loady kept running after the power cut")
	}
	if strings.Contains(io.output(), "xyzModem") {
		t.Error("printed a summary without power")
	}
}

func randomBytes(n int, seed byte) []byte {
	b := make([]byte, n)
	x := uint32(seed)*2654435761 + 1
	for i := range b {
		x ^= x << 13
		x ^= x >> 17
		x ^= x << 5
		b[i] = byte(x)
	}
	return b
}

func crcLine(addr uint64, data []byte) string {
	return fmt.Sprintf("CRC32 for %08x ... %08x ==> %08x", addr, addr+uint64(len(data))-1, crc32.ChecksumIEEE(data))
}
