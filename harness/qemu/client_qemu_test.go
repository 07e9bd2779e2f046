package qemu

import (
	"bytes"
	"context"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/camrig/camrig/rigs/virtual/qemusim/qemutest"
)

// serialReader reads qemu's serial socket until a marker, with a real-time
// bound: this test talks to a real emulator.
type serialReader struct {
	t    *testing.T
	conn net.Conn
	buf  []byte
}

func (s *serialReader) until(marker string, within time.Duration) string {
	s.t.Helper()
	deadline := time.Now().Add(within)
	chunk := make([]byte, 4096)
	for !bytes.Contains(s.buf, []byte(marker)) {
		s.conn.SetReadDeadline(deadline)
		n, err := s.conn.Read(chunk)
		s.buf = append(s.buf, chunk[:n]...)
		if err != nil {
			s.t.Fatalf("waiting for %q: %v; got %q", marker, err, s.buf)
		}
	}
	i := bytes.Index(s.buf, []byte(marker)) + len(marker)
	out := string(s.buf[:i])
	s.buf = s.buf[i:]
	return out
}

// The client against a real QEMU, as the power backend uses it: the VM
// starts unpowered, ColdStart boots U-Boot from its reset vector, Stop
// silences it, and a second ColdStart is a cold boot, not a resume.
func TestClientDrivesRealQEMUPowerStates(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	m := qemutest.Start(t, ctx)

	power, err := Dial(ctx, m.QMPPort())
	if err != nil {
		t.Fatal(err)
	}
	defer power.Close()
	if power.Greeting.String() != m.Version() {
		t.Errorf("greeting %s, launcher saw %s", power.Greeting, m.Version())
	}
	// Started unpowered.
	st, err := power.QueryStatus(ctx)
	if err != nil || st.Running {
		t.Fatalf("after Start: %+v %v, want not running", st, err)
	}
	network, addr, err := ParseAddr(m.SerialPort())
	if err != nil {
		t.Fatal(err)
	}
	var d net.Dialer
	conn, err := d.DialContext(ctx, network, addr)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	uart := &serialReader{t: t, conn: conn}

	if err := power.ColdStart(ctx); err != nil {
		t.Fatal(err)
	}
	boot := uart.until("Hit any key to stop autoboot:", 20*time.Second)
	if !strings.Contains(boot, "U-Boot 2023.01") {
		t.Errorf("boot log lacks the U-Boot banner: %q", boot)
	}
	conn.Write([]byte(" "))
	uart.until("=> ", 10*time.Second)

	// Power off: the VM stops, the line goes silent.
	if err := power.Stop(ctx); err != nil {
		t.Fatal(err)
	}
	if st, _ := power.QueryStatus(ctx); st.Running || st.Status != "paused" {
		t.Fatalf("after stop: %+v", st)
	}
	conn.Write([]byte("version\r"))
	conn.SetReadDeadline(time.Now().Add(300 * time.Millisecond))
	if n, _ := conn.Read(make([]byte, 64)); n != 0 {
		t.Fatal("a stopped VM answered on its serial port")
	}
	// Power on: a cold boot from the reset vector, not a resume. (The
	// "version" typed while it was off is lost or harmless either way.)
	if err := power.ColdStart(ctx); err != nil {
		t.Fatal(err)
	}
	uart.buf = nil
	uart.until("U-Boot 2023.01", 20*time.Second)
	uart.until("Hit any key to stop autoboot:", 20*time.Second)
}
