package execswitch_test

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/camrig/camrig/harness/power"
	"github.com/camrig/camrig/harness/power/powertest"
)

// The commands are argv lists; these tests use sh as the program, which is
// what a user would do to call a script.

func TestExecSetAndStatus(t *testing.T) {
	state := filepath.Join(t.TempDir(), "state")
	t.Setenv("CAMRIG_TEST_STATE", state)
	sw := powertest.Open(t, power.Config{Driver: "exec",
		On:     []string{"sh", "-c", `echo on > "$CAMRIG_TEST_STATE"`},
		Off:    []string{"sh", "-c", `echo off > "$CAMRIG_TEST_STATE"`},
		Status: []string{"sh", "-c", `echo "outlet 3:"; cat "$CAMRIG_TEST_STATE"`},
	})
	ctx := powertest.Ctx(t)
	for _, want := range []bool{true, false} {
		if err := sw.Set(ctx, want); err != nil {
			t.Fatal(err)
		}
		got, err := sw.Get(ctx)
		if err != nil || got != want {
			t.Fatalf("Get = %v, %v; want %v", got, err, want)
		}
		b, _ := os.ReadFile(state)
		if strings.TrimSpace(string(b)) != power.State(want) {
			t.Fatalf("command did not run: state file %q", b)
		}
	}
}

func TestExecWithoutStatusReportsLastSet(t *testing.T) {
	sw := powertest.Open(t, power.Config{Driver: "exec", On: []string{"true"}, Off: []string{"true"}})
	ctx := powertest.Ctx(t)
	if _, err := sw.Get(ctx); err == nil || !strings.Contains(err.Error(), "state unknown") {
		t.Fatalf("Get before Set: %v", err)
	}
	sw.Set(ctx, true)
	if on, err := sw.Get(ctx); err != nil || !on {
		t.Fatalf("Get = %v, %v", on, err)
	}
}

func TestExecFailureQuotesStderrWithoutSecret(t *testing.T) {
	const pw = "hunter2-very-secret"
	t.Setenv("CAMRIG_TEST_PDU_PW", pw)
	sw := powertest.Open(t, power.Config{Driver: "exec",
		On:          []string{"sh", "-c", `echo "login $CAMRIG_USER/$CAMRIG_PASSWORD refused" >&2; exit 3`},
		Off:         []string{"true"},
		Status:      []string{"sh", "-c", `echo "$CAMRIG_PASSWORD"`},
		User:        "admin",
		PasswordEnv: "CAMRIG_TEST_PDU_PW",
	})
	ctx := powertest.Ctx(t)
	err := sw.Set(ctx, true)
	if err == nil {
		t.Fatal("no error")
	}
	msg := err.Error()
	for _, want := range []string{"exec:sh", "on command", "exit status 3", "login admin/[redacted] refused"} {
		if !strings.Contains(msg, want) {
			t.Errorf("error %q lacks %q", msg, want)
		}
	}
	_, err = sw.Get(ctx)
	if err == nil {
		t.Fatal("status printing the password parsed as a state")
	}
	for _, e := range []string{msg, err.Error()} {
		if strings.Contains(e, pw) {
			t.Fatalf("password leaked: %q", e)
		}
	}
}

func TestExecTimeoutKillsTheCommand(t *testing.T) {
	sw := powertest.Open(t, power.Config{Driver: "exec",
		On:      []string{"sh", "-c", "sleep 30; echo done"},
		Off:     []string{"true"},
		Timeout: 100 * time.Millisecond,
	})
	start := time.Now()
	err := sw.Set(powertest.Ctx(t), true)
	if err == nil || !strings.Contains(err.Error(), "killed") || !strings.Contains(err.Error(), "deadline of 100ms") {
		t.Fatalf("err = %v", err)
	}
	if d := time.Since(start); d > 5*time.Second {
		t.Fatalf("took %v: the command's process group was not killed", d)
	}
}

func TestExecConfigErrors(t *testing.T) {
	cases := []struct {
		name string
		cfg  power.Config
		want string
	}{
		{"no off", power.Config{On: []string{"true"}}, "both on and off"},
		{"missing program", power.Config{On: []string{"/nonexistent/pdu"}, Off: []string{"true"}}, "/nonexistent/pdu"},
		{"unset password", power.Config{On: []string{"true"}, Off: []string{"true"}, PasswordEnv: "CAMRIG_SURELY_UNSET_PW"}, "CAMRIG_SURELY_UNSET_PW"},
	}
	for _, c := range cases {
		c.cfg.Driver = "exec"
		_, err := power.Open(context.Background(), c.cfg, power.Deps{})
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: err = %v", c.name, err)
		}
	}
}
