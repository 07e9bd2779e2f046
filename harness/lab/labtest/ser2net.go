package labtest

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

// Ser2net serves the serial device over RFC 2217 on a free loopback port,
// as a lab's bench host serves its units' UARTs, and returns the console
// port to put in a rig file (rfc2217://127.0.0.1:N). It skips the test when
// ser2net is not installed (make deps installs it), unless
// CAMRIG_REQUIRE_ETCD is set.
func Ser2net(t testing.TB, device string, baud int) string {
	t.Helper()
	bin, err := exec.LookPath("ser2net")
	if err != nil {
		if os.Getenv("CAMRIG_REQUIRE_ETCD") != "" {
			t.Fatalf("ser2net is not installed (make deps): %v", err)
		}
		t.Skipf("ser2net is not installed (make deps): %v", err)
	}
	addr := freeAddr(t)
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
    kickolduser: false
`, port, device, baud)
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
	})
	// ser2net says nothing when it listens: ask until it accepts, within
	// a deadline (an external process gives no event to wait on).
	deadline := time.Now().Add(10 * time.Second)
	for {
		c, err := net.DialTimeout("tcp", addr, time.Second)
		if err == nil {
			c.Close()
			return "rfc2217://" + addr
		}
		if time.Now().After(deadline) {
			t.Fatalf("ser2net never listened on %s: %v\n%s", addr, err, out.String())
		}
		d := time.NewTimer(20 * time.Millisecond) // test-only: no event from an external process
		<-d.C
	}
}
