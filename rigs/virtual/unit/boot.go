package unit

import (
	"context"
	"fmt"
	"math"
	"strings"
	"time"

	"github.com/camrig/camrig/rigs/virtual/simclock"
)

// Keys the unit keeps in its own config store.
const (
	// factoryPendingKey holds "full" or "basic" from the moment a factory
	// reset is decided until the next boot has wiped the config, so a power
	// cut in between still ends in a wiped unit.
	factoryPendingKey = "sim.factory_pending"
	// EnvPrefix prefixes the saved bootloader environment ("env.bootargs").
	// A factory reset keeps it: it lives in the bootloader's own flash
	// sector, not in the config partition.
	EnvPrefix = "env."
)

// KeepOnBasicReset are the key prefixes a basic factory reset keeps (network
// settings and users), besides the bootloader environment, unless
// SetBasicResetKeep says otherwise.
var KeepOnBasicReset = []string{"network.", "users."}

// boot plays the boot script for one generation. It returns when the
// script ends (the unit is up) or the generation ends.
func (u *Unit) boot(ctx context.Context, io *bootIO) {
	u.uart.SetBaud(u.baud)
	u.uart.ClearInput()
	if io.powerOn {
		if err := u.powerOnDefects(io); err != nil {
			return
		}
	}
	if !u.script.has(DirFactory) {
		u.applyFactoryReset(io)
	}
	if !u.script.has(DirRecovery) && u.recover(io) != nil {
		return
	}
	// Lines are due on a schedule from the start of the boot (the script's
	// delays, scaled), not each a delay after the previous one went out:
	// the UART's line time is not scaled, so chained delays would make a
	// boot last the scaled script plus the whole log's line time (and
	// every scheduling hiccup of a busy host) and miss a deadline a real
	// unit meets. A line already late goes out at once.
	due := u.clk.Now()
	for i := 0; i < len(u.script.Steps); i++ {
		if ctx.Err() != nil {
			return
		}
		st := u.script.Steps[i]
		switch st.Directive {
		case "":
			due = due.Add(u.Scale(st.Delay))
			if wait := due.Sub(u.clk.Now()); wait > 0 {
				if err := simclock.Sleep(ctx, u.clk, wait); err != nil {
					return
				}
			}
			ready := strings.Contains(st.Text, u.prof.Boot.ReadyMarker)
			if ready && u.readyDefects(ctx) != nil {
				return
			}
			if err := io.println(st.Text); err != nil {
				return
			}
			if ready {
				u.goUp(io)
			}
		case DirAutoboot:
			stopped, err := u.countdown(ctx, io)
			if err != nil {
				return
			}
			if stopped {
				if err := u.shell(ctx, io, StateShell); err != nil {
					return
				}
			}
			u.uart.ClearInput() // the kernel does not read the bootloader's FIFO
			if !u.setState(io.gen, StateBooting) {
				return
			}
			due = u.clk.Now() // the countdown (or a shell session) took its own time
		case DirFlashcheck:
			if u.flashcheck(io) {
				continue
			}
			if err := u.shell(ctx, io, StateBricked); err != nil {
				return
			}
			due = u.clk.Now()
			i-- // `boot` from a bricked unit checks the image again
		case DirRecovery:
			if u.recover(io) != nil {
				return
			}
		case DirFactory:
			if u.applyFactoryReset(io) != nil {
				return
			}
		}
	}
}

// goUp marks the unit up and starts its services.
func (u *Unit) goUp(io *bootIO) {
	u.mu.Lock()
	defer u.mu.Unlock()
	if io.gen != u.gen {
		return
	}
	u.setStateLocked(StateUp)
	u.startServicesLocked(u.services)
}

// countdown runs the autoboot countdown the way U-Boot prints it ("Hit any
// key to stop autoboot:  2", then "\b\b\b 1 " each second). It reports
// whether the interrupt key was pressed the required number of times. Keys
// sent since power-on count too: they wait in the UART FIFO, as on a real
// board.
func (u *Unit) countdown(ctx context.Context, io *bootIO) (bool, error) {
	if !u.setState(io.gen, StateCountdown) {
		return false, errStale
	}
	bl := u.prof.Bootloader
	secs := int(math.Ceil(bl.Countdown.Seconds()))
	if err := io.print(fmt.Sprintf("%s: %2d ", bl.Autoboot, secs)); err != nil {
		return false, err
	}
	m := keyMatcher{key: []byte(bl.InterruptKey), need: u.prof.presses()}
	left := bl.Countdown
	stopped := false
	for {
		tick := min(time.Second, left)
		var tctx context.Context
		var cancel context.CancelFunc
		if tick > 0 {
			tctx, cancel = simclock.WithTimeout(ctx, u.clk, u.Scale(tick))
		} else {
			// No countdown: only keys already in the FIFO count.
			tctx, cancel = context.WithCancel(ctx)
			cancel()
		}
		for !stopped {
			b, err := io.ReadByteContext(tctx)
			if err != nil {
				break
			}
			stopped = m.feed(b)
		}
		cancel()
		if ctx.Err() != nil {
			return false, context.Cause(ctx)
		}
		left -= tick
		secs--
		if stopped || left <= 0 {
			secs = 0
		}
		if err := io.print(fmt.Sprintf("\b\b\b%2d ", max(secs, 0))); err != nil {
			return false, err
		}
		if secs <= 0 {
			break
		}
	}
	if err := io.print("\r\n"); err != nil {
		return false, err
	}
	return stopped, nil
}

// keyMatcher counts occurrences of an interrupt key sequence.
type keyMatcher struct {
	key   []byte
	need  int
	at    int
	count int
}

func (m *keyMatcher) feed(b byte) bool {
	switch {
	case b == m.key[m.at]:
		m.at++
	case b == m.key[0]:
		m.at = 1
	default:
		m.at = 0
	}
	if m.at == len(m.key) {
		m.at = 0
		m.count++
	}
	return m.count >= m.need
}

// flashcheck asks the firmware check; false means the unit is bricked.
func (u *Unit) flashcheck(io *bootIO) bool {
	u.mu.Lock()
	check := u.fwcheck
	u.mu.Unlock()
	if check == nil {
		return true
	}
	version, err := check()
	if err != nil {
		io.println("   Verifying Checksum ... Bad Data CRC")
		io.println("Bad firmware image: " + err.Error())
		io.println("ERROR: can't get kernel image!")
		return false
	}
	io.println("   Image Name:   firmware " + version)
	io.println("   Verifying Checksum ... OK")
	return true
}

// recover prints the recovery markers when the last config write was cut.
func (u *Unit) recover(io *bootIO) error {
	cut, err := u.store.Recover()
	if err != nil {
		u.log.Error("config store recovery", "err", err)
	}
	if !cut {
		return nil
	}
	for _, m := range u.prof.Boot.RecoveryMarkers {
		if err := io.println(m); err != nil {
			return err
		}
	}
	return nil
}

// applyFactoryReset carries out a pending factory reset: the config is
// wiped (see KeepOnBasicReset and EnvPrefix for what stays).
func (u *Unit) applyFactoryReset(io *bootIO) error {
	mode, pending := u.store.Get(factoryPendingKey)
	if !pending {
		return nil
	}
	if err := io.println("erasing config partition ... done"); err != nil {
		return err
	}
	keep := mode
	if keep == "full" && u.defectsNow().ResetKeepsActivation {
		keep = "basic"
	}
	kept := u.keptKeys(keep)
	if err := u.store.Wipe(kept...); err != nil {
		u.log.Error("factory wipe", "err", err)
	}
	return io.println("factory defaults restored (" + mode + ")")
}
