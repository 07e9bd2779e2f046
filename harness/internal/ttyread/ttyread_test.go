package ttyread_test

import (
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"go.bug.st/serial"

	"github.com/camrig/camrig/harness/internal/ttyread"
	"github.com/camrig/camrig/rigs/virtual/pty"
)

func openPair(t *testing.T) *pty.Pair {
	t.Helper()
	p, err := pty.Open("")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { p.Close() })
	return p
}

// A byte written by the device wakes the reader, and Close ends a Read
// that is waiting (the console's reader relies on both).
func TestReadsAndCloseEndsAWaitingRead(t *testing.T) {
	p := openPair(t)
	f, err := ttyread.Open(p.SlavePath)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := p.Master.Write([]byte("U-Boot\n")); err != nil {
		t.Fatal(err)
	}
	buf := make([]byte, 64)
	n, err := f.Read(buf)
	if err != nil || string(buf[:n]) != "U-Boot\n" {
		t.Fatalf("read %q, %v", buf[:n], err)
	}
	ended := make(chan error, 1)
	go func() { _, err := f.Read(buf); ended <- err }()
	f.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	select {
	case err := <-ended:
		if !errors.Is(err, os.ErrClosed) {
			t.Fatalf("read after close: %v", err)
		}
	case <-ctx.Done():
		t.Fatal("Close did not end the waiting Read")
	}
}

// TestOpenBeforeTheSerialPackage shows why the reading descriptor is opened
// first: for a user who is not root, the serial package's TIOCEXCL refuses
// any later open of the tty. Run as nobody in a child process.
func TestOpenBeforeTheSerialPackage(t *testing.T) {
	if os.Getenv("TTYREAD_CHILD") != "" {
		child()
		return
	}
	if os.Geteuid() != 0 {
		t.Skip("needs root to run the child as another user")
	}
	// The test binary sits in go's private build directory: nobody runs a
	// copy.
	bin := copyForNobody(t)
	for _, order := range []string{"ttyread-first", "serial-first"} {
		p := openPair(t)
		if err := os.Chmod(p.SlavePath, 0o666); err != nil {
			t.Fatal(err)
		}
		cmd := exec.Command(bin, "-test.run=^TestOpenBeforeTheSerialPackage$")
		cmd.Env = append(os.Environ(), "TTYREAD_CHILD="+order, "TTYREAD_PATH="+p.SlavePath)
		cmd.SysProcAttr = &syscall.SysProcAttr{Credential: &syscall.Credential{Uid: 65534, Gid: 65534}}
		out, err := cmd.CombinedOutput()
		if err != nil {
			t.Fatalf("%s as nobody: %v\n%s", order, err, out)
		}
	}
}

func copyForNobody(t *testing.T) string {
	t.Helper()
	dir, err := os.MkdirTemp("", "ttyread")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	data, err := os.ReadFile(os.Args[0])
	if err != nil {
		t.Fatal(err)
	}
	bin := filepath.Join(dir, "ttyread.test")
	if err := os.WriteFile(bin, data, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	return bin
}

// child opens the tty in the order named and exits 0 when the outcome is
// the expected one: both opens succeed ttyread-first; ttyread's open is
// refused (EBUSY) serial-first.
func child() {
	path := os.Getenv("TTYREAD_PATH")
	fail := func(msg string, err error) {
		os.Stderr.WriteString(msg + ": " + errString(err) + "\n")
		os.Exit(1)
	}
	mode := &serial.Mode{BaudRate: 115200}
	switch os.Getenv("TTYREAD_CHILD") {
	case "ttyread-first":
		f, err := ttyread.Open(path)
		if err != nil {
			fail("ttyread.Open", err)
		}
		defer f.Close()
		s, err := serial.Open(path, mode)
		if err != nil {
			fail("serial.Open after ttyread.Open", err)
		}
		s.Close()
	case "serial-first":
		s, err := serial.Open(path, mode)
		if err != nil {
			fail("serial.Open", err)
		}
		defer s.Close()
		if f, err := ttyread.Open(path); !errors.Is(err, syscall.EBUSY) {
			if f != nil {
				f.Close()
			}
			fail("ttyread.Open after serial.Open should be refused with EBUSY", err)
		}
	}
	os.Exit(0)
}

func errString(err error) string {
	if err == nil {
		return "no error"
	}
	return err.Error()
}
