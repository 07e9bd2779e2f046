package qemusim

import (
	"bufio"
	"bytes"
	"context"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
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

// The launcher's promises: when Start returns, the pflash file exists at
// QEMU's size and both sockets answer; Close ends the process and removes
// the sockets. (The power states through QMP are the harness's QMP
// client's tests, harness/qemu, against this same launcher.)
func TestStartAndClose(t *testing.T) {
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
	if !regexp.MustCompile(`^[1-9][0-9]*\.[0-9]+\.[0-9]+$`).MatchString(m.Version()) {
		t.Errorf("version %q", m.Version())
	}
	if m.SerialPort() != "unix://"+cfg.Serial || m.QMPPort() != "unix://"+cfg.QMP || m.PFlash() != cfg.PFlash {
		t.Errorf("ports %s %s %s", m.SerialPort(), m.QMPPort(), m.PFlash())
	}
	var d net.Dialer
	uart, err := d.DialContext(ctx, "unix", cfg.Serial)
	if err != nil {
		t.Fatalf("serial socket not listening after Start: %v", err)
	}
	defer uart.Close()
	qmp, err := d.DialContext(ctx, "unix", cfg.QMP)
	if err != nil {
		t.Fatalf("QMP socket not listening after Start: %v", err)
	}
	defer qmp.Close()
	qmp.SetReadDeadline(time.Now().Add(10 * time.Second))
	if line, err := bufio.NewReader(qmp).ReadString('\n'); err != nil || !strings.Contains(line, `"QMP"`) {
		t.Fatalf("the QMP socket greeted with %q (%v)", line, err)
	}

	if err := m.Close(); err != nil {
		t.Fatal(err)
	}
	select {
	case <-m.Exited():
	default:
		t.Fatal("Close returned before QEMU exited")
	}
	for _, p := range []string{cfg.Serial, cfg.QMP} {
		if _, err := os.Stat(p); !os.IsNotExist(err) {
			t.Errorf("socket %s left behind: %v", p, err)
		}
	}
	if st, err := os.Stat(cfg.PFlash); err != nil || st.Size() != PFlashSize {
		t.Errorf("the pflash file did not survive Close: %v", err)
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
		{"socket path too long", Config{PFlash: filepath.Join(dir, "f.img"), Serial: "/" + strings.Repeat("x", 120)}, "longer than the 107 bytes"},
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
