// Package labtest starts Debian's etcd (package etcd-server, installed by
// `make deps`) as a real cluster on loopback for tests: each member on its
// own free ports, with its own data directory under t.TempDir(), stopped
// when the test ends.
package labtest

import (
	"context"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	clientv3 "go.etcd.io/etcd/client/v3"
	"go.uber.org/zap"
)

// Member is one etcd process.
type Member struct {
	Name       string
	ClientURL  string
	peerURL    string
	dir        string
	log        string
	cmd        *exec.Cmd
	exited     chan struct{}
	initialCfg string
	token      string
}

// Cluster is a running etcd cluster.
type Cluster struct {
	t       testing.TB
	Members []*Member
}

// startTimeout bounds a cluster coming up (a leader election on a busy
// two-core machine).
const startTimeout = 30 * time.Second

// Start runs an n-member cluster and waits until it answers. It skips the
// test when etcd is not installed (run `make deps`), unless CAMRIG_REQUIRE_ETCD
// is set (make test sets it, so a missing package fails the run).
func Start(t testing.TB, n int) *Cluster {
	t.Helper()
	bin, err := exec.LookPath("etcd")
	if err != nil {
		if os.Getenv("CAMRIG_REQUIRE_ETCD") != "" {
			t.Fatalf("etcd is not installed (make deps installs Debian's etcd-server): %v", err)
		}
		t.Skipf("etcd is not installed (make deps installs Debian's etcd-server): %v", err)
	}
	c := &Cluster{t: t}
	var initial []string
	base := t.TempDir()
	token := fmt.Sprintf("camrig-test-%d-%d", os.Getpid(), time.Now().UnixNano())
	for i := 0; i < n; i++ {
		m := &Member{Name: fmt.Sprintf("m%d", i), dir: filepath.Join(base, fmt.Sprintf("m%d", i)), token: token}
		m.ClientURL = "http://" + freeAddr(t)
		m.peerURL = "http://" + freeAddr(t)
		m.log = filepath.Join(base, m.Name+".log")
		initial = append(initial, m.Name+"="+m.peerURL)
		c.Members = append(c.Members, m)
	}
	for _, m := range c.Members {
		m.initialCfg = strings.Join(initial, ",")
		c.run(bin, m)
	}
	t.Cleanup(c.StopAll)
	c.WaitReady(startTimeout)
	return c
}

// freeAddr picks a free loopback TCP port.
func freeAddr(t testing.TB) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("free port: %v", err)
	}
	defer l.Close()
	return l.Addr().String()
}

func (c *Cluster) run(bin string, m *Member) {
	c.t.Helper()
	state := "new"
	if _, err := os.Stat(filepath.Join(m.dir, "member")); err == nil {
		state = "existing"
	}
	logf, err := os.OpenFile(m.log, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		c.t.Fatal(err)
	}
	defer logf.Close()
	cmd := exec.Command(bin,
		"--name", m.Name, "--data-dir", m.dir,
		"--listen-client-urls", m.ClientURL, "--advertise-client-urls", m.ClientURL,
		"--listen-peer-urls", m.peerURL, "--initial-advertise-peer-urls", m.peerURL,
		"--initial-cluster", m.initialCfg, "--initial-cluster-state", state,
		"--initial-cluster-token", m.token,
		// Fast elections, so a stopped member costs a test little.
		"--heartbeat-interval", "50", "--election-timeout", "500",
		"--logger", "zap", "--log-level", "warn")
	cmd.Stdout, cmd.Stderr = logf, logf
	cmd.SysProcAttr = dieWithParent()
	if err := cmd.Start(); err != nil {
		c.t.Fatalf("etcd %s: %v", m.Name, err)
	}
	m.cmd, m.exited = cmd, make(chan struct{})
	go func() { cmd.Wait(); close(m.exited) }()
}

// Endpoints are the members' client URLs.
func (c *Cluster) Endpoints() []string {
	var out []string
	for _, m := range c.Members {
		out = append(out, m.ClientURL)
	}
	return out
}

// WaitReady waits until every running member answers a linearizable read.
func (c *Cluster) WaitReady(timeout time.Duration) {
	c.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	for _, m := range c.Members {
		if m.cmd == nil {
			continue
		}
		if err := answer(ctx, m.ClientURL); err != nil {
			logs, _ := os.ReadFile(m.log)
			c.t.Fatalf("etcd member %s at %s did not come up within %v: %v\n%s", m.Name, m.ClientURL, timeout, err, logs)
		}
	}
}

// answer retries a read on one endpoint until it succeeds or ctx ends;
// each attempt is bounded, so a member still electing is asked again.
func answer(ctx context.Context, endpoint string) error {
	cli, err := clientv3.New(clientv3.Config{Endpoints: []string{endpoint}, DialTimeout: time.Second, Logger: zap.NewNop()})
	if err != nil {
		return err
	}
	defer cli.Close()
	for {
		actx, cancel := context.WithTimeout(ctx, time.Second)
		_, err := cli.Get(actx, "camrig-ready")
		cancel()
		if err == nil {
			return nil
		}
		if ctx.Err() != nil {
			return err
		}
	}
}

// Stop stops member i (SIGTERM, then waits for it to exit).
func (c *Cluster) Stop(i int) {
	m := c.Members[i]
	if m.cmd == nil {
		return
	}
	m.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-m.exited:
	case <-time.After(10 * time.Second):
		m.cmd.Process.Kill()
		<-m.exited
	}
	m.cmd = nil
}

// Restart starts a stopped member again on its data directory.
func (c *Cluster) Restart(i int) {
	c.t.Helper()
	bin, _ := exec.LookPath("etcd")
	c.run(bin, c.Members[i])
}

// StopAll stops every member.
func (c *Cluster) StopAll() {
	for i := range c.Members {
		c.Stop(i)
	}
}
