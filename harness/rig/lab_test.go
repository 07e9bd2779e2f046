package rig_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/camrig/camrig/harness/internal/strictyaml"
	"github.com/camrig/camrig/harness/lab"
	"github.com/camrig/camrig/harness/lab/labtest"
	"github.com/camrig/camrig/harness/rig"
)

// The lease helper process (lease_test.go) holds its unit in etcd when
// these are set.
const (
	helperEtcdEnv   = "CAMRIG_RIG_LEASE_ETCD"
	helperPrefixEnv = "CAMRIG_RIG_LEASE_PREFIX"
)

// labTTL is short so take-over tests stay fast (etcd's minimum is 2 s).
const labTTL = 2 * time.Second

func labConfig(endpoints []string, prefix string) *lab.Config {
	return &lab.Config{Endpoints: endpoints, TTL: labTTL, Prefix: prefix, DialTimeout: 2 * time.Second}
}

// labHelper makes the helper's rig a lab rig when the test asked for one.
func labHelper(r *rig.Rig) {
	if eps := os.Getenv(helperEtcdEnv); eps != "" {
		r.Lab = labConfig(strings.Split(eps, ","), os.Getenv(helperPrefixEnv))
	}
}

func startLabHolder(t *testing.T, c *labtest.Cluster, prefix, unit string) *holder {
	t.Helper()
	t.Setenv(helperEtcdEnv, strings.Join(c.Endpoints(), ","))
	t.Setenv(helperPrefixEnv, prefix)
	return startHolder(t, t.TempDir(), unit)
}

func labBench(t *testing.T, c *labtest.Cluster, prefix string) *bench {
	b := newBench(t, "", nil)
	b.rig.Lab = labConfig(c.Endpoints(), prefix)
	t.Cleanup(func() { b.rig.Close() })
	return b
}

// A holder SIGKILLed mid-run loses its unit within the TTL; the next
// holder, on another "host" (process), waits for the expiry, then makes the
// unit safe before anything else and records whom it took over from.
func TestLabTakeOverAfterSIGKILLMakesTheUnitSafeFirst(t *testing.T) {
	c := labtest.Start(t, 3)
	h := startLabHolder(t, c, "/takeover/", "cam1")
	pid := h.cmd.Process.Pid
	b := labBench(t, c, "/takeover/")

	_, err := b.rig.Lease("cam1")
	var busy *rig.BusyError
	if !errors.As(err, &busy) || busy.Holder == nil || busy.Holder.PID != pid || !strings.Contains(err.Error(), "etcd key /takeover/") {
		t.Fatalf("while the helper holds it: want busy naming pid %d and the key, got %v", pid, err)
	}
	h.kill(t)

	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	lease, err := b.rig.LeaseAny(ctx, "cam1")
	if err != nil {
		t.Fatalf("the dead holder's lease never expired: %v", err)
	}
	if len(b.edges(t)) != 0 {
		t.Fatalf("nothing may be driven before Open: %q", b.edges(t))
	}
	u, err := b.rig.Open(ctx, "cam1", rig.WithLease(lease), rig.Only(rig.PartLED), rig.KeepPower())
	if err != nil {
		t.Fatal(err)
	}
	if got := strings.Join(b.edges(t), " "); got != "press-off power-off" {
		t.Fatalf("edges on take-over = %q, want press-off power-off", got)
	}
	to := takeOvers(u.Timeline)
	if len(to) != 1 || to[0].Attrs["previous_pid"] != strconv.Itoa(pid) || to[0].Attrs["previous_process"] != "exited" {
		t.Fatalf("take-over events = %+v, want one naming pid %d", to, pid)
	}
	if err := u.Close(context.Background()); err != nil {
		t.Fatal(err)
	}
	u, err = b.rig.Open(ctx, "cam1", rig.KeepPower())
	if err != nil {
		t.Fatal(err)
	}
	defer u.Close(context.Background())
	if to := takeOvers(u.Timeline); len(to) != 0 {
		t.Fatalf("a clean release was taken over again: %+v", to)
	}
}

// A lease lost mid-run (every etcd member gone) stops the run from
// driving the unit: the switches refuse to leave their safe state, naming
// the loss, and the unit is left safe. With the cluster gone, the next
// Open fails clearly and drives nothing.
func TestLabLeaseLostLeavesTheUnitSafeAndRefusesToDriveIt(t *testing.T) {
	c := labtest.Start(t, 3)
	b := labBench(t, c, "/lost/")
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	u, err := b.rig.Open(ctx, "cam1")
	if err != nil {
		t.Fatal(err)
	}
	if err := u.Power.Set(ctx, true); err != nil {
		t.Fatalf("under a live lease: %v", err)
	}
	c.Stop(1)
	if err := u.Power.Set(ctx, true); err != nil || u.LeaseErr() != nil {
		t.Fatalf("one member stopped: the run goes on: %v / %v", err, u.LeaseErr())
	}
	c.StopAll()
	select {
	case <-u.LeaseLost():
	case <-ctx.Done():
		t.Fatal("the lease was never declared lost")
	}
	err = u.Power.Set(ctx, true)
	if !errors.Is(err, lab.ErrLost) || !strings.Contains(err.Error(), "lease on unit cam1 lost") {
		t.Fatalf("power on after the loss: want refused naming the loss, got %v", err)
	}
	if _, err := u.Press.Press(ctx, 100*time.Millisecond); !errors.Is(err, lab.ErrLost) {
		t.Fatalf("a press after the loss: want refused, got %v", err)
	}
	if err := u.Power.Set(ctx, false); err != nil {
		t.Fatalf("the safe state is always allowed: %v", err)
	}
	u.Close(context.Background()) // the release cannot reach the cluster
	edges := b.edges(t)
	i := strings.Index(strings.Join(edges, " "), "power-on power-on")
	after := strings.Join(edges, " ")[i:]
	if i < 0 || !strings.Contains(after, "press-off") || !strings.Contains(after, "power-off") || strings.Count(after, "power-on") != 2 || strings.Contains(after, "press-on") {
		t.Fatalf("edges = %q: after the loss only safe edges, the solenoid released and power off", edges)
	}
	if !hasEvent(u, "lease-lost") {
		t.Fatalf("no lease-lost event on the timeline")
	}

	before := len(b.edges(t))
	_, err = b.rig.Open(ctx, "cam1")
	if err == nil || !errors.Is(err, lab.ErrUnavailable) || !strings.Contains(err.Error(), c.Members[0].ClientURL) {
		t.Fatalf("every member stopped: want a clear error naming the endpoints, got %v", err)
	}
	if len(b.edges(t)) != before {
		t.Fatalf("a unit was driven without a lease: %q", b.edges(t)[before:])
	}
}

func hasEvent(u *rig.Unit, kind string) bool {
	for _, e := range u.Timeline.Events() {
		if e.Kind == kind {
			return true
		}
	}
	return false
}

// A reservation refuses everyone without its token, naming the holder.
func TestLabReservationRefusesOthers(t *testing.T) {
	c := labtest.Start(t, 3)
	b := labBench(t, c, "/res/")
	ctx := context.Background()
	token, _, err := b.rig.Reserve(ctx, "cam1", time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	t.Setenv(rig.ReservationEnv, "")
	_, err = b.rig.Lease("cam1")
	var busy *rig.BusyError
	if !errors.As(err, &busy) || !strings.Contains(err.Error(), "reserved by pid "+strconv.Itoa(os.Getpid())+" (") {
		t.Fatalf("without the token: want refused naming the holder, got %v", err)
	}
	t.Setenv(rig.ReservationEnv, token)
	l, err := b.rig.Lease("cam1")
	if err != nil {
		t.Fatalf("with the token: %v", err)
	}
	l.Release()
	if err := b.rig.Unreserve(ctx, "cam1", token); err != nil {
		t.Fatal(err)
	}
	t.Setenv(rig.ReservationEnv, "")
	l, err = b.rig.Lease("cam1")
	if err != nil {
		t.Fatalf("after release: %v", err)
	}
	l.Release()
}

func TestLabSectionLoads(t *testing.T) {
	text := strings.Replace(base, "units:\n", "lab:\n  etcd: [http://127.0.0.1:2379, https://etcd2.lab:2379]\n  ttl: 10s\n  prefix: /lab3\nunits:\n", 1)
	r, err := rig.Load(setup(t, text))
	if err != nil {
		t.Fatal(err)
	}
	if r.Lab == nil || len(r.Lab.Endpoints) != 2 || r.Lab.TTL != 10*time.Second || r.Lab.Prefix != "/lab3/bench/" {
		t.Fatalf("lab = %+v", r.Lab)
	}
	text = strings.Replace(base, "units:\n", "lab: {etcd: [http://127.0.0.1:2379]}\nunits:\n", 1)
	if r, err = rig.Load(setup(t, text)); err != nil || r.Lab.TTL != rig.DefaultLabTTL || r.Lab.Prefix != "/camrig/bench/" {
		t.Fatalf("defaults: %+v %v", r.Lab, err)
	}
}

func TestLabSectionErrors(t *testing.T) {
	t.Setenv("CAMRIG_TEST_ETCD_PW", "etcd-"+camSecret)
	cases := []struct{ name, lab, key, msg string }{
		{"no endpoints", "lab: {ttl: 5s}", "lab.etcd", "at least one endpoint"},
		{"bad scheme", "lab: {etcd: [grpc://127.0.0.1:2379]}", "lab.etcd[0]", "scheme"},
		{"credentials in URL", "lab: {etcd: [\"http://root:" + literalPw + "@127.0.0.1:2379\"]}", "lab.etcd[0]", "credentials in the URL"},
		{"ttl too short", "lab: {etcd: [http://127.0.0.1:2379], ttl: 1s}", "lab.ttl", "at least 2s"},
		{"ttl fraction", "lab: {etcd: [http://127.0.0.1:2379], ttl: 2500ms}", "lab.ttl", "whole seconds"},
		{"literal password", fmt.Sprintf("lab: {etcd: [http://127.0.0.1:2379], user: u, password: %s}", literalPw), "lab.password", "never goes in the rig file"},
		{"user without password", "lab: {etcd: [http://127.0.0.1:2379], user: u}", "lab", "needs password_env or password_file"},
		{"password without user", "lab: {etcd: [http://127.0.0.1:2379], password_env: CAMRIG_TEST_ETCD_PW}", "lab.user", "needs a user"},
		{"unset env", "lab: {etcd: [http://127.0.0.1:2379], user: u, password_env: CAMRIG_TEST_UNSET_PW}", "lab.password_env", "is not set"},
		{"cert without key", "lab: {etcd: [https://127.0.0.1:2379], cert_file: c.pem}", "lab.cert_file", "go together"},
		{"TLS over http", "lab: {etcd: [http://127.0.0.1:2379], ca_file: ca.pem}", "lab.etcd[0]", "use https"},
		{"unknown key", "lab: {etcd: [http://127.0.0.1:2379], tll: 5s}", `"tll"`, "unknown key"},
		{"bad prefix", "lab: {etcd: [http://127.0.0.1:2379], prefix: camrig}", "lab.prefix", "starting with '/'"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			text := strings.Replace(base, "units:\n", tc.lab+"\nunits:\n", 1)
			_, err := rig.Load(setup(t, text))
			if err == nil {
				t.Fatal("loaded")
			}
			var errs strictyaml.Errors
			var one *strictyaml.Error
			found := false
			if errors.As(err, &errs) {
				for _, e := range errs {
					found = found || (e.Line == 9 && strings.Contains(e.Msg, tc.key) && strings.Contains(e.Msg, tc.msg))
				}
			} else if errors.As(err, &one) {
				found = one.Line == 9 && strings.Contains(one.Msg, tc.key) && strings.Contains(one.Msg, tc.msg)
			}
			if !found {
				t.Fatalf("want line 9 naming %s with %q, got %v", tc.key, tc.msg, err)
			}
			for _, s := range []string{literalPw, camSecret} {
				if strings.Contains(err.Error(), s) {
					t.Fatalf("the error leaks a secret: %v", err)
				}
			}
		})
	}
}
