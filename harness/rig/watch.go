package rig

import (
	"context"
	"os"
	"time"

	"github.com/camrig/camrig/harness/clock"
)

// recheckEvery bounds how long LeaseAny can miss a release. Releases are
// seen through inotify (the holder's write descriptor closing), but when a
// holder dies the kernel may report that close a moment before it drops the
// flock, so a waiter that lost that race tries again after this long rather
// than waiting for the next event.
const recheckEvery = 250 * time.Millisecond

// releaseWatch wakes LeaseAny when a lock file's write descriptor closes:
// a Release, or a holder's death. On Linux the events come from inotify
// (watch_linux.go); elsewhere (a lab engineer's laptop driving a remote
// rig) there is no event source and LeaseAny rechecks every recheckEvery.
type releaseWatch struct {
	f    *os.File // the event source; nil without one
	c    chan struct{}
	done chan struct{}
}

// wait returns after a release event or the recheck interval, or with the
// cause once ctx ends.
func (w *releaseWatch) wait(ctx context.Context, clk clock.Clock) error {
	t := clk.NewTimer(recheckEvery)
	defer t.Stop()
	select {
	case <-w.c:
		return nil
	case <-t.C():
		return nil
	case <-ctx.Done():
		return context.Cause(ctx)
	}
}

// Close stops the watch and waits for its reader.
func (w *releaseWatch) Close() {
	if w.f == nil {
		return
	}
	w.f.Close()
	<-w.done
}
