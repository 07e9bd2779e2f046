package press_test

// These tests press through the real numato backend on a pseudo-terminal
// whose other end plays the board (boardtest.Numato), so what is asserted
// is the bytes a relay board would receive.

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"sort"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/camrig/camrig/harness/clock"
	"github.com/camrig/camrig/harness/power"
	"github.com/camrig/camrig/harness/power/boardtest"
	_ "github.com/camrig/camrig/harness/power/numato" // the backend under the solenoid
	"github.com/camrig/camrig/harness/press"
	"github.com/camrig/camrig/harness/safety"
	"github.com/camrig/camrig/rigs/virtual/virtualtest"
)

// playNumato plays a Numato board on a fresh pty and returns its path.
func playNumato(t testing.TB, board *boardtest.Numato) string {
	t.Helper()
	return virtualtest.Plug(t, board.Serve)
}

func numatoSolenoid(t testing.TB, port string, max time.Duration) *press.Solenoid {
	t.Helper()
	s, err := press.New(numatoSwitch(t, port), press.Options{MaxHold: max})
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func numatoSwitch(t testing.TB, port string) power.Switch {
	t.Helper()
	sw, err := power.Open(context.Background(), power.Config{Driver: "numato", Port: port, Channel: 1}, power.Deps{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { sw.(power.Closer).Close() })
	return sw
}

func boardSaw(t testing.TB, board *boardtest.Numato, cmd string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := board.WaitFor(ctx, func(rx []byte) bool { return bytes.Contains(rx, []byte(cmd)) }); err != nil {
		t.Fatalf("board never received %q (got %q): %v", cmd, board.Received(), err)
	}
}

func TestOverMaxPutsNoBytesOnTheWire(t *testing.T) {
	board := &boardtest.Numato{}
	s := numatoSolenoid(t, playNumato(t, board), 45*time.Second)
	_, err := s.Press(context.Background(), 46*time.Second)
	if !errors.Is(err, press.ErrHoldTooLong) {
		t.Fatalf("err = %v", err)
	}
	if got := board.Received(); len(got) != 0 {
		t.Fatalf("board received %q for a refused press", got)
	}
}

func TestPressOverNumatoMeasuresFromAcks(t *testing.T) {
	board := &boardtest.Numato{}
	s := numatoSolenoid(t, playNumato(t, board), time.Minute)
	rec, err := s.Press(context.Background(), 30*time.Millisecond)
	if err != nil {
		t.Fatal(err)
	}
	if got := string(board.Received()); got != "relay on 1\rrelay off 1\r" {
		t.Fatalf("board received %q", got)
	}
	edges := board.Edges()
	if len(edges) != 2 || !edges[0].On || edges[1].On || board.Relay(1) {
		t.Fatalf("board edges %+v", edges)
	}
	if rec.Start.IsZero() || !rec.End.After(rec.Start) || rec.Measured != rec.End.Sub(rec.Start) || rec.OnLatency <= 0 || rec.OffLatency <= 0 {
		t.Fatalf("record %+v", rec)
	}
}

func TestPanicElsewhereReleasesThePress(t *testing.T) {
	board := &boardtest.Numato{}
	s := numatoSolenoid(t, playNumato(t, board), 2*time.Hour)
	done := make(chan error, 1)
	go func() { _, err := s.Press(context.Background(), time.Hour); done <- err }()
	boardSaw(t, board, "relay on 1\r")
	// A spec goroutine panics while the press holds.
	recovered := func() (r any) {
		defer func() { r = recover() }()
		defer safety.OnPanic()
		panic("spec bug")
	}()
	if recovered != "spec bug" {
		t.Fatalf("recovered %v", recovered)
	}
	boardSaw(t, board, "relay off 1\r")
	if board.Relay(1) {
		t.Fatal("solenoid still energised")
	}
	if err := <-done; err == nil || !strings.Contains(err.Error(), "released by the safety registry") {
		t.Fatalf("Press returned %v", err)
	}
}

func TestCancelReleasesOverNumato(t *testing.T) {
	board := &boardtest.Numato{}
	s := numatoSolenoid(t, playNumato(t, board), 2*time.Hour)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { _, err := s.Press(ctx, time.Hour); done <- err }()
	boardSaw(t, board, "relay on 1\r")
	cancel()
	err := <-done
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("err = %v", err)
	}
	boardSaw(t, board, "relay off 1\r")
	if got := string(board.Received()); got != "relay on 1\rrelay off 1\r" || board.Relay(1) {
		t.Fatalf("board received %q, relay %v (press: %v)", got, board.Relay(1), err)
	}
}

const childPortEnv = "CAMRIG_PRESS_CHILD_PORT"

// TestPressChild is not a test: it is the process the SIGINT test kills
// mid-press.
func TestPressChild(t *testing.T) {
	port := os.Getenv(childPortEnv)
	if port == "" {
		t.Skip("helper process")
	}
	defer safety.Install()()
	s := numatoSolenoid(t, port, 2*time.Hour)
	fmt.Println("pressing")
	_, err := s.Press(context.Background(), time.Hour)
	fmt.Println("press returned:", err) // only if the signal did not end us
}

func TestSignalMidPressReleases(t *testing.T) {
	for _, sig := range []syscall.Signal{syscall.SIGINT, syscall.SIGTERM} {
		t.Run(sig.String(), func(t *testing.T) {
			board := &boardtest.Numato{}
			port := playNumato(t, board)
			cmd := exec.Command(os.Args[0], "-test.run=^TestPressChild$")
			cmd.Env = append(os.Environ(), childPortEnv+"="+port)
			var stderr bytes.Buffer
			cmd.Stderr = &stderr
			out, err := cmd.StdoutPipe()
			if err != nil {
				t.Fatal(err)
			}
			if err := cmd.Start(); err != nil {
				t.Fatal(err)
			}
			defer cmd.Process.Kill()
			var said []string
			readDone := make(chan struct{})
			go func() {
				defer close(readDone)
				sc := bufio.NewScanner(out)
				for sc.Scan() {
					said = append(said, sc.Text())
				}
			}()
			boardSaw(t, board, "relay on 1\r")
			if !board.Relay(1) {
				t.Fatal("child did not energise the solenoid")
			}
			cmd.Process.Signal(sig)
			<-readDone // the pipe must be drained before Wait
			err = cmd.Wait()
			t.Logf("child said %q", said)
			var ee *exec.ExitError
			if !errors.As(err, &ee) || !ee.Sys().(syscall.WaitStatus).Signaled() || ee.Sys().(syscall.WaitStatus).Signal() != sig {
				t.Fatalf("child did not die by %v: %v\n%s", sig, err, stderr.String())
			}
			if got := string(board.Received()); !strings.HasPrefix(got, "relay on 1\rrelay off 1\r") {
				t.Fatalf("board received %q", got)
			}
			if board.Relay(1) {
				t.Fatal("solenoid left energised by a killed process")
			}
		})
	}
}

// BenchmarkHoldAccuracyPty presses holds of 50-500 ms through the numato
// backend against a pty-played board and reports |measured - requested|:
// by the harness (acknowledgement to acknowledgement), between the
// harness's own wire edges (Record.Seen: "wire_") and as the board saw it
// (its relay edges: "board_"), over at least 200 presses (enough for a p99)
// whatever b.N is. As many presses again have the CPU wake-up latency
// request turned off (clock.NoWakeLatency), reported with the prefix
// "nowake_": what the request is worth, measured side by side, the two
// taking turns in blocks of holdBlock presses (a stretch of host noise
// falls on both; taking turns press by press, each press would start from
// the CPUs' idle state the other mode left). Where the host refuses the
// request (not root) both modes press without it, and
// wake-request-granted says 0. The host's own stalls of a running thread,
// watched for stallProbe before and after the presses (hostStalls), are
// reported as host-stalls-over-1ms/cpu-min and host-longest-stall-µs.
//
//	go test -run '^$' -bench 'HoldAccuracyPty$' -benchtime 1x ./harness/press
func BenchmarkHoldAccuracyPty(b *testing.B) {
	board := &boardtest.Numato{}
	sw := numatoSwitch(b, playNumato(b, board))
	modes := []struct {
		prefix                string
		s                     *press.Solenoid
		harness, wire, device []time.Duration
	}{{prefix: ""}, {prefix: "nowake_"}}
	for i, w := range []*clock.WakeLatency{nil, clock.NoWakeLatency} {
		s, err := press.New(sw, press.Options{MaxHold: time.Second, WakeLatency: w})
		if err != nil {
			b.Fatal(err)
		}
		modes[i].s = s
	}
	granted := wakeRequestGranted(b)
	host := measureStalls(b)
	b.ResetTimer()
	for i := 0; i < 2*max(b.N, 200); i++ {
		m, n := inTurns(i)
		hold := holdOf(n)
		board.Reset()
		rec, err := modes[m].s.Press(context.Background(), hold)
		if err != nil {
			b.Fatal(err)
		}
		if rec.WakeLatency.Held != (m == 0 && granted) {
			b.Fatalf("press %d: wake-up latency %v", i, rec.WakeLatency)
		}
		modes[m].harness = append(modes[m].harness, (rec.Measured - hold).Abs())
		modes[m].wire = append(modes[m].wire, (rec.Seen - hold).Abs())
		e := board.Edges()
		if len(e) != 2 {
			b.Fatalf("board saw %d edges", len(e))
		}
		modes[m].device = append(modes[m].device, (e[1].At.Sub(e[0].At) - hold).Abs())
	}
	b.StopTimer()
	reportStalls(b, host.add(measureStalls(b)))
	for _, m := range modes {
		report(b, m.prefix, m.harness)
		report(b, m.prefix+"wire_", m.wire)
		report(b, m.prefix+"board_", m.device)
	}
}

func report(b *testing.B, prefix string, d []time.Duration) {
	sort.Slice(d, func(i, j int) bool { return d[i] < d[j] })
	q := func(p float64) float64 {
		return float64(d[min(int(p*float64(len(d))), len(d)-1)]) / float64(time.Millisecond)
	}
	b.ReportMetric(q(0.5), prefix+"median_ms")
	b.ReportMetric(q(0.99), prefix+"p99_ms")
	b.ReportMetric(float64(d[len(d)-1])/float64(time.Millisecond), prefix+"max_ms")
}
