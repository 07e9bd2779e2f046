// Package safety is the process-wide list of things that must be put back
// in a safe state however a run ends: a solenoid released, a power line in
// its safe state. Drivers register a restore action while the thing is
// unsafe (a press in progress) or for as long as they own it (a power line);
// RestoreAll runs every registered action. Install makes SIGINT and SIGTERM
// run them before the process dies, and `defer safety.OnPanic()` does the
// same for a panic.
//
// A process killed with SIGKILL runs nothing; hardware auto-off timers
// (see press.AutoOff) cover that case.
package safety

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"os/signal"
	"sort"
	"sync"
	"syscall"
	"time"

	"github.com/camrig/camrig/harness/clock"
	"github.com/camrig/camrig/harness/power"
)

// RestoreTimeout bounds RestoreAll when it runs from a signal or a panic
// (the caller's context is gone by then).
var RestoreTimeout = 5 * time.Second

// Action puts one thing back into its safe state.
type Action func(ctx context.Context) error

type entry struct {
	name string
	act  Action
	// selfNamed: act's errors already name the thing (a power.Switch's
	// errors name its board and channel), so a failure says only what
	// was being restored, not whose, a second time.
	selfNamed bool
}

var (
	mu      sync.Mutex
	nextID  uint64
	entries = map[uint64]entry{}
)

// Register adds a restore action named name (for errors and logs) and
// returns the function that removes it again. Removing twice is harmless.
func Register(name string, act Action) (unregister func()) {
	return register(entry{name: name, act: act})
}

func register(e entry) (unregister func()) {
	mu.Lock()
	nextID++
	id := nextID
	entries[id] = e
	mu.Unlock()
	var once sync.Once
	return func() {
		once.Do(func() {
			mu.Lock()
			delete(entries, id)
			mu.Unlock()
		})
	}
}

// RegisterSwitch registers sw with its safe state: off unless safeOn.
func RegisterSwitch(sw power.Switch, safeOn bool) (unregister func()) {
	return register(entry{name: fmt.Sprintf("%s -> %s", sw, power.State(safeOn)), selfNamed: true,
		act: func(ctx context.Context) error { return sw.Set(ctx, safeOn) }})
}

// RegisterSwitchAction registers act, which restores sw in its own way (a
// solenoid's release that also ends the hold in progress); its errors come
// from sw and name it already. what says what act does ("solenoid
// release").
func RegisterSwitchAction(sw power.Switch, what string, act Action) (unregister func()) {
	return register(entry{name: sw.String() + " " + what, selfNamed: true, act: act})
}

// Registered names the registered actions, sorted (for diagnostics and
// tests).
func Registered() []string {
	mu.Lock()
	defer mu.Unlock()
	out := make([]string, 0, len(entries))
	for _, e := range entries {
		out = append(out, e.name)
	}
	sort.Strings(out)
	return out
}

// RestoreAll runs every registered action concurrently (different boards
// should not wait for each other; actions on one board are serialised by
// its driver) and returns their errors joined. Actions stay registered:
// whoever registered one removes it once the thing is safe by its own
// doing.
func RestoreAll(ctx context.Context) error {
	mu.Lock()
	list := make([]entry, 0, len(entries))
	for _, e := range entries {
		list = append(list, e)
	}
	mu.Unlock()
	errs := make([]error, len(list))
	var wg sync.WaitGroup
	for i, e := range list {
		wg.Add(1)
		go func() {
			defer wg.Done()
			defer func() {
				if r := recover(); r != nil {
					errs[i] = fmt.Errorf("restore %s: panic: %v", e.name, r)
				}
			}()
			switch err := e.act(ctx); {
			case err == nil:
			case e.selfNamed:
				errs[i] = fmt.Errorf("restore: %w", err)
			default:
				errs[i] = fmt.Errorf("restore %s: %w", e.name, err)
			}
		}()
	}
	wg.Wait()
	return errors.Join(errs...)
}

// restoreDetached runs RestoreAll with a fresh RestoreTimeout, for paths
// where no caller context survives, and logs what failed. The timeout runs
// on the wall clock on purpose (not a default standing in for a missing
// one): a signal or a panic brings no injected clock, and the hardware must
// be made safe within real seconds whatever clock the run was using.
func restoreDetached(why string) error {
	ctx, cancel := clock.WithTimeout(context.Background(), clock.Real{}, RestoreTimeout, "restoring safe state after "+why)
	defer cancel()
	err := RestoreAll(ctx)
	if err != nil {
		slog.Error("safety: restoring safe state failed", "after", why, "err", err)
	}
	return err
}

// OnPanic, deferred at the top of a goroutine that drives hardware,
// restores every registered thing when that goroutine panics and then lets
// the panic continue:
//
//	defer safety.OnPanic()
//
// It must be deferred directly (recover only works there).
func OnPanic() {
	r := recover()
	if r == nil {
		return
	}
	slog.Error("safety: panic; restoring safe state", "panic", r)
	restoreDetached("panic")
	panic(r)
}

var (
	installMu sync.Mutex
	installed bool
)

// Install handles SIGINT and SIGTERM for the process: on the first one it
// restores every registered thing (bounded by RestoreTimeout), then
// re-raises the signal with its default action so the process ends the way
// the sender expects (a shell sees "killed by SIGINT"). Signals arriving
// while the restore runs are absorbed: the restore is bounded anyway, and a
// second Ctrl-C must not leave a solenoid pressed. The returned function
// undoes Install; calling Install again before that is a no-op.
func Install() (uninstall func()) {
	installMu.Lock()
	defer installMu.Unlock()
	if installed {
		return func() {}
	}
	installed = true
	sigs := make(chan os.Signal, 4)
	stop := make(chan struct{})
	signal.Notify(sigs, syscall.SIGINT, syscall.SIGTERM)
	go func() {
		select {
		case sig := <-sigs:
			slog.Warn("safety: signal; restoring safe state", "signal", sig)
			restoreDetached(sig.String())
			reraise(sig.(syscall.Signal))
		case <-stop:
		}
	}()
	var once sync.Once
	return func() {
		once.Do(func() {
			signal.Stop(sigs)
			close(stop)
			installMu.Lock()
			installed = false
			installMu.Unlock()
		})
	}
}

// reraise ends the process by sig with the default disposition. If the
// process is somehow still alive a wall-clock second after (the process is
// ending: no run's clock applies), it exits with the shell's convention for
// death by signal.
func reraise(sig syscall.Signal) {
	signal.Reset(sig)
	syscall.Kill(os.Getpid(), sig)
	clock.Wait(context.Background(), clock.Real{}, time.Second)
	os.Exit(128 + int(sig))
}
