package console

import (
	"bytes"
	"net"
	"testing"

	"golang.org/x/sys/unix"

	"github.com/camrig/camrig/harness/internal/ser2nettest"
	"github.com/camrig/camrig/rigs/virtual/pty"
)

// startSer2net runs Debian's ser2net as an RFC 2217 server in front of
// device (a pty slave) on a loopback port, and returns that port's address.
func startSer2net(t *testing.T, device string, serverBaud int) string {
	t.Helper()
	return ser2nettest.Start(t, device, serverBaud, ser2nettest.Options{KickOldUser: true})
}

func ttySpeed(t *testing.T, path string) uint32 {
	t.Helper()
	fd, err := unix.Open(path, unix.O_RDWR|unix.O_NOCTTY|unix.O_NONBLOCK, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer unix.Close(fd)
	tio, err := unix.IoctlGetTermios(fd, unix.TCGETS)
	if err != nil {
		t.Fatal(err)
	}
	return tio.Cflag & unix.CBAUD
}

func TestRFC2217AgainstSer2net(t *testing.T) {
	pair, err := pty.Open("")
	if err != nil {
		t.Fatal(err)
	}
	defer pair.Close()
	addr := startSer2net(t, pair.SlavePath, 9600)
	c, err := Open(ctxFor(t, "open"), Config{Port: "rfc2217://" + addr, Baud: 115200}, WithTranscriptDir(t.TempDir()))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	ctx := ctxFor(t, "rfc2217")
	// The handshake's SET-BAUDRATE reached the UART: ser2net opened it at
	// 9600 and we asked for 115200.
	if got := ttySpeed(t, pair.SlavePath); got != unix.B115200 {
		t.Fatalf("tty speed after open = %#o, want B115200", got)
	}
	// 0xFF from the device arrives once (ser2net doubles it, we undo it).
	dev := []byte("U-Boot\xff\x00\xfe\r\n=> ")
	pair.Master.Write(dev)
	if _, err := c.Expect(ctx, Lit("\xff\x00\xfe\r\n=> ")); err != nil {
		t.Fatal(err)
	}
	if got := c.Transcript().String(); got != string(dev) {
		t.Fatalf("transcript = %q", got)
	}
	// And 0xFF from us reaches the device once, CR unchanged.
	if err := c.Send(ctx, "\xffloady\r"); err != nil {
		t.Fatal(err)
	}
	if got := readMaster(t, pair, 7); string(got) != "\xffloady\r" {
		t.Fatalf("device got %q", got)
	}
	// loady's baud switch goes to the real UART behind the server.
	if err := c.SetBaud(57600); err != nil {
		t.Fatal(err)
	}
	if got := ttySpeed(t, pair.SlavePath); got != unix.B57600 {
		t.Fatalf("tty speed after SetBaud = %#o, want B57600", got)
	}
	pair.Master.Write([]byte("## Ready for binary (ymodem) download\r\n"))
	if _, err := c.Expect(ctx, Lit("(ymodem)")); err != nil {
		t.Fatal(err)
	}
}

func TestRFC2217RefusedByPlainTelnet(t *testing.T) {
	// A server that refuses every option (a plain telnet port).
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	go func() {
		conn, err := l.Accept()
		if err != nil {
			return
		}
		defer conn.Close()
		conn.Write([]byte{tnIAC, tnDONT, optComPort})
		buf := make([]byte, 64)
		for {
			if _, err := conn.Read(buf); err != nil {
				return
			}
		}
	}()
	_, err = Open(ctxFor(t, "open"), Config{Port: "rfc2217://" + l.Addr().String()})
	if err == nil || !bytes.Contains([]byte(err.Error()), []byte("refused COM-PORT-OPTION")) {
		t.Fatalf("Open = %v", err)
	}
}
