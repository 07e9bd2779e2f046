// Package clocktest is a hand-driven clock.Clock for unit tests.
package clocktest

import (
	"sort"
	"sync"
	"time"

	"github.com/camrig/camrig/harness/clock"
)

// Fake is a clock that moves only when Advance is called.
type Fake struct {
	mu     sync.Mutex
	now    time.Time
	timers []*fakeTimer
	// added is signalled whenever a timer is created or reset, so a test can
	// wait for the code under test to start waiting before advancing.
	added chan struct{}
}

// New returns a Fake starting at start.
func New(start time.Time) *Fake {
	return &Fake{now: start, added: make(chan struct{}, 1024)}
}

// Now returns the fake time.
func (f *Fake) Now() time.Time {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.now
}

// NewTimer makes a timer that fires when the fake time reaches now+d.
func (f *Fake) NewTimer(d time.Duration) clock.Timer {
	f.mu.Lock()
	t := &fakeTimer{f: f, c: make(chan time.Time, 1), when: f.now.Add(d), active: true}
	f.timers = append(f.timers, t)
	f.mu.Unlock()
	f.notify()
	if d <= 0 {
		f.Advance(0)
	}
	return t
}

func (f *Fake) notify() {
	select {
	case f.added <- struct{}{}:
	default:
	}
}

// Waiters is a channel that receives once for each timer created or reset.
func (f *Fake) Waiters() <-chan struct{} { return f.added }

// Pending returns how many timers are armed.
func (f *Fake) Pending() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	n := 0
	for _, t := range f.timers {
		if t.active {
			n++
		}
	}
	return n
}

// Deadlines returns when each armed timer fires, earliest first: a test
// can assert the deadline code under test set, not only that it ended.
func (f *Fake) Deadlines() []time.Time {
	f.mu.Lock()
	defer f.mu.Unlock()
	var ds []time.Time
	for _, t := range f.timers {
		if t.active {
			ds = append(ds, t.when)
		}
	}
	sort.Slice(ds, func(i, j int) bool { return ds[i].Before(ds[j]) })
	return ds
}

// Advance moves time forward by d, firing due timers in order.
func (f *Fake) Advance(d time.Duration) {
	f.mu.Lock()
	f.now = f.now.Add(d)
	now := f.now
	var due []*fakeTimer
	kept := f.timers[:0]
	for _, t := range f.timers {
		if t.active && !t.when.After(now) {
			t.active = false
			due = append(due, t)
			continue
		}
		if t.active {
			kept = append(kept, t)
		}
	}
	f.timers = kept
	f.mu.Unlock()
	sort.Slice(due, func(i, j int) bool { return due[i].when.Before(due[j].when) })
	for _, t := range due {
		select {
		case t.c <- now:
		default:
		}
	}
}

type fakeTimer struct {
	f      *Fake
	c      chan time.Time
	when   time.Time
	active bool
}

func (t *fakeTimer) C() <-chan time.Time { return t.c }

func (t *fakeTimer) Stop() bool {
	t.f.mu.Lock()
	defer t.f.mu.Unlock()
	was := t.active
	t.active = false
	return was
}

func (t *fakeTimer) Reset(d time.Duration) bool {
	t.f.mu.Lock()
	was := t.active
	t.when = t.f.now.Add(d)
	if !was {
		t.f.timers = append(t.f.timers, t)
	}
	t.active = true
	t.f.mu.Unlock()
	t.f.notify()
	return was
}
