package ubootsim_test

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/camrig/camrig/rigs/virtual/device"
	"github.com/camrig/camrig/rigs/virtual/flashsim"
	"github.com/camrig/camrig/rigs/virtual/pty"
	"github.com/camrig/camrig/rigs/virtual/uart"
	"github.com/camrig/camrig/rigs/virtual/ubootsim"
	"golang.org/x/sys/unix"
)

// bufIO is a device.BootIO in memory: output collects in a buffer, input
// comes from a channel the test feeds; closing in ends every read.
type bufIO struct {
	mu   sync.Mutex
	out  bytes.Buffer
	seen int // bytes of out consumed by waitFor
	in   chan byte
	baud int
}

func newBufIO() *bufIO { return &bufIO{in: make(chan byte, 1<<16), baud: 115200} }

func (b *bufIO) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.out.Write(p)
}

// waitFor waits until the output after the last match contains want, and
// returns what came before it.
func (b *bufIO) waitFor(t testing.TB, want string) string {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		b.mu.Lock()
		rest := b.out.String()[b.seen:]
		if i := strings.Index(rest, want); i >= 0 {
			b.seen += i + len(want)
			b.mu.Unlock()
			return rest[:i]
		}
		b.mu.Unlock()
		if time.Now().After(deadline) {
			t.Fatalf("no %q in the output after 10 s; got %q", want, rest)
		}
		time.Sleep(time.Millisecond) // polling a buffer the command fills
	}
}

func (b *bufIO) ReadByteContext(ctx context.Context) (byte, error) {
	select {
	case c, ok := <-b.in:
		if !ok {
			return 0, errors.New("line closed")
		}
		return c, nil
	default:
	}
	select {
	case c, ok := <-b.in:
		if !ok {
			return 0, errors.New("line closed")
		}
		return c, nil
	case <-ctx.Done():
		return 0, context.Cause(ctx)
	}
}

func (b *bufIO) Baud() int { b.mu.Lock(); defer b.mu.Unlock(); return b.baud }

func (b *bufIO) SetBaud(v int) { b.mu.Lock(); defer b.mu.Unlock(); b.baud = v }

func (b *bufIO) send(p ...byte) {
	for _, c := range p {
		b.in <- c
	}
}

func (b *bufIO) output() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.out.String()
}

// mapEnv is a device.Env.
type mapEnv struct {
	mu sync.Mutex
	m  map[string]string
}

func newEnv(kv ...string) *mapEnv {
	e := &mapEnv{m: map[string]string{}}
	for i := 0; i+1 < len(kv); i += 2 {
		e.m[kv[i]] = kv[i+1]
	}
	return e
}

func (e *mapEnv) Get(k string) (string, bool) {
	e.mu.Lock()
	defer e.mu.Unlock()
	v, ok := e.m[k]
	return v, ok
}

func (e *mapEnv) Set(k, v string) {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.m[k] = v
}

const ramBase = 0x82000000

// rig is the commands of one simulated board.
type rig struct {
	ram  *ubootsim.RAM
	chip *flashsim.Chip
	cmds map[string]device.Command
	env  *mapEnv
}

var w25q128 = flashsim.Geometry{Name: "w25q128", Size: 16 << 20, EraseSize: 64 << 10, PageSize: 256}

// fastTiming keeps U-Boot's proportions at a hundredth, for tests that
// provoke timeouts.
var fastTiming = ubootsim.DefaultTiming().Scaled(0.01)

func newRig(t testing.TB, g flashsim.Geometry, opts ...ubootsim.Option) *rig {
	t.Helper()
	r := &rig{ram: ubootsim.NewRAM(ramBase, 32<<20), cmds: map[string]device.Command{}, env: newEnv()}
	if g.Size > 0 {
		chip, err := flashsim.Open(filepath.Join(t.TempDir(), "flash.bin"), g)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { chip.Close() })
		r.chip = chip
	}
	ubootsim.Install(func(name string, c device.Command) { r.cmds[name] = c }, r.chip, r.ram, opts...)
	return r
}

// run runs one command line like the unit's shell: its output, then the
// error line the shell prints.
func (r *rig) run(t testing.TB, io device.BootIO, args ...string) error {
	t.Helper()
	cmd, ok := r.cmds[args[0]]
	if !ok {
		t.Fatalf("no command %q", args[0])
	}
	err := cmd(context.Background(), io, r.env, args)
	if err != nil {
		io.Write([]byte(err.Error() + "\r\n"))
	}
	return err
}

// line is a unit's UART on a pty: the unit side is a paced uart.UART on
// the master, the harness side the slave.
type line struct {
	pair  *pty.Pair
	uart  *uart.UART
	slave *os.File
}

func newLine(t testing.TB, baud int) *line {
	t.Helper()
	return newLineConfig(t, uart.Config{Baud: baud})
}

func newLineConfig(t testing.TB, cfg uart.Config) *line {
	t.Helper()
	pair, err := pty.Open("")
	if err != nil {
		t.Fatal(err)
	}
	u, err := uart.New(pair.Master, cfg)
	if err != nil {
		pair.Close()
		t.Fatal(err)
	}
	u.PowerOn()
	slave, err := os.OpenFile(pair.SlavePath, os.O_RDWR|unix.O_NOCTTY, 0)
	if err != nil {
		u.Close()
		pair.Close()
		t.Fatal(err)
	}
	t.Cleanup(func() {
		slave.Close()
		u.Close()
		pair.Close()
	})
	return &line{pair: pair, uart: u, slave: slave}
}

// readAll returns what the slave has buffered, waiting at most d for more.
func (l *line) readAll(d time.Duration) []byte {
	var out []byte
	buf := make([]byte, 4096)
	for {
		l.slave.SetReadDeadline(time.Now().Add(d))
		n, err := l.slave.Read(buf)
		out = append(out, buf[:n]...)
		if err != nil {
			l.slave.SetReadDeadline(time.Time{})
			return out
		}
	}
}
