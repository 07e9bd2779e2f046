package safety_test

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"syscall"
	"testing"

	"github.com/camrig/camrig/harness/power/powertest"
	"github.com/camrig/camrig/harness/safety"
)

func TestRegisterRestoreUnregister(t *testing.T) {
	sw := &powertest.Fake{Name: "relay#1"}
	sw.Set(context.Background(), true)
	un := safety.RegisterSwitch(sw, false)
	var ran []string
	un2 := safety.Register("other", func(ctx context.Context) error { ran = append(ran, "other"); return nil })
	if got := strings.Join(safety.Registered(), ","); got != "other,relay#1 -> off" {
		t.Fatalf("Registered = %q", got)
	}
	if err := safety.RestoreAll(context.Background()); err != nil {
		t.Fatal(err)
	}
	if on, _ := sw.Get(context.Background()); on || len(ran) != 1 {
		t.Fatalf("switch on=%v, actions run %v", on, ran)
	}
	un()
	un()
	un2()
	if n := len(safety.Registered()); n != 0 {
		t.Fatalf("%d still registered", n)
	}
}

func TestRestoreAllJoinsErrorsAndPanics(t *testing.T) {
	defer safety.Register("broken board", func(context.Context) error { return errors.New("no answer") })()
	defer safety.Register("buggy", func(context.Context) error { panic("oops") })()
	ok := false
	defer safety.Register("fine", func(context.Context) error { ok = true; return nil })()
	err := safety.RestoreAll(context.Background())
	if err == nil || !strings.Contains(err.Error(), "restore broken board: no answer") || !strings.Contains(err.Error(), "restore buggy: panic: oops") {
		t.Fatalf("err = %v", err)
	}
	if !ok {
		t.Fatal("a failing action stopped the others")
	}
}

func TestOnPanicRestoresAndRepanics(t *testing.T) {
	sw := &powertest.Fake{Name: "solenoid"}
	sw.Set(context.Background(), true)
	defer safety.RegisterSwitch(sw, false)()
	got := func() (r any) {
		defer func() { r = recover() }()
		defer safety.OnPanic()
		panic("boom")
	}()
	if got != "boom" {
		t.Fatalf("recovered %v, want the original panic", got)
	}
	if on, _ := sw.Get(context.Background()); on {
		t.Fatal("switch left on after a panic")
	}
	func() {
		defer safety.OnPanic() // no panic: nothing happens
	}()
	if e := sw.Edges(); len(e) != 2 {
		t.Fatalf("edges %v: OnPanic without a panic restored", e)
	}
}

const childEnv = "CAMRIG_SAFETY_CHILD"

// TestChildProcess is not a test: it is the child the signal tests run.
func TestChildProcess(t *testing.T) {
	if os.Getenv(childEnv) == "" {
		t.Skip("helper process")
	}
	defer safety.Install()()
	safety.Register("marker", func(context.Context) error {
		fmt.Println("restored")
		return nil
	})
	fmt.Println("ready")
	select {} // until the signal ends the process
}

func TestSignalRestoresThenDiesBySignal(t *testing.T) {
	for _, sig := range []syscall.Signal{syscall.SIGINT, syscall.SIGTERM} {
		t.Run(sig.String(), func(t *testing.T) {
			cmd := exec.Command(os.Args[0], "-test.run=^TestChildProcess$", "-test.v=false")
			cmd.Env = append(os.Environ(), childEnv+"=1")
			out, err := cmd.StdoutPipe()
			if err != nil {
				t.Fatal(err)
			}
			if err := cmd.Start(); err != nil {
				t.Fatal(err)
			}
			defer cmd.Process.Kill()
			lines := bufio.NewScanner(out)
			if !lines.Scan() || lines.Text() != "ready" {
				t.Fatalf("child said %q", lines.Text())
			}
			cmd.Process.Signal(sig)
			var rest []string
			for lines.Scan() {
				rest = append(rest, lines.Text())
			}
			err = cmd.Wait()
			if len(rest) == 0 || rest[0] != "restored" {
				t.Fatalf("child output after the signal: %q", rest)
			}
			var ee *exec.ExitError
			if !errors.As(err, &ee) {
				t.Fatalf("child exit: %v", err)
			}
			ws := ee.Sys().(syscall.WaitStatus)
			if !ws.Signaled() || ws.Signal() != sig {
				t.Fatalf("child did not die by %v: %v", sig, ee)
			}
		})
	}
}
