package virtual

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"

	"github.com/camrig/camrig/rigs/virtual/qemusim"
)

// runQEMU runs a rig whose units are real bootloaders under QEMU: it locks
// the state dir, starts every sim.qemu machine powered off (as a unit on a
// bench whose relay is open), prints where each one is, and stops them
// when ctx ends or one of them exits (an error: the unit died).
func runQEMU(ctx context.Context, rf *RigFile, stdout io.Writer, o options) (err error) {
	if err := os.MkdirAll(rf.StateDir, 0o755); err != nil {
		return fmt.Errorf("virtual rig: state dir: %w", err)
	}
	lock, err := lockStateDir(rf.StateDir)
	if err != nil {
		return err
	}
	defer func() { err = errors.Join(err, lock.release()) }()
	log := o.log
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	qopts := []qemusim.Option{qemusim.WithLogger(log.With("rig", rf.Rig))}
	if o.clock != nil {
		qopts = append(qopts, qemusim.WithClock(o.clock))
	}
	ms, err := qemusim.StartAll(ctx, rf.Sim.QEMU, qopts...)
	if err != nil {
		return fmt.Errorf("virtual rig: %w", err)
	}
	fmt.Fprintf(stdout, "qemu rig %q from %s: state %s\n", rf.Rig, rf.File, rf.StateDir)
	exited := make(chan string, len(ms))
	for i, m := range ms {
		unit := rf.Sim.QEMU[i].Unit
		fmt.Fprintf(stdout, "  unit   %-8s console %s, power %s, flash %s (QEMU %s)\n", unit, m.SerialPort(), m.QMPPort(), m.PFlash(), m.Version())
		go func() {
			<-m.Exited()
			exited <- unit
		}()
	}
	fmt.Fprintln(stdout, "running; SIGINT (Ctrl+C) or SIGTERM stops the rig")
	select {
	case <-ctx.Done():
	case unit := <-exited:
		err = fmt.Errorf("virtual rig: the QEMU of unit %s exited", unit)
	}
	var errs []error
	for _, m := range ms {
		errs = append(errs, m.Close())
	}
	if cerr := errors.Join(errs...); cerr != nil {
		fmt.Fprintf(stdout, "stopped, with errors while cleaning up: %v\n", cerr)
		return errors.Join(err, cerr)
	}
	fmt.Fprintln(stdout, "stopped; QEMU quit, its sockets and the state lock are removed (the pflash files stay)")
	return err
}
