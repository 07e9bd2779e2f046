package qemusim

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"time"
)

// The launcher speaks just enough of QEMU's machine protocol (QMP) to know
// that QEMU is up: read the greeting, send one command, read its answer.
// It does not use the harness's QMP client (harness/qemu), because the
// simulator depends on nothing of the harness; the harness's client is
// tested against the QEMU this package starts.

// maxControlBytes bounds what the launcher reads on its control
// connection: a greeting and one answer are a few hundred bytes.
const maxControlBytes = 64 << 10

// controlMessage is the union of the QMP messages the handshake can meet.
type controlMessage struct {
	QMP *struct {
		Version struct {
			QEMU struct {
				Major, Minor, Micro int
			} `json:"qemu"`
		} `json:"version"`
	} `json:"QMP"`
	Return json.RawMessage `json:"return"`
	Error  *struct {
		Class string `json:"class"`
		Desc  string `json:"desc"`
	} `json:"error"`
	Event string `json:"event"`
}

// handshake reads QEMU's greeting on conn, enters command mode
// (qmp_capabilities) and waits for the answer, bounded by ctx. QEMU
// dispatches commands from its main loop only, so the answer means QEMU
// finished setting up: its serial and QMP sockets listen. It returns the
// version QEMU announced.
func handshake(ctx context.Context, conn net.Conn) (string, error) {
	stop := context.AfterFunc(ctx, func() { conn.SetDeadline(time.Unix(1, 0)) })
	defer stop()
	dec := json.NewDecoder(io.LimitReader(conn, maxControlBytes))
	var greeting controlMessage
	if err := dec.Decode(&greeting); err != nil {
		return "", fmt.Errorf("qmp control: reading the greeting: %w", err)
	}
	if greeting.QMP == nil {
		return "", errors.New("qmp control: the first message is not a QMP greeting")
	}
	v := greeting.QMP.Version.QEMU
	version := fmt.Sprintf("%d.%d.%d", v.Major, v.Minor, v.Micro)
	if _, err := conn.Write([]byte(`{"execute": "qmp_capabilities"}` + "\r\n")); err != nil {
		return "", fmt.Errorf("qmp control: %w", err)
	}
	for {
		var m controlMessage
		if err := dec.Decode(&m); err != nil {
			return "", fmt.Errorf("qmp control: waiting for the answer to qmp_capabilities: %w", err)
		}
		switch {
		case m.Error != nil:
			return "", fmt.Errorf("qmp control: qmp_capabilities: %s: %s", m.Error.Class, m.Error.Desc)
		case m.Return != nil:
			return version, nil
		case m.Event != "":
			// An event may come first; the answer follows.
		default:
			return "", errors.New("qmp control: an answer that is neither a return, an error nor an event")
		}
	}
}
