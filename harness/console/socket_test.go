package console

import (
	"bufio"
	"errors"
	"net"
	"path/filepath"
	"strings"
	"testing"
)

// serveOnce accepts connections on l and, for each, writes greet and
// reports the first line it reads back; it stands in for qemu's
// `-serial tcp:...,server` / `-serial unix:...,server`.
func serveOnce(t *testing.T, l net.Listener, greet string) (lines chan string, conns chan net.Conn) {
	lines, conns = make(chan string, 4), make(chan net.Conn, 4)
	go func() {
		for {
			conn, err := l.Accept()
			if err != nil {
				return
			}
			conns <- conn
			conn.Write([]byte(greet))
			go func() {
				line, err := bufio.NewReader(conn).ReadString('\r')
				if err == nil {
					lines <- line
				}
			}()
		}
	}()
	return lines, conns
}

func TestTCPConsoleAndReconnect(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	lines, conns := serveOnce(t, l, "U-Boot 2024.01\r\n=> ")
	c, err := Open(ctxFor(t, "open"), Config{Port: "tcp://" + l.Addr().String()}, WithTranscriptDir(t.TempDir()))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	ctx := ctxFor(t, "tcp console")
	if _, err := c.Expect(ctx, Lit("=> ")); err != nil {
		t.Fatal(err)
	}
	if err := c.Send(ctx, "version\r"); err != nil {
		t.Fatal(err)
	}
	if got := <-lines; got != "version\r" {
		t.Fatalf("server got %q", got)
	}
	if err := c.SetBaud(9600); err != nil {
		t.Fatalf("SetBaud on a socket: %v", err)
	}
	// qemu quits: listener and connection go, so the console stays
	// disconnected (redials are refused) until qemu is back.
	addr := l.Addr().String()
	l.Close()
	(<-conns).Close()
	if _, err := c.Expect(ctx, Lit("never")); !errors.Is(err, ErrDisconnected) {
		t.Fatalf("after server hangup: %v", err)
	}
	l2, err := net.Listen("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer l2.Close()
	serveOnce(t, l2, "U-Boot 2024.01\r\n=> ")
	if err := c.WaitConnected(ctx); err != nil {
		t.Fatal(err)
	}
	if m, err := c.Expect(ctx, Lit("=> ")); err != nil || !strings.Contains(m.Before, "U-Boot") {
		t.Fatalf("after reconnect: %+v %v", m, err)
	}
}

func TestUnixSocketConsole(t *testing.T) {
	path := filepath.Join(t.TempDir(), "qemu-serial.sock")
	l, err := net.Listen("unix", path)
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	lines, _ := serveOnce(t, l, "Hit any key to stop autoboot:  2")
	c, err := Open(ctxFor(t, "open"), Config{Port: "unix://" + path}, WithTranscriptDir(t.TempDir()))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	ctx := ctxFor(t, "unix console")
	if m, err := c.Expect(ctx, Re(`autoboot:\s+(\d)`)); err != nil || m.Groups[0] != "2" {
		t.Fatalf("%+v %v", m, err)
	}
	c.Send(ctx, " \r")
	if got := <-lines; got != " \r" {
		t.Fatalf("server got %q", got)
	}
}

func TestOpenRejects(t *testing.T) {
	cases := []struct {
		cfg  Config
		want string
	}{
		{Config{}, "no port"},
		{Config{Port: "tcp://10.0.0.2:5000"}, "not a loopback address"},
		{Config{Port: "tcp://camera.local:5000"}, "not a loopback address"},
		{Config{Port: "rfc2217://192.168.1.10:2217"}, "not a loopback address"},
		{Config{Port: "tcp://127.0.0.1"}, "missing port"},
		{Config{Port: "unix://relative.sock"}, "absolute"},
		{Config{Port: "telnet://127.0.0.1:23"}, `unknown scheme "telnet"`},
		{Config{Port: "/dev/x", Baud: -1}, "baud -1"},
		{Config{Port: "/dev/x", DataBits: 9}, "data_bits 9"},
		{Config{Port: "/dev/x", StopBits: 3}, "stop_bits 3"},
		{Config{Port: "/dev/x", Parity: "weird"}, `parity "weird"`},
		{Config{Port: filepath.Join("/nonexistent", "ttyUSB9")}, "/nonexistent/ttyUSB9: stat: no such file"},
	}
	for _, c := range cases {
		_, err := Open(ctxFor(t, "open"), c.cfg)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("Open(%+v) = %v, want error containing %q", c.cfg, err, c.want)
		}
	}
}

func TestConfigDefaultsAndFraming(t *testing.T) {
	c, err := Config{Port: "/dev/x", Parity: "E", StopBits: 2, DataBits: 7}.withDefaults()
	if err != nil || c.Framing() != "115200 7E2" {
		t.Fatalf("%+v %v", c, err)
	}
	c, _ = Config{Port: "/dev/x"}.withDefaults()
	if c.Framing() != "115200 8N1" {
		t.Fatal(c.Framing())
	}
}
