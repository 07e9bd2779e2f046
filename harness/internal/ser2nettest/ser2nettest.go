// Package ser2nettest runs Debian's ser2net, the RFC 2217 server a lab's
// bench host puts in front of its UARTs, for tests of the clients that
// reach a console through it (the console package, a lab's remote units).
package ser2nettest

import (
	"bytes"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"
)

// Options shape one ser2net connection.
type Options struct {
	// KickOldUser lets a new client take the port from a connected one.
	KickOldUser bool
	// Required fails the test when ser2net is missing, instead of skipping
	// it (make deps installs it; a suite that needs it says so).
	Required bool
}

// listenDeadline bounds waiting for ser2net to accept connections.
const listenDeadline = 10 * time.Second

// Start serves device (a tty or pty slave) at baud, 8N1, over RFC 2217 on
// a free loopback port and returns that port's host:port. ser2net is
// stopped when the test ends.
func Start(t testing.TB, device string, baud int, o Options) string {
	t.Helper()
	bin, err := exec.LookPath("ser2net")
	if err != nil {
		if o.Required {
			t.Fatalf("ser2net is not installed (Debian ser2net; `make deps`): %v", err)
		}
		t.Skipf("ser2net is not installed (Debian ser2net; `make deps`): %v", err)
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	_, port, _ := net.SplitHostPort(addr)
	dir := t.TempDir()
	cfg := filepath.Join(dir, "ser2net.yaml")
	// The bench host's configuration the README shows, on loopback.
	yaml := fmt.Sprintf(`%%YAML 1.1
---
connection: &uart0
  accepter: telnet(rfc2217),tcp,127.0.0.1,%s
  connector: serialdev,%s,%dn81,local
  options:
    kickolduser: %t
`, port, device, baud, o.KickOldUser)
	if err := os.WriteFile(cfg, []byte(yaml), 0o644); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(bin, "-n", "-d", "-u", "-c", cfg, "-P", filepath.Join(dir, "ser2net.pid"))
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	cmd.SysProcAttr = dieWithParent()
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		cmd.Process.Kill()
		cmd.Wait()
		if t.Failed() {
			t.Logf("ser2net output:\n%s", out.String())
		}
	})
	// ser2net says nothing when it listens: ask until it accepts, within
	// a deadline (an external process gives no event to wait on).
	deadline := time.Now().Add(listenDeadline)
	for backoff := time.Millisecond; ; backoff = min(2*backoff, 100*time.Millisecond) {
		c, err := net.DialTimeout("tcp", addr, time.Second)
		if err == nil {
			c.Close()
			return addr
		}
		if time.Now().After(deadline) {
			t.Fatalf("ser2net never listened on %s: %v\n%s", addr, err, out.String())
		}
		d := time.NewTimer(backoff) // test-only: no event from an external process
		<-d.C
	}
}
