package unit

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/camrig/camrig/rigs/virtual/device"
	"github.com/camrig/camrig/rigs/virtual/pty"
	"github.com/camrig/camrig/rigs/virtual/simclock"
	"github.com/camrig/camrig/rigs/virtual/uart"
	"golang.org/x/sys/unix"
)

const fixtures = "../../../fixtures"

// console is the harness side of a unit's UART in tests: every byte with
// its arrival time, and an expect cursor.
type console struct {
	f       *os.File
	mu      sync.Mutex
	buf     []byte
	chunks  []arrival
	cursor  int
	changed chan struct{}
}

type arrival struct {
	end int // offset after the chunk
	at  time.Time
}

func openConsole(t testing.TB, path string) *console {
	t.Helper()
	f, err := os.OpenFile(path, os.O_RDWR|unix.O_NOCTTY|unix.O_NONBLOCK, 0)
	if err != nil {
		t.Fatal(err)
	}
	c := &console{f: f, changed: make(chan struct{})}
	done := make(chan struct{})
	go func() {
		defer close(done)
		b := make([]byte, 4096)
		for {
			n, err := f.Read(b)
			now := time.Now()
			if n > 0 {
				c.mu.Lock()
				c.buf = append(c.buf, b[:n]...)
				c.chunks = append(c.chunks, arrival{len(c.buf), now})
				close(c.changed)
				c.changed = make(chan struct{})
				c.mu.Unlock()
			}
			if err != nil {
				return
			}
		}
	}()
	t.Cleanup(func() { f.Close(); <-done })
	return c
}

// expect waits for s after the cursor and returns the text before it.
func (c *console) expect(t testing.TB, s string) string {
	t.Helper()
	deadline := time.NewTimer(10 * time.Second)
	defer deadline.Stop()
	for {
		c.mu.Lock()
		i := bytes.Index(c.buf[c.cursor:], []byte(s))
		if i >= 0 {
			before := string(c.buf[c.cursor : c.cursor+i])
			c.cursor += i + len(s)
			c.mu.Unlock()
			return before
		}
		ch, tail := c.changed, string(c.buf[c.cursor:])
		c.mu.Unlock()
		select {
		case <-ch:
		case <-deadline.C:
			t.Fatalf("console: %q did not arrive in 10s; after the cursor: %q", s, tail)
		}
	}
}

// rest is everything after the cursor.
func (c *console) rest() string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return string(c.buf[c.cursor:])
}

func (c *console) all() []byte {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]byte(nil), c.buf...)
}

// arrivedAt is when the byte at offset off arrived.
func (c *console) arrivedAt(off int) time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, a := range c.chunks {
		if off < a.end {
			return a.at
		}
	}
	return time.Time{}
}

func (c *console) send(t testing.TB, s string) {
	t.Helper()
	if _, err := c.f.Write([]byte(s)); err != nil {
		t.Fatal(err)
	}
}

// harness is a unit under test with its console.
type harness struct {
	*Unit
	con  *console
	fake *simclock.Fake
}

type setup struct {
	timescale float64
	baud      int
	// fast: fake clock, every script delay zero and no autoboot countdown,
	// so the unit boots as fast as the UART allows and only button and
	// write timings use the (fake) clock.
	fast bool
	// fakeCountdown keeps the countdown but on the fake clock.
	fakeCountdown bool
	saveTime      time.Duration
	storePath     string
}

func loadFixtureProfile(t testing.TB, model string) *Profile {
	t.Helper()
	p, err := LoadProfile(filepath.Join(fixtures, "profiles", model+".yaml"))
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func newHarness(t testing.TB, model string, s setup) *harness {
	t.Helper()
	p := loadFixtureProfile(t, model)
	script, err := LoadScript(p.ScriptPath())
	if err != nil {
		t.Fatal(err)
	}
	var clk simclock.Clock = simclock.Real{}
	var fake *simclock.Fake
	if s.fast || s.fakeCountdown {
		fake = simclock.NewFake(time.Unix(1_700_000_000, 0))
		clk = fake
		for i := range script.Steps {
			script.Steps[i].Delay = 0
		}
		if s.fast {
			cp := *p
			cp.Bootloader.Countdown = 0
			p = &cp
		}
	}
	if s.baud == 0 {
		s.baud = 1_000_000
	}
	pair, err := pty.Open("")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { pair.Close() })
	line, err := uart.New(pair.Master, uart.Config{Baud: s.baud})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { line.Close() })
	storePath := s.storePath
	if storePath == "" {
		storePath = filepath.Join(t.TempDir(), "config.json")
	}
	store, err := device.OpenStore(storePath)
	if err != nil {
		t.Fatal(err)
	}
	u, err := New(Config{
		Name: "cam-test", Profile: p, Script: script, Timescale: s.timescale,
		Store: store, UART: line, Clock: clk, SaveTime: s.saveTime,
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { u.Close() })
	return &harness{Unit: u, con: openConsole(t, pair.SlavePath), fake: fake}
}

func (h *harness) waitState(t testing.TB, states ...State) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := h.WaitState(ctx, states...); err != nil {
		t.Fatal(err)
	}
}

// tick advances the fake clock one second at a time until the unit is in
// one of states (the countdown arms one timer per second).
func (h *harness) tickUntil(t testing.TB, states ...State) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		cur := h.State()
		for _, s := range states {
			if cur == s {
				return
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("unit still %v, want %v", cur, states)
		}
		if h.fake.Pending() > 0 {
			h.fake.Advance(time.Second)
		} else {
			time.Sleep(100 * time.Microsecond) // let the boot goroutine reach its next wait
		}
	}
}
