package pty_test

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"github.com/camrig/camrig/rigs/virtual/pty"
)

func TestPairPassesRawBytesBothWays(t *testing.T) {
	link := filepath.Join(t.TempDir(), "dev", "uart0")
	p, err := pty.Open(link)
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	if target, err := os.Readlink(link); err != nil || target != p.SlavePath {
		t.Fatalf("link = %q, %v", target, err)
	}
	s, err := os.OpenFile(link, os.O_RDWR|unix.O_NOCTTY, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	msg := []byte{0x00, 0x03, '\r', '\n', 0x15, 0xff, 'x'}
	if _, err := p.Master.Write(msg); err != nil {
		t.Fatal(err)
	}
	got := make([]byte, len(msg))
	if _, err := readFull(s, got); err != nil || !bytes.Equal(got, msg) {
		t.Fatalf("slave read %q, %v", got, err)
	}
	if _, err := s.Write(msg); err != nil {
		t.Fatal(err)
	}
	p.Master.SetReadDeadline(time.Now().Add(2 * time.Second))
	if _, err := readFull(p.Master, got); err != nil || !bytes.Equal(got, msg) {
		t.Fatalf("master read %q, %v", got, err)
	}
}

func TestMasterDeadlineWorks(t *testing.T) {
	p, err := pty.Open("")
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	p.Master.SetReadDeadline(time.Now().Add(20 * time.Millisecond))
	_, err = p.Master.Read(make([]byte, 1))
	if !os.IsTimeout(err) {
		t.Fatalf("read with deadline returned %v, want timeout", err)
	}
}

func TestCloseRemovesLinkAndRefusesRegularFile(t *testing.T) {
	dir := t.TempDir()
	link := filepath.Join(dir, "relay")
	p, err := pty.Open(link)
	if err != nil {
		t.Fatal(err)
	}
	p.Close()
	if _, err := os.Lstat(link); !os.IsNotExist(err) {
		t.Fatalf("link still there: %v", err)
	}
	os.WriteFile(link, []byte("x"), 0o644)
	if _, err := pty.Open(link); err == nil {
		t.Fatal("replaced a regular file")
	}
}

func readFull(f *os.File, b []byte) (int, error) {
	n := 0
	for n < len(b) {
		m, err := f.Read(b[n:])
		n += m
		if err != nil {
			return n, err
		}
	}
	return n, nil
}
