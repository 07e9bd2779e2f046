package qemu

import (
	"bytes"
	"context"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"
)

// needQEMU skips when the real peers are not installed (`make deps`
// installs them; CI has them).
func needQEMU(t testing.TB) {
	t.Helper()
	if _, err := exec.LookPath(DefaultBinary); err != nil {
		t.Skipf("skipping: %s not installed (Debian package qemu-system-arm; run `make deps`)", DefaultBinary)
	}
	if _, err := os.Stat(DefaultBIOS); err != nil {
		t.Skipf("skipping: %s missing (Debian package u-boot-qemu; run `make deps`)", DefaultBIOS)
	}
}

// shortTempDir returns a temp dir whose paths fit in a unix socket address
// (t.TempDir can be too long under deeply named tests).
func shortTempDir(t testing.TB) string {
	t.Helper()
	d, err := os.MkdirTemp("", "cq")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(d) })
	return d
}

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

func TestMachinePowerStates(t *testing.T) {
	needQEMU(t)
	dir := shortTempDir(t)
	cfg := Config{
		PFlash: filepath.Join(dir, "flash.img"),
		Serial: filepath.Join(dir, "uart.sock"),
		QMP:    filepath.Join(dir, "qmp.sock"),
	}
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	m, err := Start(ctx, cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer m.Close()
	if st, err := os.Stat(cfg.PFlash); err != nil || st.Size() != PFlashSize {
		t.Fatalf("pflash file not created at %d bytes: %v", PFlashSize, err)
	}

	// Started unpowered.
	st, err := m.QMP().QueryStatus(ctx)
	if err != nil || st.Running {
		t.Fatalf("after Start: %+v %v, want not running", st, err)
	}
	var d net.Dialer
	conn, err := d.DialContext(ctx, "unix", cfg.Serial)
	if err != nil {
		t.Fatalf("serial socket not listening after Start: %v", err)
	}
	defer conn.Close()
	uart := &serialReader{t: t, conn: conn}

	// A second QMP client (the power backend's socket) can drive it.
	power, err := Dial(ctx, m.QMPPort())
	if err != nil {
		t.Fatal(err)
	}
	defer power.Close()
	if err := power.ColdStart(ctx); err != nil {
		t.Fatal(err)
	}
	boot := uart.until("Hit any key to stop autoboot:", 20*time.Second)
	if !bytes.Contains([]byte(boot), []byte("U-Boot 2023.01")) {
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

	if err := m.Close(); err != nil {
		t.Fatal(err)
	}
	select {
	case <-m.Exited():
	default:
		t.Fatal("Close returned before QEMU exited")
	}
	if _, err := os.Stat(cfg.Serial); !os.IsNotExist(err) {
		t.Errorf("serial socket left behind: %v", err)
	}
}

func TestStartFailuresAreExplained(t *testing.T) {
	needQEMU(t)
	dir := shortTempDir(t)
	wrong := filepath.Join(dir, "small.img")
	if err := os.WriteFile(wrong, make([]byte, 1<<20), 0o644); err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	for _, tc := range []struct {
		name string
		cfg  Config
		want string
	}{
		{"wrong pflash size", Config{PFlash: wrong, Serial: filepath.Join(dir, "s")}, "needs exactly 67108864"},
		{"no serial", Config{PFlash: filepath.Join(dir, "f.img")}, "needs pflash and serial"},
		{"missing bios", Config{BIOS: filepath.Join(dir, "nope.bin"), PFlash: filepath.Join(dir, "f.img"), Serial: filepath.Join(dir, "s")}, "u-boot-qemu"},
		{"qemu refuses", Config{BIOS: wrong, PFlash: filepath.Join(dir, "f.img"), Serial: filepath.Join(dir, "no-such-dir", "s")}, "qemu said"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			m, err := Start(ctx, tc.cfg)
			if err == nil {
				m.Close()
				t.Fatal("Start succeeded")
			}
			if !bytes.Contains([]byte(err.Error()), []byte(tc.want)) {
				t.Fatalf("error %q does not say %q", err, tc.want)
			}
			t.Log(err)
		})
	}
}
