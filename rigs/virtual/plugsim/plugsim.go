// Package plugsim is the virtual rig's smart plugs: a Tasmota plug and a
// Shelly Gen2 plug, each a loopback HTTP server speaking the device's own
// protocol, with relays whose every edge is reported to a callback (the rig
// wires that to a unit's 12 V input).
//
// They are separate devices: nothing here imports the harness. They keep
// their own time (simclock) and honour the devices' auto-off timers
// (Tasmota PulseTime, Shelly toggle_after) in the plug's physical time. The
// rig's timescale is not applied here: the harness scales a hold before it
// asks the plug for a timer, exactly as it would with a real plug, so a
// 30 s hold on a 0.01 rig arrives as PulseTime 3 (0.3 s).
package plugsim

import (
	"errors"
	"fmt"
	"net"
	"net/http"
	"sync"
	"time"

	"github.com/camrig/camrig/rigs/virtual/simclock"
)

// RelayFunc is told every relay edge, in order, from one goroutine at a
// time. relay is numbered as the device numbers it: 1-based for Tasmota
// (Power1), 0-based for Shelly (id=0). It must not call back into the plug.
type RelayFunc func(relay int, on bool)

// Event is one relay edge as the plug saw it.
type Event struct {
	Relay int
	On    bool
	At    time.Time
	// Cause is "http" for a command, "timer" for the plug's own auto-off
	// (or flip-back).
	Cause string
}

// bank is a plug's relays: state, one pending timer each, and the ordered
// report of every edge.
type bank struct {
	clk  simclock.Clock
	cb   RelayFunc
	base int // number of relay index 0 as the device names it

	// emit serialises a change and its callback so edges reach the wiring
	// in the order they happened, even when a timer races a command.
	emit sync.Mutex

	mu     sync.Mutex
	on     []bool
	timer  []simclock.Timer
	from   []time.Time // when the pending timer was armed
	until  []time.Time // when it fires
	gen    []uint64    // bumped on every change: a stale timer does nothing
	events []Event
	closed bool
}

func newBank(n, base int, clk simclock.Clock, cb RelayFunc) *bank {
	return &bank{clk: clk, cb: cb, base: base, on: make([]bool, n), timer: make([]simclock.Timer, n),
		from: make([]time.Time, n), until: make([]time.Time, n), gen: make([]uint64, n)}
}

// set drives relay i (0-based) to on from a command. flipAfter > 0 arms a
// timer that drives it to !on later; any earlier timer is cancelled. It
// returns the previous state.
func (b *bank) set(i int, on bool, flipAfter time.Duration) (was bool) {
	b.emit.Lock()
	defer b.emit.Unlock()
	b.mu.Lock()
	was = b.on[i]
	b.cancelLocked(i)
	b.on[i] = on
	if flipAfter > 0 && !b.closed {
		g := b.gen[i]
		b.from[i] = b.clk.Now()
		b.until[i] = b.from[i].Add(flipAfter)
		b.timer[i] = b.clk.AfterFunc(flipAfter, func() { b.fire(i, g, !on) })
	}
	changed := was != on
	if changed {
		b.events = append(b.events, Event{Relay: i + b.base, On: on, At: b.clk.Now(), Cause: "http"})
	}
	closed := b.closed
	b.mu.Unlock()
	if changed && !closed && b.cb != nil {
		b.cb(i+b.base, on)
	}
	return was
}

func (b *bank) cancelLocked(i int) {
	b.gen[i]++
	if b.timer[i] != nil {
		b.timer[i].Stop()
		b.timer[i] = nil
	}
	b.from[i], b.until[i] = time.Time{}, time.Time{}
}

// fire is a timer's end: it applies only if nothing changed the relay since
// the timer was armed.
func (b *bank) fire(i int, g uint64, on bool) {
	b.emit.Lock()
	defer b.emit.Unlock()
	b.mu.Lock()
	if b.closed || b.gen[i] != g {
		b.mu.Unlock()
		return
	}
	b.cancelLocked(i)
	changed := b.on[i] != on
	b.on[i] = on
	if changed {
		b.events = append(b.events, Event{Relay: i + b.base, On: on, At: b.clk.Now(), Cause: "timer"})
	}
	b.mu.Unlock()
	if changed && b.cb != nil {
		b.cb(i+b.base, on)
	}
}

func (b *bank) state(i int) bool {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.on[i]
}

// remaining is how long the pending timer of relay i has to run (0: none).
func (b *bank) remaining(i int) time.Duration {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.until[i].IsZero() {
		return 0
	}
	return max(b.until[i].Sub(b.clk.Now()), 0)
}

// timerSpan is when relay i's pending timer was armed and when it fires
// (zero times: none).
func (b *bank) timerSpan(i int) (from, until time.Time) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.from[i], b.until[i]
}

func (b *bank) log() []Event {
	b.mu.Lock()
	defer b.mu.Unlock()
	return append([]Event(nil), b.events...)
}

// close stops every timer; relays keep their state but report nothing more.
func (b *bank) close() {
	b.emit.Lock()
	defer b.emit.Unlock()
	b.mu.Lock()
	defer b.mu.Unlock()
	b.closed = true
	for i := range b.on {
		b.cancelLocked(i)
	}
}

// server is the HTTP side shared by both plugs.
type server struct {
	ln   net.Listener
	http *http.Server
	done chan struct{}
}

// listenLoopback listens on addr ("" = 127.0.0.1:0), refusing anything
// that is not a loopback address: the virtual rig never touches a real
// network.
func listenLoopback(addr string) (net.Listener, error) {
	if addr == "" {
		addr = "127.0.0.1:0"
	}
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return nil, fmt.Errorf("plugsim: listen address %q: %v", addr, err)
	}
	ip := net.ParseIP(host)
	if host == "localhost" {
		ip = net.IPv4(127, 0, 0, 1)
	}
	if ip == nil || !ip.IsLoopback() {
		return nil, fmt.Errorf("plugsim: listen address %q is not a loopback IP", addr)
	}
	return net.Listen("tcp", addr)
}

func serve(addr string, h http.Handler) (*server, error) {
	ln, err := listenLoopback(addr)
	if err != nil {
		return nil, err
	}
	s := &server{ln: ln, http: &http.Server{Handler: h, ReadHeaderTimeout: 5 * time.Second}, done: make(chan struct{})}
	go func() {
		defer close(s.done)
		_ = s.http.Serve(ln) // returns ErrServerClosed on Close
	}()
	return s, nil
}

func (s *server) close() error {
	err := s.http.Close()
	<-s.done
	if errors.Is(err, http.ErrServerClosed) {
		err = nil
	}
	return err
}
