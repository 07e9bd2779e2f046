package rig_test

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/camrig/camrig/harness/lab/labtest"
	"github.com/camrig/camrig/harness/power"
	"github.com/camrig/camrig/harness/rig"
)

// The test binary doubles as a runner of a shared run (runUnits): it goes
// through its units, claims each for the run, and drives the ones it won.
const (
	runnerEnv      = "CAMRIG_RIG_RUNNER"
	runnerRunEnv   = "CAMRIG_RIG_RUNNER_RUN"
	runnerUnitsEnv = "CAMRIG_RIG_RUNNER_UNITS"
	runnerLogEnv   = "CAMRIG_RIG_RUNNER_LOG"
	runnerHangEnv  = "CAMRIG_RIG_RUNNER_HANG"
)

// edgeRig is a lab rig whose units' exec bindings append "<unit>-<edge>"
// to one log, so a test sees every edge every runner drove, in order.
func edgeRig(log string, units []string) *rig.Rig {
	say := func(what string) []string { return []string{"sh", "-c", "echo " + what + " >> " + log} }
	r := &rig.Rig{Name: "lab-virtual"}
	for _, u := range units {
		r.Units = append(r.Units, rig.UnitConfig{Name: u,
			Power: &power.Config{Driver: "exec", On: say(u + "-power-on"), Off: say(u + "-power-off")},
			Press: &power.Config{Driver: "exec", On: say(u + "-press-on"), Off: say(u + "-press-off"), MaxHold: time.Second},
		})
	}
	return r
}

// runUnits is one runner: first every unit it can claim at once, then the
// ones another runner was at, waiting for them to finish or their runner
// to die (then it runs them as the retry). A unit it is told to hang in is
// left powered mid-run until the test kills it.
func runUnits() int {
	units := strings.Split(os.Getenv(runnerUnitsEnv), ",")
	r := edgeRig(os.Getenv(runnerLogEnv), units)
	labHelper(r)
	run := os.Getenv(runnerRunEnv)
	ctx := context.Background()
	var later []string
	drive := func(name string, c *rig.RunClaim) error {
		l, err := r.LeaseAny(ctx, name)
		if err != nil {
			return err
		}
		u, err := r.Open(ctx, name, rig.WithLease(l))
		if err != nil {
			return err
		}
		if err := u.Power.Set(ctx, true); err != nil {
			return err
		}
		fmt.Printf("ran %s retry=%q\n", name, c.RetryOf())
		if os.Getenv(runnerHangEnv) == name {
			fmt.Printf("hanging %s\n", name)
			select {} // until SIGKILL
		}
		if err := u.Close(ctx); err != nil {
			return err
		}
		return c.Done(ctx)
	}
	for _, name := range units {
		c, err := r.ClaimRun(ctx, run, name)
		var other *rig.RunByOtherError
		switch {
		case errors.As(err, &other) && other.Running:
			later = append(later, name)
			continue
		case errors.As(err, &other):
			fmt.Printf("skip %s: %v\n", name, err)
			continue
		case err != nil:
			fmt.Println("error:", err)
			return 1
		}
		if err := drive(name, c); err != nil {
			fmt.Println("error:", err)
			return 1
		}
	}
	for _, name := range later {
		c, err := r.AwaitRun(ctx, run, name)
		var other *rig.RunByOtherError
		if errors.As(err, &other) {
			fmt.Printf("skip %s: %v\n", name, err)
			continue
		}
		if err == nil {
			err = drive(name, c)
		}
		if err != nil {
			fmt.Println("error:", err)
			return 1
		}
	}
	return 0
}

type runner struct {
	cmd   *exec.Cmd
	lines chan string
	out   []string
}

func startRunner(t *testing.T, c *labtest.Cluster, run, log, hang string, units []string) *runner {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), runnerEnv+"=1", runnerRunEnv+"="+run, runnerUnitsEnv+"="+strings.Join(units, ","),
		runnerLogEnv+"="+log, runnerHangEnv+"="+hang,
		helperEtcdEnv+"="+strings.Join(c.Endpoints(), ","), helperPrefixEnv+"=/shared/")
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stderr = io.Discard
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	r := &runner{cmd: cmd, lines: make(chan string, 100)}
	go func() {
		defer close(r.lines)
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			r.lines <- sc.Text()
		}
	}()
	t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
	return r
}

// until reads the runner's lines up to one starting with prefix.
func (r *runner) until(t *testing.T, ctx context.Context, prefix string) {
	t.Helper()
	for {
		select {
		case l, ok := <-r.lines:
			if !ok {
				t.Fatalf("runner ended before %q: %q", prefix, r.out)
			}
			r.out = append(r.out, l)
			if strings.HasPrefix(l, prefix) {
				return
			}
		case <-ctx.Done():
			t.Fatalf("runner never said %q: %q", prefix, r.out)
		}
	}
}

// finish reads the runner to its end and requires a clean exit.
func (r *runner) finish(t *testing.T) []string {
	t.Helper()
	for l := range r.lines {
		r.out = append(r.out, l)
	}
	if err := r.cmd.Wait(); err != nil {
		t.Fatalf("runner: %v: %q", err, r.out)
	}
	return r.out
}

var ranRe = regexp.MustCompile(`^ran (\S+) retry="(.*)"$`)

// Two runner processes given one run id share a lab rig's units: together
// they run every unit exactly once; the other skips it as "run by <host>".
func TestTwoRunnersRunEveryUnitExactlyOnce(t *testing.T) {
	c := labtest.Start(t, 3)
	log := filepath.Join(t.TempDir(), "edges")
	units := []string{"cam1", "cam2", "cam3", "cam4", "cam5", "cam6"}
	a := startRunner(t, c, "nightly-a", log, "", units)
	b := startRunner(t, c, "nightly-a", log, "", units)
	ran := map[string]int{}
	host, _ := os.Hostname()
	for _, out := range [][]string{a.finish(t), b.finish(t)} {
		for _, l := range out {
			if m := ranRe.FindStringSubmatch(l); m != nil {
				ran[m[1]]++
			} else if !strings.HasSuffix(l, ": run by "+host) {
				t.Errorf("unexpected runner line %q", l)
			}
		}
	}
	for _, u := range units {
		if ran[u] != 1 {
			t.Errorf("unit %s ran %d times, want once", u, ran[u])
		}
	}
}

// A runner SIGKILLed mid-unit: the other runner waits for its claim and
// lease to expire (the TTL), then retries the unit once, marked as the
// retry naming the dead runner, after making the unit safe first.
func TestKilledRunnersUnitIsRetriedOnceAndMadeSafeFirst(t *testing.T) {
	c := labtest.Start(t, 3)
	log := filepath.Join(t.TempDir(), "edges")
	units := []string{"cam1", "cam2", "cam3"}
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	a := startRunner(t, c, "nightly-b", log, "cam2", units)
	a.until(t, ctx, "hanging cam2")
	deadPID := a.cmd.Process.Pid
	b := startRunner(t, c, "nightly-b", log, "", units)
	b.until(t, ctx, "ran cam3")
	if err := a.cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	a.cmd.Wait()
	out := b.finish(t)
	var retried string
	for _, l := range out {
		if m := ranRe.FindStringSubmatch(l); m != nil && m[1] == "cam2" {
			retried = m[2]
		}
	}
	if !strings.Contains(retried, fmt.Sprintf("pid %d", deadPID)) {
		t.Fatalf("cam2 must be retried naming the dead runner pid %d: %q", deadPID, out)
	}
	data, err := os.ReadFile(log)
	if err != nil {
		t.Fatal(err)
	}
	var cam2 []string
	for _, e := range strings.Fields(string(data)) {
		if strings.HasPrefix(e, "cam2-") {
			cam2 = append(cam2, strings.TrimPrefix(e, "cam2-"))
		}
	}
	// The dead runner: press released on open, power on, killed. The
	// retry: solenoid released and power off (the take-over), then on.
	if got := strings.Join(cam2, " "); got != "press-off power-on press-off power-off power-on press-off power-off" {
		t.Fatalf("cam2 edges = %q", got)
	}
}
