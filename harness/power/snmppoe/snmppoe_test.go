package snmppoe_test

// snmp-poe against Debian's real SNMP agent: net-snmp's snmpd, started on a
// loopback UDP port with its own config, hands the POWER-ETHERNET-MIB port
// table to a pass_persist handler, which is this test binary re-executed
// (TestPassPersistHelper) holding a small PoE switch in memory.

import (
	"bufio"
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/camrig/camrig/harness/power"
	"github.com/camrig/camrig/harness/power/powertest"
	"github.com/camrig/camrig/harness/power/snmppoe"
)

const (
	snmpdPath     = "/usr/sbin/snmpd"
	passPersistEv = "CAMRIG_TEST_PASS_PERSIST"
	pethEntry     = ".1.3.6.1.2.1.105.1.1.1"
)

// poeSwitch is the PoE port table behind the agent: group 1, ports 1-4.
// Port 4 has nothing plugged in (an enabled port keeps searching); port 3's
// device is faulty (an enabled port reports fault).
type poeSwitch struct {
	admin map[int]int // port -> pethPsePortAdminEnable
}

func (p *poeSwitch) detection(port int) int {
	switch {
	case p.admin[port] != 1:
		return 1 // disabled
	case port == 4:
		return 2 // searching
	case port == 3:
		return 4 // fault
	}
	return 3 // deliveringPower
}

// rows lists the table's OIDs in lexicographic (numeric) order with values.
func (p *poeSwitch) rows() []struct {
	oid []int
	val int
} {
	var out []struct {
		oid []int
		val int
	}
	for _, col := range []int{3, 6} {
		for port := 1; port <= 4; port++ {
			v := p.admin[port]
			if col == 6 {
				v = p.detection(port)
			}
			out = append(out, struct {
				oid []int
				val int
			}{[]int{1, 3, 6, 1, 2, 1, 105, 1, 1, 1, col, 1, port}, v})
		}
	}
	return out
}

func parseOID(s string) ([]int, error) {
	var out []int
	for _, f := range strings.Split(strings.TrimPrefix(strings.TrimSpace(s), "."), ".") {
		n, err := strconv.Atoi(f)
		if err != nil {
			return nil, fmt.Errorf("bad OID %q", s)
		}
		out = append(out, n)
	}
	return out, nil
}

func oidString(o []int) string {
	var b strings.Builder
	for _, n := range o {
		fmt.Fprintf(&b, ".%d", n)
	}
	return b.String()
}

func oidLess(a, b []int) bool {
	for i := 0; i < len(a) && i < len(b); i++ {
		if a[i] != b[i] {
			return a[i] < b[i]
		}
	}
	return len(a) < len(b)
}

// passPersist speaks net-snmp's pass_persist protocol on in/out until EOF.
func (p *poeSwitch) passPersist(in io.Reader, out io.Writer) {
	r := bufio.NewScanner(in)
	w := bufio.NewWriter(out)
	line := func() (string, bool) {
		if !r.Scan() {
			return "", false
		}
		return strings.TrimSpace(r.Text()), true
	}
	for {
		cmd, ok := line()
		if !ok {
			return
		}
		switch cmd {
		case "":
			continue // snmpd ends a set with an empty line; it wants no answer
		case "PING":
			fmt.Fprintln(w, "PONG")
		case "get", "getnext":
			s, ok := line()
			if !ok {
				return
			}
			want, err := parseOID(s)
			found := false
			if err == nil {
				rows := p.rows()
				sort.Slice(rows, func(i, j int) bool { return oidLess(rows[i].oid, rows[j].oid) })
				for _, row := range rows {
					if (cmd == "get" && oidString(row.oid) == oidString(want)) || (cmd == "getnext" && oidLess(want, row.oid)) {
						fmt.Fprintf(w, "%s\ninteger\n%d\n", oidString(row.oid), row.val)
						found = true
						break
					}
				}
			}
			if !found {
				fmt.Fprintln(w, "NONE")
			}
		case "set":
			s, ok1 := line()
			tv, ok2 := line()
			if !ok1 || !ok2 {
				return
			}
			fmt.Fprintln(w, p.set(s, tv))
		default:
			fmt.Fprintln(w, "NONE")
		}
		w.Flush()
	}
}

func (p *poeSwitch) set(oid, typedValue string) string {
	o, err := parseOID(oid)
	if err != nil || len(o) != 13 || oidString(o[:11]) != pethEntry+".3" || o[11] != 1 || o[12] < 1 || o[12] > 4 {
		return "not-writable"
	}
	typ, val, _ := strings.Cut(typedValue, " ")
	if typ != "integer" {
		return "wrong-type"
	}
	v, err := strconv.Atoi(strings.TrimSpace(val))
	if err != nil || (v != 1 && v != 2) {
		return "wrong-value"
	}
	p.admin[o[12]] = v
	return "DONE"
}

// TestPassPersistHelper is the pass_persist handler snmpd starts; it is
// skipped in a normal run.
func TestPassPersistHelper(t *testing.T) {
	if os.Getenv(passPersistEv) == "" {
		t.Skip("pass_persist handler for the snmp-poe tests (started by snmpd)")
	}
	sw := &poeSwitch{admin: map[int]int{1: 1, 2: 1, 3: 2, 4: 2}}
	var in io.Reader = os.Stdin
	if f := os.Getenv("CAMRIG_TEST_PASS_PERSIST_TRACE"); f != "" {
		if tr, err := os.Create(f); err == nil {
			in = io.TeeReader(os.Stdin, tr)
		}
	}
	sw.passPersist(in, os.Stdout)
	os.Exit(0) // snmpd closed the pipe: before the testing package prints anything
}

// agent is a running snmpd.
type agent struct {
	url, community string
	dir            string // scratch space for net-snmp tools' persistent state
	mu             sync.Mutex
	out            strings.Builder
}

func (a *agent) log() string {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.out.String()
}

func startSNMPD(t *testing.T) *agent {
	t.Helper()
	if _, err := os.Stat(snmpdPath); err != nil {
		t.Skipf("net-snmp's snmpd is not installed (%s): apt-get install snmpd (make deps does)", snmpdPath)
	}
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	handler := filepath.Join(dir, "pethsim")
	script := fmt.Sprintf("#!/bin/sh\nexec env %s=1 '%s' -test.run='^TestPassPersistHelper$'\n", passPersistEv, exe)
	if err := os.WriteFile(handler, []byte(script), 0o755); err != nil {
		t.Fatal(err)
	}
	var b [8]byte
	rand.Read(b[:])
	community := "camrig-rw-" + hex.EncodeToString(b[:])
	var lastErr error
	for try := 0; try < 3; try++ { // the free port can be taken between probe and bind
		a, err := launchSNMPD(t, dir, handler, community)
		if err == nil {
			return a
		}
		lastErr = err
	}
	t.Fatalf("snmpd did not start: %v", lastErr)
	return nil
}

func launchSNMPD(t *testing.T, dir, handler, community string) (*agent, error) {
	probe, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	port := probe.LocalAddr().(*net.UDPAddr).Port
	probe.Close()
	// The config lives apart from persistentDir: snmpd rewrites
	// <persistentDir>/snmpd.conf on exit.
	confDir := filepath.Join(dir, fmt.Sprintf("conf%d", port))
	if err := os.MkdirAll(confDir, 0o700); err != nil {
		return nil, err
	}
	conf := filepath.Join(confDir, "agent.conf")
	body := fmt.Sprintf("agentaddress udp:127.0.0.1:%d\nrwcommunity %s 127.0.0.1\npass_persist %s %s\n", port, community, pethEntry, handler)
	if err := os.WriteFile(conf, []byte(body), 0o600); err != nil {
		return nil, err
	}
	cmd := exec.Command(snmpdPath, "-f", "-Lo", "-C", "-c", conf, "-m", "")
	cmd.Env = append(os.Environ(), "SNMP_PERSISTENT_DIR="+filepath.Join(dir, "persist"), "MIBS=")
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true} // its handler child dies with it
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	cmd.Stderr = cmd.Stdout
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	a := &agent{url: fmt.Sprintf("udp://127.0.0.1:%d", port), community: community, dir: filepath.Join(dir, "client")}
	ready := make(chan bool, 1)
	exited := make(chan struct{})
	go func() {
		s := bufio.NewScanner(stdout)
		for s.Scan() {
			a.mu.Lock()
			a.out.WriteString(s.Text() + "\n")
			a.mu.Unlock()
			if strings.HasPrefix(s.Text(), "NET-SNMP version") {
				select {
				case ready <- true:
				default:
				}
			}
		}
		cmd.Wait()
		close(exited)
	}()
	stop := func() {
		cmd.Process.Signal(syscall.SIGTERM)
		select {
		case <-exited:
		case <-time.After(5 * time.Second):
			cmd.Process.Kill()
			<-exited
		}
		syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL) // the handler, if snmpd left it behind
	}
	deadline := time.NewTimer(15 * time.Second)
	defer deadline.Stop()
	select {
	case <-ready:
		t.Cleanup(stop)
		return a, nil
	case <-exited:
		stop()
		return nil, fmt.Errorf("snmpd exited:\n%s", a.log())
	case <-deadline.C:
		stop()
		return nil, fmt.Errorf("snmpd not ready after 15s:\n%s", a.log())
	}
}

func poeSwitchFor(t *testing.T, a *agent, port int, extra ...func(*power.Config)) power.Switch {
	t.Helper()
	env := "CAMRIG_TEST_POE_COMMUNITY"
	t.Setenv(env, a.community)
	cfg := power.Config{Driver: "snmp-poe", URL: a.url, Group: 1, Channel: port, CommunityEnv: env, Timeout: 2 * time.Second, Retries: 1}
	for _, f := range extra {
		f(&cfg)
	}
	deps, _ := powertest.LoggedDeps()
	sw, err := power.Open(context.Background(), cfg, deps)
	if err != nil {
		t.Fatal(err)
	}
	return sw
}

// snmpgetAdmin reads pethPsePortAdminEnable with net-snmp's own snmpget, as
// a witness independent of gosnmp (skipped when the CLI is absent).
func snmpgetAdmin(t *testing.T, a *agent, port int) string {
	t.Helper()
	bin, err := exec.LookPath("snmpget")
	if err != nil {
		return ""
	}
	cmd := exec.Command(bin, "-m", "", "-On", "-Oqv", "-v2c", "-c", a.community, "-t", "2", "-r", "1",
		strings.TrimPrefix(a.url, "udp://"), fmt.Sprintf("%s.3.1.%d", pethEntry, port))
	// Its own persistent state goes to the test's temp dir, not /var/lib/snmp.
	cmd.Env = append(os.Environ(), "SNMP_PERSISTENT_DIR="+a.dir, "MIBS=")
	var stderr strings.Builder
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("snmpget: %v: %s%s", err, out, stderr.String())
	}
	return strings.TrimSpace(string(out))
}

func TestSNMPPoEAgainstNetSNMP(t *testing.T) {
	a := startSNMPD(t)
	ctx := context.Background()

	t.Run("cycle a powered port", func(t *testing.T) {
		sw := poeSwitchFor(t, a, 1)
		if on, err := sw.Get(ctx); err != nil || !on {
			t.Fatalf("initial Get = %v, %v (agent log:\n%s)", on, err, a.log())
		}
		if err := sw.Set(ctx, false); err != nil {
			t.Fatal(err)
		}
		if on, err := sw.Get(ctx); err != nil || on {
			t.Fatalf("after off Get = %v, %v", on, err)
		}
		if got := snmpgetAdmin(t, a, 1); got != "" && got != "2" {
			t.Fatalf("snmpget sees adminEnable %q after off, want 2", got)
		}
		if err := sw.Set(ctx, true); err != nil {
			t.Fatal(err)
		}
		if on, err := sw.Get(ctx); err != nil || !on {
			t.Fatalf("after on Get = %v, %v", on, err)
		}
		if got := snmpgetAdmin(t, a, 1); got != "" && got != "1" {
			t.Fatalf("snmpget sees adminEnable %q after on, want 1", got)
		}
	})

	t.Run("enabled port without a device is off", func(t *testing.T) {
		sw := poeSwitchFor(t, a, 4)
		if err := sw.Set(ctx, true); err != nil {
			t.Fatal(err)
		}
		if on, err := sw.Get(ctx); err != nil || on {
			t.Fatalf("searching port Get = %v, %v", on, err)
		}
	})

	t.Run("faulty port is an error", func(t *testing.T) {
		sw := poeSwitchFor(t, a, 3)
		if err := sw.Set(ctx, true); err != nil {
			t.Fatal(err)
		}
		_, err := sw.Get(ctx)
		if err == nil || !errors.Is(err, power.ErrDeviceReply) || !strings.Contains(err.Error(), "fault") || !strings.Contains(err.Error(), sw.String()) {
			t.Fatalf("err = %v", err)
		}
	})

	t.Run("missing port", func(t *testing.T) {
		sw := poeSwitchFor(t, a, 9)
		err := sw.Set(ctx, true)
		if err == nil || !errors.Is(err, power.ErrDeviceReply) || !strings.Contains(err.Error(), "snmp-poe:udp://127.0.0.1:") || !strings.Contains(err.Error(), "#1.9: set on") {
			t.Fatalf("set: %v", err)
		}
		t.Logf("as reported: %v", err)
		if _, err := sw.Get(ctx); err == nil || !strings.Contains(err.Error(), "no such port") {
			t.Fatalf("get: %v", err)
		}
	})

	t.Run("wrong community gets no answer", func(t *testing.T) {
		witness := poeSwitchFor(t, a, 2)
		before, err := witness.Get(ctx)
		if err != nil {
			t.Fatal(err)
		}
		t.Setenv("CAMRIG_TEST_POE_WRONG", "guessed-community")
		sw := poeSwitchFor(t, a, 2, func(c *power.Config) {
			c.CommunityEnv, c.Timeout, c.Retries = "CAMRIG_TEST_POE_WRONG", 200*time.Millisecond, 1
		})
		err = sw.Set(ctx, !before)
		if err == nil || !errors.Is(err, context.DeadlineExceeded) || !strings.Contains(err.Error(), sw.String()+": set "+power.State(!before)) {
			t.Fatalf("err = %v", err)
		}
		powertest.NoLeak(t, "error", err.Error(), "guessed-community")
		powertest.NoLeak(t, "error", err.Error(), a.community)
		if after, err := witness.Get(ctx); err != nil || after != before {
			t.Fatalf("a refused write changed the port: %v -> %v, %v", before, after, err)
		}
	})
}

func TestSNMPPoEUnreachable(t *testing.T) {
	probe, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	url := "udp://" + probe.LocalAddr().String()
	probe.Close() // nothing listens: the kernel answers port unreachable
	t.Setenv("CAMRIG_TEST_POE_COMMUNITY", "s3cret-community")
	deps, logs := powertest.LoggedDeps()
	sw, err := snmppoe.NewSNMPPoE(power.Config{URL: url, Channel: 2, CommunityEnv: "CAMRIG_TEST_POE_COMMUNITY", Timeout: 300 * time.Millisecond, Retries: 2}, deps)
	if err != nil {
		t.Fatal(err)
	}
	_, err = sw.Get(context.Background())
	if err == nil || !strings.Contains(err.Error(), "snmp-poe:"+url+"#1.2: get") {
		t.Fatalf("err = %v", err)
	}
	t.Logf("as reported: %v", err)
	if n := strings.Count(logs.String(), "retrying"); n != 2 {
		t.Errorf("%d retries logged, want 2", n)
	}
	powertest.NoLeak(t, "error", err.Error(), "s3cret-community")
	powertest.NoLeak(t, "log", logs.String(), "s3cret-community")
}

func TestSNMPPoEConfig(t *testing.T) {
	t.Setenv("CAMRIG_TEST_POE_COMMUNITY", "c0mmunity")
	for _, tc := range []struct {
		cfg  power.Config
		want string
	}{
		{power.Config{Channel: 1, CommunityEnv: "CAMRIG_TEST_POE_COMMUNITY"}, "url is required"},
		{power.Config{URL: "http://127.0.0.1", Channel: 1, CommunityEnv: "CAMRIG_TEST_POE_COMMUNITY"}, "want udp://host"},
		{power.Config{URL: "udp://pub:c0mmunity@127.0.0.1", Channel: 1}, "carries credentials"},
		{power.Config{URL: "udp://127.0.0.1:99999", Channel: 1, CommunityEnv: "CAMRIG_TEST_POE_COMMUNITY"}, "bad port"},
		{power.Config{URL: "udp://127.0.0.1", Channel: 0, CommunityEnv: "CAMRIG_TEST_POE_COMMUNITY"}, "must be >= 1"},
		{power.Config{URL: "udp://127.0.0.1", Channel: 1, Group: -1, CommunityEnv: "CAMRIG_TEST_POE_COMMUNITY"}, "must be >= 1"},
		{power.Config{URL: "udp://127.0.0.1", Channel: 1}, "no write community"},
		{power.Config{URL: "udp://127.0.0.1", Channel: 1, CommunityEnv: "CAMRIG_NO_SUCH_VAR"}, "CAMRIG_NO_SUCH_VAR"},
		{power.Config{URL: "udp://127.0.0.1", Channel: 1, CommunityEnv: "CAMRIG_TEST_POE_COMMUNITY", Retries: 99}, "retries"},
	} {
		_, err := snmppoe.NewSNMPPoE(tc.cfg, power.Deps{})
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%+v: err = %v, want %q", tc.cfg, err, tc.want)
			continue
		}
		powertest.NoLeak(t, "error", err.Error(), "c0mmunity")
	}
	sw, err := snmppoe.NewSNMPPoE(power.Config{URL: "udp://127.0.0.1", Channel: 5, Group: 2, CommunityEnv: "CAMRIG_TEST_POE_COMMUNITY"}, power.Deps{})
	if err != nil || sw.String() != "snmp-poe:udp://127.0.0.1:161#2.5" {
		t.Fatalf("%v, %v", sw, err)
	}
	if !power.Known("snmp-poe") {
		t.Fatal("snmp-poe not registered")
	}
}
