package qemu

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"net"
	"strings"
	"testing"
	"time"
)

// fakeQMP is the server side of a QMP connection for client tests: it
// answers commands from a table and can push events.
type fakeQMP struct {
	conn    net.Conn
	replies map[string]string // command -> reply body (without id)
	got     chan string       // commands received, in order
}

const greeting = `{"QMP": {"version": {"qemu": {"micro": 22, "minor": 2, "major": 7}, "package": "Debian"}, "capabilities": ["oob"]}}` + "\r\n"

func newFakeQMP(t *testing.T, replies map[string]string) (*fakeQMP, net.Conn) {
	t.Helper()
	srv, cli := net.Pipe()
	f := &fakeQMP{conn: srv, replies: replies, got: make(chan string, 64)}
	go f.serve()
	t.Cleanup(func() { srv.Close(); cli.Close() })
	return f, cli
}

func (f *fakeQMP) serve() {
	if _, err := f.conn.Write([]byte(greeting)); err != nil {
		return
	}
	dec := json.NewDecoder(bufio.NewReader(f.conn))
	for {
		var req struct {
			Execute string          `json:"execute"`
			ID      json.RawMessage `json:"id"`
		}
		if err := dec.Decode(&req); err != nil {
			return
		}
		f.got <- req.Execute
		body, ok := f.replies[req.Execute]
		if !ok {
			body = `"return": {}`
		}
		if body == "silent" {
			continue
		}
		for _, part := range strings.Split(body, "\n") {
			msg := part
			if !strings.HasPrefix(part, `{"event"`) {
				msg = "{" + part + `, "id": ` + string(req.ID) + "}"
			}
			if _, err := f.conn.Write([]byte(msg + "\r\n")); err != nil {
				return
			}
		}
	}
}

func ctxT(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	t.Cleanup(cancel)
	return ctx
}

func TestClientCommandsAndErrors(t *testing.T) {
	f, conn := newFakeQMP(t, map[string]string{
		"query-status": `"return": {"status": "prelaunch", "singlestep": false, "running": false}`,
		"bogus":        `"error": {"class": "CommandNotFound", "desc": "The command bogus has not been found"}`,
	})
	c, err := NewClient(ctxT(t), conn, "fake")
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if got := c.Greeting.String(); got != "7.2.22" {
		t.Errorf("greeting version %q, want 7.2.22", got)
	}
	if cmd := <-f.got; cmd != "qmp_capabilities" {
		t.Fatalf("first command %q, want qmp_capabilities", cmd)
	}
	st, err := c.QueryStatus(ctxT(t))
	if err != nil || st.Status != "prelaunch" || st.Running {
		t.Fatalf("QueryStatus = %+v, %v", st, err)
	}
	err = c.Execute(ctxT(t), "bogus", nil, nil)
	var qe *Error
	if !errors.As(err, &qe) || qe.Class != "CommandNotFound" || qe.Command != "bogus" {
		t.Fatalf("error = %v, want a CommandNotFound *Error naming bogus", err)
	}
	if !strings.Contains(err.Error(), "has not been found") {
		t.Errorf("error %q does not quote QEMU's description", err)
	}
}

func TestClientColdStartWaitsForResetEvent(t *testing.T) {
	f, conn := newFakeQMP(t, map[string]string{
		// QEMU emits RESET after it answered system_reset.
		"system_reset": `"return": {}` + "\n" + `{"event": "RESET", "data": {"guest": false, "reason": "host-qmp-system-reset"}, "timestamp": {"seconds": 1700000000, "microseconds": 5}}`,
		"cont":         `"return": {}` + "\n" + `{"event": "RESUME", "timestamp": {"seconds": 1700000001, "microseconds": 0}}`,
	})
	c, err := NewClient(ctxT(t), conn, "fake")
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	<-f.got
	mark := c.EventMark()
	if err := c.ColdStart(ctxT(t)); err != nil {
		t.Fatal(err)
	}
	if a, b := <-f.got, <-f.got; a != "system_reset" || b != "cont" {
		t.Fatalf("commands %q, %q; want system_reset then cont", a, b)
	}
	ev, err := c.WaitEvent(ctxT(t), mark, "RESUME")
	if err != nil {
		t.Fatal(err)
	}
	if ev.At.Unix() != 1700000001 {
		t.Errorf("event time %v, want QEMU's timestamp", ev.At)
	}
	// An event before the mark is not seen again.
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	if _, err := c.WaitEvent(ctx, c.EventMark(), "RESET"); err == nil {
		t.Fatal("WaitEvent returned an event from before the mark")
	}
}

func TestClientRejectsNonQMPPeer(t *testing.T) {
	srv, cli := net.Pipe()
	defer srv.Close()
	go srv.Write([]byte("\r\nU-Boot 2023.01\r\n"))
	_, err := NewClient(ctxT(t), cli, "serial.sock")
	if err == nil || !strings.Contains(err.Error(), "serial.sock") {
		t.Fatalf("err = %v, want a greeting error naming the socket", err)
	}
}

func TestClientNoReplyHonoursContext(t *testing.T) {
	_, conn := newFakeQMP(t, map[string]string{"stop": "silent"})
	c, err := NewClient(ctxT(t), conn, "fake")
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Millisecond)
	defer cancel()
	err = c.Stop(ctx)
	if !errors.Is(err, context.DeadlineExceeded) || !strings.Contains(err.Error(), "stop") {
		t.Fatalf("err = %v, want a deadline error naming stop", err)
	}
	// The connection still works afterwards.
	if _, err := c.QueryStatus(ctxT(t)); err != nil {
		t.Fatalf("after a timed-out command: %v", err)
	}
}

func TestClientPeerGoneFailsPending(t *testing.T) {
	f, conn := newFakeQMP(t, map[string]string{"quit": "silent", "stop": "silent"})
	c, err := NewClient(ctxT(t), conn, "fake")
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	go func() {
		<-f.got
		<-f.got
		f.conn.Close()
	}()
	if err := c.Quit(ctxT(t)); err != nil {
		t.Fatalf("Quit when QEMU closes the connection: %v", err)
	}
	if err := c.Stop(ctxT(t)); !errors.Is(err, ErrClientClosed) {
		t.Fatalf("Stop on a closed connection: %v, want ErrClientClosed", err)
	}
}

func TestParseAddr(t *testing.T) {
	for _, tc := range []struct {
		in, network, addr string
		bad               bool
	}{
		{in: "/run/qmp.sock", network: "unix", addr: "/run/qmp.sock"},
		{in: "unix:///run/qmp.sock", network: "unix", addr: "/run/qmp.sock"},
		{in: "unix:/run/qmp.sock", network: "unix", addr: "/run/qmp.sock"},
		{in: "tcp://127.0.0.1:4444", network: "tcp", addr: "127.0.0.1:4444"},
		{in: "tcp://[::1]:4444", network: "tcp", addr: "[::1]:4444"},
		{in: "tcp://localhost:4444", network: "tcp", addr: "localhost:4444"},
		{in: "tcp://10.0.0.2:4444", bad: true},
		{in: "tcp://example.com:4444", bad: true},
		{in: "http://127.0.0.1/", bad: true},
		{in: "unix://", bad: true},
		{in: "", bad: true},
	} {
		n, a, err := ParseAddr(tc.in)
		if tc.bad {
			if err == nil {
				t.Errorf("ParseAddr(%q) = %s %s, want an error", tc.in, n, a)
			}
			continue
		}
		if err != nil || n != tc.network || a != tc.addr {
			t.Errorf("ParseAddr(%q) = %q %q %v, want %q %q", tc.in, n, a, err, tc.network, tc.addr)
		}
	}
}

func FuzzDecodeMessage(f *testing.F) {
	f.Add([]byte(greeting))
	f.Add([]byte(`{"return": {}, "id": 3}`))
	f.Add([]byte(`{"error": {"class": "GenericError", "desc": "x"}, "id": 1}`))
	f.Add([]byte(`{"event": "STOP", "timestamp": {"seconds": 1, "microseconds": 2}}`))
	f.Add([]byte(`{"id": "abc", "return": 1}`))
	f.Add([]byte(`[]`))
	f.Fuzz(func(t *testing.T, raw []byte) {
		m, err := decodeMessage(raw)
		if err != nil {
			if !errors.Is(err, errNotQMP) {
				t.Fatalf("error %v does not wrap errNotQMP", err)
			}
			return
		}
		if m.kind < kindGreeting || m.kind > kindEvent {
			t.Fatalf("decoded message of unknown kind %d", m.kind)
		}
		if m.kind == kindError && m.err == nil {
			t.Fatal("error message without an error")
		}
	})
}
