// Package qemuvm is the qemu power driver: a unit that is a QEMU virtual
// machine, switched through QEMU's machine protocol (the QMP client in
// harness/qemu).
package qemuvm

import (
	"context"
	"fmt"
	"time"

	"github.com/camrig/camrig/harness/clock"
	"github.com/camrig/camrig/harness/internal/bindcheck"
	"github.com/camrig/camrig/harness/power"
	"github.com/camrig/camrig/harness/qemu"
)

// Driver qemu: a unit that is a QEMU virtual machine (the real U-Boot rig,
// rigs/qemu-uboot.yaml), switched through QEMU's machine protocol (QMP).
//
//	power: {driver: qemu, port: unix:///run/camrig/qmp.sock, timeout: 5s}
//
// port (or url) is the QMP socket QEMU listens on: a path, unix:///path or
// tcp://127.0.0.1:port (loopback only). The launcher (rigs/virtual/qemusim,
// `camrig sim`) opens it from the rig file's sim.qemu qmp path.
//
// Wire format: QMP, JSON objects over the socket. Each Set or Get is one
// short session: QEMU's greeting, qmp_capabilities, the command(s), close
// (so a CLI in another process can use the same socket between them).
//
//	off:  stop                     -> the VM freezes; its UART goes silent
//	on:   system_reset, RESET event, cont
//	                               -> a cold boot from the reset vector
//	read: query-status             -> on only when the status is "running"
//
// Turning on a VM that is already running does nothing (a relay that is
// already closed does not bounce the unit either); Cycle turns it off
// first, so a cycle is always a cold boot.
func init() { power.Register(power.Driver{Name: "qemu", Open: openQEMU, Check: checkQEMU}) }

// checkQEMU checks the QMP socket address as Open will read it: a path,
// unix:///path or tcp:// on loopback (QMP is never reached off this
// machine, virtual rig or not).
func checkQEMU(cfg power.Config, scope bindcheck.Scope) bindcheck.Problems {
	var ps bindcheck.Problems
	key, addr := "port", cfg.Port
	if addr == "" {
		key, addr = "url", cfg.URL
	}
	if addr == "" {
		ps.Add("", "the qemu driver needs port (the QMP socket: a path, unix:// or tcp://)")
		return ps
	}
	if err := bindcheck.Addr(addr, scope, "QMP socket path", "unix", "tcp"); err != nil {
		ps.Err(key, err)
	} else if _, _, err := qemu.ParseAddr(addr); err != nil {
		ps.Err(key, err)
	}
	return ps
}

const qemuDefaultTimeout = 5 * time.Second

type qemuSwitch struct {
	addr    string
	clk     clock.Clock
	timeout time.Duration
}

func openQEMU(ctx context.Context, cfg power.Config, deps power.Deps) (power.Switch, error) {
	addr := cfg.Port
	if addr == "" {
		addr = cfg.URL
	}
	if _, _, err := qemu.ParseAddr(addr); err != nil {
		return nil, fmt.Errorf("power qemu: port: %w", err)
	}
	s := &qemuSwitch{addr: addr, clk: deps.Clock, timeout: cfg.Timeout}
	if s.timeout <= 0 {
		s.timeout = qemuDefaultTimeout
	}
	// Fail at open, not at the first power edge, when QEMU is not there.
	if _, err := s.Get(ctx); err != nil {
		return nil, err
	}
	return s, nil
}

func (s *qemuSwitch) String() string { return "qemu:" + s.addr }

// session runs fn on a fresh QMP connection bounded by the switch timeout.
func (s *qemuSwitch) session(ctx context.Context, what string, fn func(context.Context, *qemu.Client) error) error {
	ctx, cancel := clock.WithTimeout(ctx, s.clk, s.timeout, "QEMU to answer "+what)
	defer cancel()
	c, err := qemu.Dial(ctx, s.addr)
	if err != nil {
		return fmt.Errorf("power %s: %s: %w", s, what, err)
	}
	defer c.Close()
	if err := fn(ctx, c); err != nil {
		return fmt.Errorf("power %s: %s: %w", s, what, err)
	}
	return nil
}

func (s *qemuSwitch) Set(ctx context.Context, on bool) error {
	return s.session(ctx, "power "+power.State(on), func(ctx context.Context, c *qemu.Client) error {
		st, err := c.QueryStatus(ctx)
		if err != nil {
			return err
		}
		switch {
		case !on && !st.Running:
			return nil
		case !on:
			return c.Stop(ctx)
		case st.Running:
			return nil
		}
		return c.ColdStart(ctx)
	})
}

func (s *qemuSwitch) Get(ctx context.Context) (bool, error) {
	var running bool
	err := s.session(ctx, "status", func(ctx context.Context, c *qemu.Client) error {
		st, err := c.QueryStatus(ctx)
		running = st.Running
		return err
	})
	return running, err
}
