package ubootsim_test

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/camrig/camrig/harness/ymodem"
	"github.com/camrig/camrig/rigs/virtual/device"
	"golang.org/x/sys/unix"
)

// lookLRZSZ finds one of Debian lrzsz's programs under its plain or
// l-prefixed name.
func lookLRZSZ(name string) (string, error) {
	var err error
	for _, n := range []string{name, "l" + name} {
		var p string
		if p, err = exec.LookPath(n); err == nil {
			return p, nil
		}
	}
	return "", err
}

// lrzsz is lookLRZSZ or a skip.
func lrzsz(t testing.TB, name string) string {
	t.Helper()
	p, err := lookLRZSZ(name)
	if err != nil {
		t.Skipf("lrzsz %s not installed (apt-get install lrzsz; `make deps` does it)", name)
	}
	return p
}

// transcriptPort is the harness side of the line for our sender: it keeps
// everything the sender read, so the test can check the bootloader's text.
type transcriptPort struct {
	ymodem.Port
	mu   sync.Mutex
	seen []byte
}

func (p *transcriptPort) ReadContext(ctx context.Context, b []byte) (int, error) {
	n, err := p.Port.ReadContext(ctx, b)
	p.mu.Lock()
	p.seen = append(p.seen, b[:n]...)
	p.mu.Unlock()
	return n, err
}

// runOnLine runs a command with the line's UART as its console.
func runOnLine(r *rig, l *line, args ...string) <-chan error {
	return runOn(r, l.uart, args...)
}

// runOn runs a command with io as its console.
func runOn(r *rig, io device.BootIO, args ...string) <-chan error {
	done := make(chan error, 1)
	go func() {
		err := r.cmds[args[0]](context.Background(), io, r.env, args)
		if err != nil {
			io.Write([]byte(err.Error() + "\r\n"))
		}
		done <- err
	}()
	return done
}

// recordingIO keeps everything the bootloader wrote to its console, on the
// device side of the line: whatever reads the other side.
type recordingIO struct {
	device.BootIO
	mu    sync.Mutex
	wrote []byte
}

func (r *recordingIO) Write(p []byte) (int, error) {
	n, err := r.BootIO.Write(p)
	r.mu.Lock()
	r.wrote = append(r.wrote, p[:n]...)
	r.mu.Unlock()
	return n, err
}

func (r *recordingIO) String() string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return string(r.wrote)
}

func waitCmd(t testing.TB, done <-chan error) error {
	t.Helper()
	select {
	case err := <-done:
		return err
	case <-time.After(60 * time.Second):
		t.Fatal("the command did not finish")
		return nil
	}
}

// checkLoaded checks RAM, filesize and the summary lines of a good load.
func checkLoaded(t *testing.T, r *rig, out string, data []byte) {
	t.Helper()
	if got, _ := r.ram.Read(ramBase, len(data)); !bytes.Equal(got, data) {
		t.Error("RAM differs from what was sent")
	}
	if v, _ := r.env.Get("filesize"); v != fmt.Sprintf("%x", len(data)) {
		t.Errorf("filesize = %q, want %x", v, len(data))
	}
	want := fmt.Sprintf("## Total Size      = 0x%08x = %d Bytes\r\n## Start Addr      = 0x82000000\r\n", len(data), len(data))
	if !strings.Contains(out, want) || !strings.Contains(out, "xyzModem - CRC mode, ") {
		t.Errorf("output %q lacks the summary %q", out, want)
	}
}

// TestLoadyFromHarnessSender: our ymodem sender on the harness side of a
// paced UART, like a bench: with its defaults for any receiver, and as
// harness/uboot's LoadY sends (block 1 right after block 0's ACK).
func TestLoadyFromHarnessSender(t *testing.T) {
	senders := []struct {
		name string
		opts []ymodem.Option
	}{
		{"default", nil},
		{"as LoadY", []ymodem.Option{ymodem.WithoutStartGrace()}},
	}
	for _, snd := range senders {
		for _, size := range []int{0, 1, 1029, 20000} {
			t.Run(fmt.Sprint(snd.name, "/", size), func(t *testing.T) {
				t.Parallel()
				r := newRig(t, w25q128)
				l := newLine(t, 460800)
				data := randomBytes(size, byte(size))
				done := runOnLine(r, l, "loady")
				port := &transcriptPort{Port: ymodem.FilePort(l.slave)}
				ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
				defer cancel()
				st, err := ymodem.New(port, snd.opts...).YModem(ctx, ymodem.File{Name: "fw.bin", Data: data})
				if err != nil {
					t.Fatalf("send: %v; the unit said %q", err, port.seen)
				}
				if err := waitCmd(t, done); err != nil {
					t.Fatal(err)
				}
				out := string(port.seen) + string(l.readAll(50*time.Millisecond))
				checkLoaded(t, r, out, data)
				if st.Retransmits != 0 || st.EndUnconfirmed {
					t.Errorf("stats %+v on a clean line", st)
				}
			})
		}
	}
}

// runSender runs an lrzsz sender with its stdin/stdout on the line's slave.
func runSender(t testing.TB, l *line, prog string, args ...string) (wait func() (string, error)) {
	t.Helper()
	// The child gets its own descriptor: handing l.slave to exec would put
	// it in blocking mode (os.File.Fd does) and end its read deadlines.
	tty, err := os.OpenFile(l.pair.SlavePath, os.O_RDWR|unix.O_NOCTTY, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer tty.Close()
	cmd := exec.Command(prog, args...)
	var stderr bytes.Buffer
	cmd.Stdin, cmd.Stdout, cmd.Stderr = tty, tty, &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	t.Cleanup(func() {
		select {
		case <-done:
		default:
			cmd.Process.Kill()
			<-done
		}
	})
	return func() (string, error) {
		select {
		case err := <-done:
			done <- err
			return stderr.String(), err
		case <-time.After(60 * time.Second):
			t.Fatalf("%s did not finish", prog)
			return "", nil
		}
	}
}

// TestLoadFromLRZSZ: Debian's sb and sx as the senders, a real peer for the
// receiver.
func TestLoadFromLRZSZ(t *testing.T) {
	cases := []struct {
		cmd  string
		prog string
		args []string
		size int
	}{
		{"loady", "sb", nil, 5000},
		{"loady", "sb", []string{"-k"}, 70000},
		{"loadx", "sx", nil, 3000},
		{"loadx", "sx", []string{"-k"}, 9000},
	}
	for _, c := range cases {
		t.Run(c.cmd+" "+c.prog+strings.Join(c.args, ""), func(t *testing.T) {
			t.Parallel()
			prog := lrzsz(t, c.prog)
			r := newRig(t, w25q128)
			l := newLine(t, 460800)
			data := randomBytes(c.size, byte(c.size))
			path := filepath.Join(t.TempDir(), "fw.bin")
			if err := os.WriteFile(path, data, 0o644); err != nil {
				t.Fatal(err)
			}
			// The summary U-Boot prints after the last ACK is read from the
			// tty by sb or sx if they have not exited yet, in whole or in
			// part as the scheduler decides: the test checks what the
			// bootloader wrote, not what was left over on the line.
			console := &recordingIO{BootIO: l.uart}
			done := runOn(r, console, c.cmd)
			wait := runSender(t, l, prog, append(append([]string{"-q"}, c.args...), path)...)
			stderr, err := wait()
			if err != nil {
				t.Fatalf("%s: %v\n%s", c.prog, err, stderr)
			}
			if err := waitCmd(t, done); err != nil {
				t.Fatal(err)
			}
			checkLoaded(t, r, console.String(), data)
		})
	}
}
