package qemusim

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/camrig/camrig/rigs/virtual/simclock"
)

// Config says how to boot one unit.
type Config struct {
	// Binary is the emulator (default DefaultBinary, looked up in PATH).
	Binary string `yaml:"binary"`
	// BIOS is the bootloader image (default DefaultBIOS).
	BIOS string `yaml:"bios"`
	// PFlash is the unit's flash: the file behind pflash bank 2. Created
	// erased when missing (see EnsurePFlash).
	PFlash string `yaml:"pflash"`
	// Serial is the unix socket path QEMU listens on for the unit's UART
	// (the rig's console port is unix://<Serial>).
	Serial string `yaml:"serial"`
	// QMP, when set, is a unix socket path where QEMU also listens for QMP:
	// the "qemu" power backend's port. The launcher does not use it: it
	// has a private connection of its own during start-up.
	QMP string `yaml:"qmp"`
	// StartTimeout bounds Start (default 10 s).
	StartTimeout time.Duration `yaml:"start_timeout"`
}

// Machine is one running QEMU process.
type Machine struct {
	cfg     Config
	cmd     *exec.Cmd
	version string
	clk     simclock.Clock
	log     *slog.Logger
	stderr  *tailBuffer

	exited  chan struct{} // closed when the process has been reaped
	exitErr error

	closeOnce sync.Once
	closeErr  error
}

// Option configures Start.
type Option func(*Machine)

// WithClock sets the clock that bounds Start and Close (default: the wall
// clock).
func WithClock(c simclock.Clock) Option { return func(m *Machine) { m.clk = c } }

// WithLogger sets the logger (default: discard).
func WithLogger(l *slog.Logger) Option { return func(m *Machine) { m.log = l } }

// maxSocketPath is the longest path a unix socket can bind (sun_path).
const maxSocketPath = 107

// quitWithin is how long Close waits for QEMU to exit after SIGTERM before
// it kills it.
const quitWithin = 5 * time.Second

// Start launches QEMU paused (powered off) and returns once QEMU has
// answered a QMP command, which it does only from its main loop, after
// every device and socket (serial, QMP) exists.
func Start(ctx context.Context, cfg Config, opts ...Option) (*Machine, error) {
	m := &Machine{cfg: cfg, clk: simclock.Real{}, log: slog.New(slog.DiscardHandler), exited: make(chan struct{}), stderr: &tailBuffer{max: 4096}}
	for _, o := range opts {
		o(m)
	}
	if err := m.checkConfig(); err != nil {
		return nil, err
	}
	if err := EnsurePFlash(m.cfg.PFlash); err != nil {
		return nil, err
	}
	ctx, cancel := simclock.WithTimeout(ctx, m.clk, m.cfg.StartTimeout)
	defer cancel()

	// QEMU connects to us for the launcher's QMP session: the connection
	// arriving and the answer to one command are the events that say QEMU
	// is up, so nothing polls for files to appear.
	dir, err := os.MkdirTemp("", "camrig-qemu-")
	if err != nil {
		return nil, fmt.Errorf("qemusim: %w", err)
	}
	defer os.RemoveAll(dir)
	ctlPath := filepath.Join(dir, "ctl.sock")
	ln, err := net.Listen("unix", ctlPath)
	if err != nil {
		return nil, fmt.Errorf("qemusim: control socket: %w", err)
	}
	defer ln.Close()

	m.cmd = exec.Command(m.cfg.Binary, m.args(ctlPath)...)
	m.cmd.Stdout = m.stderr
	m.cmd.Stderr = m.stderr
	m.cmd.SysProcAttr = diesWithParent()
	m.log.Debug("qemu: starting", "argv", m.cmd.Args)
	if err := m.cmd.Start(); err != nil {
		return nil, fmt.Errorf("qemusim: starting %s: %w", m.cfg.Binary, err)
	}
	go func() {
		m.exitErr = m.cmd.Wait()
		close(m.exited)
	}()

	type accepted struct {
		c   net.Conn
		err error
	}
	acc := make(chan accepted, 1)
	go func() {
		c, err := ln.Accept()
		acc <- accepted{c, err}
	}()
	var conn net.Conn
	select {
	case a := <-acc:
		conn, err = a.c, a.err
	case <-m.exited:
		err = fmt.Errorf("qemu exited during start-up (%v)", m.exitErr)
	case <-ctx.Done():
		err = startTimeout(ctx, m.cfg.StartTimeout)
	}
	if err == nil {
		// The launcher needs nothing more from QMP: it hangs up, and QEMU
		// carries on without this monitor.
		m.version, err = handshake(ctx, conn)
		conn.Close()
		if err != nil && ctx.Err() != nil {
			err = startTimeout(ctx, m.cfg.StartTimeout)
		}
	}
	if err != nil {
		m.kill()
		if said := m.stderr.String(); said != "" {
			err = fmt.Errorf("%w; qemu said: %s", err, said)
		}
		return nil, fmt.Errorf("qemusim: start: %w", err)
	}
	m.log.Info("qemu: started", "version", m.version, "pid", m.cmd.Process.Pid, "serial", m.cfg.Serial)
	return m, nil
}

// startTimeout explains a start that ctx ended.
func startTimeout(ctx context.Context, d time.Duration) error {
	if errors.Is(context.Cause(ctx), context.DeadlineExceeded) {
		return fmt.Errorf("qemu did not answer QMP within %v: %w", d, context.DeadlineExceeded)
	}
	return context.Cause(ctx)
}

func (m *Machine) checkConfig() error {
	if m.cfg.Binary == "" {
		m.cfg.Binary = DefaultBinary
	}
	if m.cfg.BIOS == "" {
		m.cfg.BIOS = DefaultBIOS
	}
	if m.cfg.StartTimeout <= 0 {
		m.cfg.StartTimeout = 10 * time.Second
	}
	if _, err := exec.LookPath(m.cfg.Binary); err != nil {
		return fmt.Errorf("qemusim: %w (Debian package qemu-system-arm)", err)
	}
	if _, err := os.Stat(m.cfg.BIOS); err != nil {
		return fmt.Errorf("qemusim: bootloader image: %w (Debian package u-boot-qemu)", err)
	}
	if m.cfg.PFlash == "" || m.cfg.Serial == "" {
		return errors.New("qemusim: config needs pflash and serial paths")
	}
	for _, p := range []string{m.cfg.Serial, m.cfg.QMP} {
		if len(p) > maxSocketPath {
			return fmt.Errorf("qemusim: socket path %s is longer than the %d bytes a unix socket allows", p, maxSocketPath)
		}
	}
	return nil
}

// optPath escapes a path for QEMU's option syntax, where a comma separates
// options and a doubled comma is a literal one.
func optPath(p string) string { return strings.ReplaceAll(p, ",", ",,") }

func (m *Machine) args(ctlPath string) []string {
	a := []string{
		"-machine", "virt",
		"-bios", m.cfg.BIOS,
		"-drive", "if=pflash,format=raw,index=1,file=" + optPath(m.cfg.PFlash),
		"-serial", "unix:" + optPath(m.cfg.Serial) + ",server=on,wait=off",
		"-qmp", "unix:" + optPath(ctlPath),
		"-S", // paused: the unit starts unpowered
		"-display", "none",
		"-monitor", "none",
		"-net", "none",
		"-no-user-config",
		// A guest power-off (U-Boot `poweroff`) stops the VM instead of
		// ending QEMU, like a unit that switched itself off.
		"-no-shutdown",
	}
	if m.cfg.QMP != "" {
		a = append(a, "-qmp", "unix:"+optPath(m.cfg.QMP)+",server=on,wait=off")
	}
	return a
}

// Version is the QEMU version it announced, e.g. "7.2.22".
func (m *Machine) Version() string { return m.version }

// SerialPort is the console port for the rig file: unix://<serial path>.
func (c Config) SerialPort() string { return "unix://" + c.Serial }

// QMPPort is the power backend's port (empty when QMP is unset).
func (c Config) QMPPort() string {
	if c.QMP == "" {
		return ""
	}
	return "unix://" + c.QMP
}

// SerialPort is the unit's console port: unix://<serial path>.
func (m *Machine) SerialPort() string { return m.cfg.SerialPort() }

// QMPPort is the power backend's port (empty when Config.QMP is unset).
func (m *Machine) QMPPort() string { return m.cfg.QMPPort() }

// PFlash is the flash file's path.
func (m *Machine) PFlash() string { return m.cfg.PFlash }

// Exited is closed when the QEMU process has ended.
func (m *Machine) Exited() <-chan struct{} { return m.exited }

// Close stops QEMU with SIGTERM, which QEMU handles as an orderly
// shutdown (its block devices, the pflash file among them, are flushed and
// closed), kills it if it has not exited within quitWithin, and removes
// its sockets. After Close the pflash file holds everything the guest
// wrote.
func (m *Machine) Close() error {
	m.closeOnce.Do(func() {
		if err := m.cmd.Process.Signal(syscall.SIGTERM); err != nil && !errors.Is(err, os.ErrProcessDone) {
			m.log.Warn("qemu: SIGTERM failed; killing", "err", err)
		}
		ctx, cancel := simclock.WithTimeout(context.Background(), m.clk, quitWithin)
		defer cancel()
		select {
		case <-m.exited:
		case <-ctx.Done():
			m.closeErr = fmt.Errorf("qemusim: qemu did not exit within %v of SIGTERM; killed", quitWithin)
			m.kill()
		}
		for _, p := range []string{m.cfg.Serial, m.cfg.QMP} {
			if p != "" {
				os.Remove(p)
			}
		}
	})
	return m.closeErr
}

func (m *Machine) kill() {
	if m.cmd.Process != nil {
		m.cmd.Process.Kill()
	}
	<-m.exited
}

// tailBuffer keeps the last max bytes written: QEMU's diagnostics for errors.
type tailBuffer struct {
	mu  sync.Mutex
	max int
	b   []byte
}

func (t *tailBuffer) Write(p []byte) (int, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.b = append(t.b, p...)
	if len(t.b) > t.max {
		t.b = append(t.b[:0], t.b[len(t.b)-t.max:]...)
	}
	return len(p), nil
}

func (t *tailBuffer) String() string {
	t.mu.Lock()
	defer t.mu.Unlock()
	return strings.TrimSpace(string(t.b))
}
