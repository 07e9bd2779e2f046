// Package execswitch is the exec power driver: a command per state, for
// any power line the other drivers do not speak to.
package execswitch

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"syscall"
	"time"

	"github.com/camrig/camrig/harness/clock"
	"github.com/camrig/camrig/harness/internal/bindcheck"
	"github.com/camrig/camrig/harness/power"
	"github.com/camrig/camrig/harness/secret"
)

// Driver exec: anything else, through a command per state.
//
//	power:
//	  driver: exec
//	  on:     [/usr/local/bin/pdu, --outlet, "3", "on"]
//	  off:    [/usr/local/bin/pdu, --outlet, "3", "off"]
//	  status: [/usr/local/bin/pdu, --outlet, "3", "status"]   # optional
//	  timeout: 10s                                             # default 10s
//	  user: admin
//	  password_env: PDU_PASSWORD                               # optional
//
// Each list is an argv: it is executed directly, never through a shell, so
// nothing in it is expanded or split. Exit status 0 is the acknowledgement.
// The status command's output is the state: its last non-empty line must be
// on/off, 1/0 or true/false (case-insensitive). Without a status command
// Get returns the state this binding last set (an error before the first
// Set). The credentials, when configured, reach the command in its
// environment as CAMRIG_USER and CAMRIG_PASSWORD, never in argv (which any
// local user can read in /proc); the password is scrubbed from every error.
// Each run is bounded by the timeout; on expiry the command's whole process
// group is killed. Errors quote the command's stderr (scrubbed, cut short).

// DefaultTimeout bounds one command of the exec driver.
const DefaultTimeout = 10 * time.Second

// execOutputLimit caps what is kept of a command's stdout and stderr.
const execOutputLimit = 16 << 10

func init() {
	power.Register(power.Driver{Name: "exec", Press: true, Open: openExec, Check: checkExec})
}

// checkExec requires the on and off argv lists. Whether their programs exist
// is a question for the host that runs the rig, answered by Open.
func checkExec(cfg power.Config, _ bindcheck.Scope) bindcheck.Problems {
	var ps bindcheck.Problems
	if len(cfg.On) == 0 || len(cfg.Off) == 0 {
		ps.Add("", "the exec driver needs on and off commands (argv lists)")
	}
	for _, c := range []struct {
		key  string
		argv []string
	}{{"on", cfg.On}, {"off", cfg.Off}, {"status", cfg.Status}} {
		if len(c.argv) > 0 && c.argv[0] == "" {
			ps.Add(c.key, "the command's program (its first element) is empty")
		}
	}
	return ps
}

type execSwitch struct {
	on, off, status []string
	timeout         time.Duration
	clk             clock.Clock
	env             []string
	password        secret.Secret
	last            power.Commanded
}

func openExec(ctx context.Context, cfg power.Config, deps power.Deps) (power.Switch, error) {
	if len(cfg.On) == 0 || len(cfg.Off) == 0 {
		return nil, fmt.Errorf("exec: both on and off commands are required (argv lists)")
	}
	for _, argv := range [][]string{cfg.On, cfg.Off, cfg.Status} {
		if len(argv) == 0 {
			continue
		}
		if _, err := exec.LookPath(argv[0]); err != nil {
			return nil, fmt.Errorf("exec: %w", err)
		}
	}
	timeout := cfg.Timeout
	if timeout == 0 {
		timeout = DefaultTimeout
	}
	if timeout < 0 {
		return nil, fmt.Errorf("exec %s: timeout %v is negative", cfg.On[0], timeout)
	}
	e := &execSwitch{on: cfg.On, off: cfg.Off, status: cfg.Status, timeout: timeout, clk: deps.Clock}
	if cfg.User != "" {
		e.env = append(e.env, "CAMRIG_USER="+cfg.User)
	}
	if pw := cfg.Password(); !pw.IsZero() {
		resolved, err := pw.Resolve()
		if err != nil {
			return nil, fmt.Errorf("exec %s: password: %w", cfg.On[0], err)
		}
		v, _ := resolved.Value()
		e.password = resolved
		e.env = append(e.env, "CAMRIG_PASSWORD="+v)
	}
	return e, nil
}

func (e *execSwitch) String() string { return "exec:" + e.on[0] }

// Set runs the on or off command; exit status 0 acknowledges.
func (e *execSwitch) Set(ctx context.Context, on bool) error {
	argv := e.off
	if on {
		argv = e.on
	}
	if _, err := e.run(ctx, power.State(on), argv); err != nil {
		return err
	}
	e.last.Remember(on)
	return nil
}

// Get runs the status command, or reports the last set state.
func (e *execSwitch) Get(ctx context.Context) (bool, error) {
	if len(e.status) == 0 {
		on, known := e.last.Last()
		if !known {
			return false, fmt.Errorf("%s: no status command and nothing set yet: state unknown", e)
		}
		return on, nil
	}
	out, err := e.run(ctx, "status", e.status)
	if err != nil {
		return false, err
	}
	on, err := parseExecStatus(out)
	if err != nil {
		return false, fmt.Errorf("%s: status command %s: %s", e, e.quoteArgv(e.status), secret.Scrub(err.Error(), e.password))
	}
	return on, nil
}

func (e *execSwitch) run(ctx context.Context, what string, argv []string) (string, error) {
	ctx, cancel := clock.WithTimeout(ctx, e.clk, e.timeout, "the "+what+" command")
	defer cancel()
	cmd := exec.CommandContext(ctx, argv[0], argv[1:]...)
	cmd.Env = append(os.Environ(), e.env...)
	stdout := &cappedBuffer{max: execOutputLimit}
	stderr := &cappedBuffer{max: execOutputLimit}
	cmd.Stdout, cmd.Stderr = stdout, stderr
	// Kill the whole group: a script's children would otherwise keep the
	// output pipes open past the deadline.
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	cmd.Cancel = func() error { return syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL) }
	cmd.WaitDelay = time.Second
	err := cmd.Run()
	if err != nil {
		if ctx.Err() != nil {
			err = fmt.Errorf("killed: %w", context.Cause(ctx))
		}
		msg := fmt.Sprintf("%s: %s command %s: %v", e, what, e.quoteArgv(argv), err)
		if s := strings.TrimSpace(e.scrubbed(stderr)); s != "" {
			msg += "; stderr: " + power.QuoteBytes([]byte(s))
		}
		return "", errors.New(msg)
	}
	// Scrubbed here, whole, before anything quotes a part of it.
	return e.scrubbed(stdout), nil
}

// scrubbed is what a command printed with the password hidden in any form;
// when the buffer dropped bytes, a password cut at its end is hidden too.
func (e *execSwitch) scrubbed(c *cappedBuffer) string {
	m := secret.NewMatcher(e.password)
	if c.dropped {
		return string(m.RedactCut(c.buf.Bytes()))
	}
	return string(m.Redact(c.buf.Bytes()))
}

func (e *execSwitch) quoteArgv(argv []string) string {
	return secret.Scrub(fmt.Sprintf("%q", argv), e.password)
}

// parseExecStatus reads a status command's output: the last non-empty line
// is the state.
func parseExecStatus(out string) (bool, error) {
	lines := strings.FieldsFunc(out, func(r rune) bool { return r == '\n' || r == '\r' })
	last := ""
	for i := len(lines) - 1; i >= 0; i-- {
		if s := strings.TrimSpace(lines[i]); s != "" {
			last = s
			break
		}
	}
	switch strings.ToLower(last) {
	case "on", "1", "true":
		return true, nil
	case "off", "0", "false":
		return false, nil
	case "":
		return false, errors.New("printed nothing; want on/off, 1/0 or true/false")
	}
	return false, fmt.Errorf("printed %s; want on/off, 1/0 or true/false", power.QuoteBytes([]byte(last)))
}

// cappedBuffer keeps the first max bytes written and silently drops the
// rest (the command must not block on a full pipe).
type cappedBuffer struct {
	buf     bytes.Buffer
	max     int
	dropped bool
}

func (c *cappedBuffer) Write(p []byte) (int, error) {
	room := c.max - c.buf.Len()
	if room > 0 {
		c.buf.Write(p[:min(len(p), room)])
	}
	c.dropped = c.dropped || len(p) > room
	return len(p), nil
}

func (c *cappedBuffer) String() string { return c.buf.String() }
