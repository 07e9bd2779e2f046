package main

import (
	"bytes"
	"context"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/camrig/camrig/harness/secret"
	"github.com/camrig/camrig/rigs/virtual/pty"
	"github.com/camrig/camrig/rigs/virtual/unit"
)

// ptyDevice plays a unit on the master end of a pty: it answers each
// request it sees with a reply, and records every byte the CLI sent.
type ptyDevice struct {
	pair *pty.Pair
	mu   sync.Mutex
	got  bytes.Buffer
	news notifier
	done chan struct{}
}

// newPtyDevice makes the pty (its slave linked at link) and starts the
// device: when the bytes received so far end with a key of replies, it
// writes that reply.
func newPtyDevice(t *testing.T, link string, replies map[string]string) *ptyDevice {
	t.Helper()
	pair, err := pty.Open(link)
	if err != nil {
		t.Fatal(err)
	}
	d := &ptyDevice{pair: pair, done: make(chan struct{})}
	go d.serve(replies)
	t.Cleanup(func() {
		pair.Close()
		<-d.done
	})
	return d
}

func (d *ptyDevice) serve(replies map[string]string) {
	defer close(d.done)
	buf := make([]byte, 256)
	for {
		n, err := d.pair.Master.Read(buf)
		if n > 0 {
			d.mu.Lock()
			d.got.Write(buf[:n])
			seen := d.got.String()
			d.mu.Unlock()
			d.news.notify()
			for req, reply := range replies {
				if strings.HasSuffix(seen, req) {
					if _, err := d.pair.Master.Write([]byte(reply)); err != nil {
						return
					}
				}
			}
		}
		if err != nil && !errors.Is(err, os.ErrDeadlineExceeded) {
			return // closed
		}
	}
}

func (d *ptyDevice) received() string {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.got.String()
}

// consoleRig is a rig with one unit whose console is a pty played by the
// test, plus an API password file (never contacted; the console must
// redact its value).
func consoleRig(t *testing.T, password string) (rigPath, link string) {
	t.Helper()
	dir := t.TempDir()
	link = filepath.Join(dir, "cam1.uart")
	pw := filepath.Join(dir, "cam1.secret")
	if err := os.WriteFile(pw, []byte(password+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	units := "  - name: cam1\n    profile: hikvision-ds2cd\n    console: {port: " + link + ", baud: 115200}\n" +
		"    api: {url: \"http://127.0.0.1:9\", user: admin, password_file: " + pw + "}\n"
	return writeRig(t, "", units), link
}

func TestConsoleSendThenExpect(t *testing.T) {
	rigPath, link := consoleRig(t, "Adm1nPassw0rd")
	dev := newPtyDevice(t, link, map[string]string{
		"printenv\r": "printenv\r\nbootdelay=1\r\nver=U-Boot 1.3.4\r\nHKVS # ",
	})
	stdout, _ := wantExit(t, exitOK, "console", "--rig", rigPath, "--unit", "cam1",
		"--send", "printenv", "--expect", `ver=U-Boot \d+\.\d+\.\d+`, "--regex", "--timeout", "5m")
	if got := dev.received(); got != "printenv\r" {
		t.Errorf("the device received %q, want %q", got, "printenv\r")
	}
	if !strings.Contains(stdout, "bootdelay=1") || !strings.HasSuffix(stdout, "ver=U-Boot 1.3.4\n") {
		t.Errorf("stdout should end at the match, with what came before it: %q", stdout)
	}
}

func TestConsoleExpectTimesOutWithExitFailed(t *testing.T) {
	rigPath, link := consoleRig(t, "Adm1nPassw0rd")
	dev := newPtyDevice(t, link, map[string]string{"\r": "HKVS # "})
	// A bare Enter gets a prompt, not the pattern. 10s of device time is
	// 100ms at the rig's timescale of 0.01.
	_, stderr := wantExit(t, exitFailed, "console", "--rig", rigPath, "--unit", "cam1",
		"--send", "", "--expect", "never printed", "--timeout", "10s")
	if got := dev.received(); got != "\r" {
		t.Errorf("--send \"\" should send a bare CR, the device got %q", got)
	}
	for _, want := range []string{`waiting for "never printed"`, "deadline of 100ms", `last bytes received: "HKVS # "`} {
		if !strings.Contains(stderr, want) {
			t.Errorf("stderr does not say %q:\n%s", want, stderr)
		}
	}
}

func TestConsoleSendOnlyWritesEscapesAndLineEnding(t *testing.T) {
	tests := []struct {
		send, eol, want string
	}{
		{`\x15`, "none", "\x15"},
		{"reset", "crlf", "reset\r\n"},
		{`setenv a "b c"`, "lf", "setenv a \"b c\"\n"},
	}
	for _, tt := range tests {
		t.Run(tt.want, func(t *testing.T) {
			rigPath, link := consoleRig(t, "Adm1nPassw0rd")
			dev := newPtyDevice(t, link, nil)
			wantExit(t, exitOK, "console", "--rig", rigPath, "--unit", "cam1", "--send", tt.send, "--eol", tt.eol)
			// The write is acknowledged by the tty before the command exits;
			// wait for the device to have read it.
			waitFor(t, &dev.news, func() bool { return dev.received() == tt.want }, dev.received)
		})
	}
}

func TestConsoleRedactsCredentialsTheUnitEchoes(t *testing.T) {
	const pw = "Adm1nPassw0rd"
	rigPath, link := consoleRig(t, pw)
	newPtyDevice(t, link, map[string]string{"login\r": "Password: " + pw + "\r\nlogged in\r\n"})
	stdout, _ := wantExit(t, exitOK, "console", "--rig", rigPath, "--unit", "cam1", "--send", "login", "--expect", "logged in", "--timeout", "5m")
	if strings.Contains(stdout, pw) || !strings.Contains(stdout, "Password: [redacted]") {
		t.Fatalf("stdout must show the password redacted: %q", stdout)
	}
}

func TestConsoleStreamsUntilCancelledAndSendsStdinLines(t *testing.T) {
	rigPath, link := consoleRig(t, "Adm1nPassw0rd")
	dev := newPtyDevice(t, link, map[string]string{"help\r": "commands: printenv reset\r\nHKVS # "})
	in, inW := io.Pipe()
	defer inW.Close()
	old := stdin
	stdin = in
	t.Cleanup(func() { stdin = old })

	out := &syncBuffer{}
	var stderr bytes.Buffer
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	codeCh := make(chan int, 1)
	go func() { codeCh <- runConsole(ctx, []string{"--rig", rigPath, "--unit", "cam1"}, out, &stderr) }()

	if _, err := io.WriteString(inW, "help\n"); err != nil {
		t.Fatal(err)
	}
	// The prompt has no newline after it: it must still show at once.
	waitFor(t, &out.news, func() bool { return strings.HasSuffix(out.String(), "HKVS # ") }, out.String)
	cancel()
	select {
	case code := <-codeCh:
		if code != exitOK {
			t.Fatalf("exit %d after Ctrl-C, want %d; stderr:\n%s", code, exitOK, stderr.String())
		}
	case <-time.After(10 * time.Second):
		t.Fatal("console did not stop after its context ended")
	}
	if got := dev.received(); got != "help\r" {
		t.Errorf("device received %q, want the stdin line with CR", got)
	}
}

func TestConsoleUsageErrors(t *testing.T) {
	rigPath, _ := consoleRig(t, "Adm1nPassw0rd")
	tests := []struct {
		name       string
		args       []string
		wantStderr string
	}{
		{"bad eol", []string{"--eol", "cr+lf"}, `--eol "cr+lf"`},
		{"bad escape", []string{"--send", `\x1`}, "--send: bad escape"},
		{"bad regex", []string{"--expect", "(", "--regex"}, "--expect: pattern /(/"},
		{"timeout alone", []string{"--timeout", "1s"}, "only apply to --expect"},
		{"positional", []string{"extra"}, "unexpected arguments"},
		{"cycle without power", []string{"--cycle"}, "no power (for --cycle) binding"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			args := append([]string{"console", "--rig", rigPath, "--unit", "cam1"}, tt.args...)
			want := exitUsage
			if tt.name == "cycle without power" {
				want = exitFailed
			}
			_, stderr := wantExit(t, want, args...)
			if !strings.Contains(stderr, tt.wantStderr) {
				t.Fatalf("stderr does not mention %q:\n%s", tt.wantStderr, stderr)
			}
		})
	}
}

func TestUnescape(t *testing.T) {
	tests := []struct{ in, want string }{
		{"plain", "plain"},
		{`\x15`, "\x15"},
		{`a\r\nb`, "a\r\nb"},
		{`\xff`, "\xff"},
		{`caf\u00e9`, "café"},
		{`"quoted" 'too'`, `"quoted" 'too'`},
		{`\\`, `\`},
	}
	for _, tt := range tests {
		got, err := unescape(tt.in)
		if err != nil || got != tt.want {
			t.Errorf("unescape(%q) = %q, %v; want %q", tt.in, got, err, tt.want)
		}
	}
	for _, bad := range []string{`\x1`, `\q`, `trailing\`} {
		if _, err := unescape(bad); err == nil {
			t.Errorf("unescape(%q) accepted a bad escape", bad)
		}
	}
}

// TestScrubWriterCatchesSecretsAcrossEveryWriteSplit feeds a stream in two
// writes split at every position: the output must equal the whole-stream
// replacement, so a secret cut in two by the tty is still caught. A stream
// that ends on the start of the secret does not show that piece either.
func TestScrubWriterCatchesSecretsAcrossEveryWriteSplit(t *testing.T) {
	const pw = "Adm1nPassw0rd"
	streams := []struct{ in, want string }{
		{"login: admin\r\nPassword: " + pw + "\r\n# ", "login: admin\r\nPassword: [redacted]\r\n# "},
		{pw + pw + " Adm1n " + pw, "[redacted][redacted] Adm1n [redacted]"},
		{"no secret here, just Adm1nPass", "no secret here, just [redacted]"},
		{"echoed Adm1n&#80;ass%77%30rd, escaped", "echoed [redacted], escaped"},
	}
	for _, st := range streams {
		s, want := st.in, st.want
		for cut := 0; cut <= len(s); cut++ {
			var out bytes.Buffer
			w := newScrubWriter(&out, secret.Literal(pw))
			w.Write([]byte(s[:cut]))
			w.Write([]byte(s[cut:]))
			if err := w.Flush(); err != nil {
				t.Fatal(err)
			}
			if out.String() != want {
				t.Fatalf("split at %d of %q: got %q, want %q", cut, s, out.String(), want)
			}
		}
	}
}

func TestScrubWriterHoldsBackOnlyAPossibleSecretStart(t *testing.T) {
	var out bytes.Buffer
	w := newScrubWriter(&out, secret.Literal("Adm1nPassw0rd"))
	w.Write([]byte("HKVS # "))
	if out.String() != "HKVS # " {
		t.Fatalf("a prompt that cannot start the secret was held back: %q", out.String())
	}
	w.Write([]byte("typed Adm1n"))
	if out.String() != "HKVS # typed " {
		t.Fatalf("the start of the secret should be held back: %q", out.String())
	}
}

// notifier wakes waiters whenever something changed.
type notifier struct {
	mu sync.Mutex
	ch chan struct{}
}

// changed returns a channel closed at the next notify.
func (n *notifier) changed() <-chan struct{} {
	n.mu.Lock()
	defer n.mu.Unlock()
	if n.ch == nil {
		n.ch = make(chan struct{})
	}
	return n.ch
}

func (n *notifier) notify() {
	n.mu.Lock()
	defer n.mu.Unlock()
	if n.ch != nil {
		close(n.ch)
		n.ch = nil
	}
}

// waitFor re-checks cond whenever n reports a change, up to a generous
// bound; show explains a failure.
func waitFor(t *testing.T, n *notifier, cond func() bool, show func() string) {
	t.Helper()
	timeout := time.After(10 * time.Second)
	for {
		ch := n.changed()
		if cond() {
			return
		}
		select {
		case <-ch:
		case <-timeout:
			t.Fatalf("condition not met within 10s; have %q", show())
		}
	}
}

// syncBuffer is a bytes.Buffer safe for a writer and a reader goroutine.
type syncBuffer struct {
	mu   sync.Mutex
	b    bytes.Buffer
	news notifier
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	n, err := s.b.Write(p)
	s.mu.Unlock()
	s.news.notify()
	return n, err
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// TestConsoleCycleExpectOnVirtualRig watches a simulated unit boot over
// its pty UART: --cycle powers it through the relay board once the console
// is open, and --expect waits for the profile's ready marker.
func TestConsoleCycleExpectOnVirtualRig(t *testing.T) {
	rigPath, _ := virtualRig(t, virtualCam1)
	stdout, _ := wantExit(t, exitOK, "console", "--rig", rigPath, "--unit", "cam1", "--cycle", "--expect", "blink: app ready")
	for _, want := range []string{"U-Boot 2013.07", "Starting kernel", "blink: app ready\n"} {
		if !strings.Contains(stdout, want) {
			t.Errorf("boot log printed does not contain %q:\n%s", want, stdout)
		}
	}
	// Watching left the unit running.
	stdout, _ = wantExit(t, exitOK, "power", "status", "--rig", rigPath, "--unit", "cam1")
	if !strings.Contains(stdout, "power on") {
		t.Errorf("console --cycle should leave the unit on: %q", stdout)
	}
	// Without power the unit is silent: the same wait fails.
	wantExit(t, exitOK, "power", "off", "--rig", rigPath, "--unit", "cam1")
	_, stderr := wantExit(t, exitFailed, "console", "--rig", rigPath, "--unit", "cam1", "--expect", "blink: app ready")
	if !strings.Contains(stderr, "deadline of 600ms") {
		t.Errorf("the default timeout should be blink's 60s boot deadline, scaled:\n%s", stderr)
	}
}

// TestConsoleCycleExpectWaitsForTheNewBoot: the unit booted while nobody
// watched its console, so the kernel still holds that boot's log, ready
// line included, when `console --cycle --expect` opens the port. That
// first boot carried out a pending factory reset (it says so); the one the
// command's own power cycle starts does not. The command must print and
// match the new boot, not return on the stale ready line.
func TestConsoleCycleExpectWaitsForTheNewBoot(t *testing.T) {
	rigPath, sim := virtualRig(t, virtualCam1)
	cam := sim.Unit("cam1")
	// The simulated unit's own flag for a factory reset due at its next
	// boot (what a reset hold leaves behind).
	if err := cam.Config().Set("sim.factory_pending", "full"); err != nil {
		t.Fatal(err)
	}
	wantExit(t, exitOK, "power", "on", "--rig", rigPath, "--unit", "cam1")
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := cam.WaitState(ctx, unit.StateUp); err != nil {
		t.Fatal(err)
	}

	stdout, _ := wantExit(t, exitOK, "console", "--rig", rigPath, "--unit", "cam1", "--cycle", "--expect", "blink: app ready")
	if n := cam.BootCount(); n != 2 {
		t.Fatalf("the unit booted %d times, want 2 (power on, then the cycle)", n)
	}
	if strings.Contains(stdout, "erasing config partition") || !strings.Contains(stdout, "U-Boot 2013.07") || !strings.HasSuffix(stdout, "blink: app ready\n") {
		t.Fatalf("console --cycle --expect should show the new boot, not the factory-reset boot before it:\n%s", stdout)
	}
}

// TestConsoleLeavesNoSpillFiles: a console that saw more than its memory
// window spills the raw (unredacted) stream to $TMPDIR; none of it may be
// left once the command ends.
func TestConsoleLeavesNoSpillFiles(t *testing.T) {
	tmp := t.TempDir()
	t.Setenv("TMPDIR", tmp)
	rigPath, link := consoleRig(t, "Adm1nPassw0rd")
	// More than the hard cap of unconsumed bytes (4 windows of 1 MiB), so
	// the transcript spills while --expect waits.
	flood := strings.Repeat("[ 12.345678] ubi0: attaching mtd3, password Adm1nPassw0rd\r\n", (5<<20)/60)
	newPtyDevice(t, link, map[string]string{"\r": flood + "END\r\n"})
	// 100m of profile time is 60 s at the rig's timescale: room for 5 MiB
	// through a pty on a loaded machine under -race.
	wantExit(t, exitOK, "console", "--rig", rigPath, "--unit", "cam1", "--send", "", "--expect", "END", "--timeout", "100m")
	left, err := filepath.Glob(filepath.Join(tmp, "camrig-console-*"))
	if err != nil || len(left) != 0 {
		t.Fatalf("spill files left in $TMPDIR: %v (%v)", left, err)
	}
}

// TestConsoleCycleExpectEndsOnAFailureMarker: the unit's bootloader
// refuses its corrupt image and stops at its prompt. `console --cycle
// --expect` waiting for the ready marker ends on the refusal at once, exit
// 1, naming the failure marker and its line, instead of at the deadline.
func TestConsoleCycleExpectEndsOnAFailureMarker(t *testing.T) {
	rigPath, _ := virtualRigSim(t, "  units:\n    cam1: {bricked: true}\n", virtualCam1)
	stdout, stderr := wantExit(t, exitFailed, "console", "--rig", rigPath, "--unit", "cam1", "--cycle", "--expect", "blink: app ready")
	if !strings.Contains(stderr, "cam1 is failing: console shows bad-image") || !strings.Contains(stderr, "Bad Data CRC") || strings.Contains(stderr, "deadline") {
		t.Fatalf("stderr should name the failure marker and its line, not a deadline:\n%s", stderr)
	}
	if !strings.Contains(stdout, "U-Boot 2013.07") || !strings.HasSuffix(stdout, "Bad Data CRC\n") {
		t.Fatalf("stdout should show the boot up to the failing line:\n%s", stdout)
	}
}

// TestConsoleSendExpectIgnoresWhatCameBeforeTheCommand: the unit printed
// a bootdelay line while nobody listened; it waits in the port when the
// command opens it. --expect after --send must match the answer to the
// command, not that stale line.
func TestConsoleSendExpectIgnoresWhatCameBeforeTheCommand(t *testing.T) {
	rigPath, link := consoleRig(t, "Adm1nPassw0rd")
	dev := newPtyDevice(t, link, map[string]string{"printenv\r": "printenv\r\nbootdelay=1\r\nHKVS # "})
	if _, err := dev.pair.Master.Write([]byte("bootdelay=9\r\nHKVS # ")); err != nil {
		t.Fatal(err)
	}
	stdout, _ := wantExit(t, exitOK, "console", "--rig", rigPath, "--unit", "cam1",
		"--send", "printenv", "--expect", `bootdelay=\d`, "--regex", "--timeout", "5m")
	if strings.Contains(stdout, "bootdelay=9") || !strings.HasSuffix(stdout, "bootdelay=1\n") {
		t.Fatalf("stdout should be the answer to printenv, not what was queued before it: %q", stdout)
	}
}
