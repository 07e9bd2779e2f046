package qemusim

import (
	"bufio"
	"bytes"
	"context"
	"net"
	"strings"
	"testing"
	"time"
)

const greeting = `{"QMP": {"version": {"qemu": {"micro": 22, "minor": 2, "major": 7}, "package": "Debian"}, "capabilities": ["oob"]}}` + "\r\n"

// fakeQEMU answers the launcher's handshake from a script: it sends
// greeting, reads one command, then sends answer (or hangs up when answer
// is empty).
func fakeQEMU(t *testing.T, greet, answer string) (net.Conn, chan string) {
	t.Helper()
	srv, cli := net.Pipe()
	t.Cleanup(func() { srv.Close(); cli.Close() })
	got := make(chan string, 1)
	go func() {
		if _, err := srv.Write([]byte(greet)); err != nil {
			return
		}
		line, err := bufio.NewReader(srv).ReadString('\n')
		got <- line
		if err != nil {
			return
		}
		if answer == "" {
			srv.Close() // QEMU went away
			return
		}
		srv.Write([]byte(answer))
	}()
	return cli, got
}

func TestHandshake(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	conn, got := fakeQEMU(t, greeting, `{"event": "NIC_RX_FILTER_CHANGED", "data": {}}`+"\r\n"+`{"return": {}}`+"\r\n")
	v, err := handshake(ctx, conn)
	if err != nil || v != "7.2.22" {
		t.Fatalf("handshake = %q, %v", v, err)
	}
	if cmd := <-got; !strings.Contains(cmd, `"qmp_capabilities"`) {
		t.Fatalf("the launcher sent %q", cmd)
	}
}

func TestHandshakeRefuses(t *testing.T) {
	for _, tc := range []struct{ name, greet, answer, want string }{
		{"a serial port, not QMP", "U-Boot 2023.01\r\n", "", "reading the greeting"},
		{"JSON that is no greeting", `{"return": {}}` + "\r\n", "", "not a QMP greeting"},
		{"an error answer", greeting, `{"error": {"class": "CommandNotFound", "desc": "nope"}}` + "\r\n", "CommandNotFound: nope"},
		{"an answer of no kind", greeting, `{"hello": 1}` + "\r\n", "neither a return"},
		{"hang-up", greeting, "", "waiting for the answer"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			defer cancel()
			conn, _ := fakeQEMU(t, tc.greet, tc.answer)
			_, err := handshake(ctx, conn)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("err = %v, want %q", err, tc.want)
			}
		})
	}
}

// A QEMU that never answers is bounded by ctx.
func TestHandshakeBoundedByContext(t *testing.T) {
	srv, cli := net.Pipe()
	defer srv.Close()
	defer cli.Close()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() {
		_, err := handshake(ctx, cli)
		done <- err
	}()
	cancel()
	if err := <-done; err == nil {
		t.Fatal("handshake returned without an error on a silent peer")
	}
}

// scriptConn is a net.Conn whose reads come from a script and whose writes
// are discarded.
type scriptConn struct {
	net.Conn
	r *bytes.Reader
}

func (c scriptConn) Read(p []byte) (int, error)         { return c.r.Read(p) }
func (c scriptConn) Write(p []byte) (int, error)        { return len(p), nil }
func (c scriptConn) SetDeadline(t time.Time) error      { return nil }
func (c scriptConn) SetReadDeadline(t time.Time) error  { return nil }
func (c scriptConn) SetWriteDeadline(t time.Time) error { return nil }

// FuzzHandshake: whatever a peer sends, the handshake returns (never
// panics, never reads past maxControlBytes) and succeeds only after a
// greeting and a return.
func FuzzHandshake(f *testing.F) {
	f.Add([]byte(greeting + `{"return": {}}`))
	f.Add([]byte(greeting + `{"event": "X"}{"return": {}}`))
	f.Add([]byte(`{"QMP": {}}{"error": {}}`))
	f.Add([]byte("U-Boot\r\n=> "))
	f.Fuzz(func(t *testing.T, data []byte) {
		r := bytes.NewReader(data)
		_, err := handshake(context.Background(), scriptConn{r: r})
		if int(r.Size())-r.Len() > maxControlBytes {
			t.Fatalf("read %d bytes", int(r.Size())-r.Len())
		}
		if err == nil && (!bytes.Contains(data, []byte(`"QMP"`)) || !bytes.Contains(data, []byte(`"return"`))) {
			t.Fatalf("accepted %q", data)
		}
	})
}
