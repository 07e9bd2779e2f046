package led

import (
	"fmt"
	"time"
)

// Kind is what an LED is doing.
type Kind string

// Kinds a sensor reports. Unknown is the state until enough has been seen
// to decide (a level must hold for a whole window to count as steady).
const (
	Unknown  Kind = "unknown"
	Off      Kind = "off"
	On       Kind = "on"
	Blinking Kind = "blinking"
)

// State is a decided LED state.
type State struct {
	Kind Kind
	// Hz is the measured blink frequency (Blinking only).
	Hz float64
	// Since is when the state began: the last level change for a steady
	// LED, the first edge of the measuring window for a blinking one.
	Since time.Time
}

func (s State) String() string {
	if s.Kind == Blinking {
		return fmt.Sprintf("blinking %.2f Hz", s.Hz)
	}
	return string(s.Kind)
}

// blinkEdges is how many level changes inside one window make a blink:
// four give two overlapping full periods, the least that can be checked for
// regularity. Three edges are also what a unit that is power-cycled twice
// shows (off, on, off): irregular, and not a blink.
const blinkEdges = 4

// periodTolerance is how far the periods of a blink may differ (longest /
// shortest): LEDs driven by a timer are regular; power cycles are not.
const periodTolerance = 1.5

// classifier turns timestamped levels into a State. It is pure (no clock,
// no goroutine): the sensors feed it and ask it.
type classifier struct {
	window time.Duration

	seen       bool
	level      bool
	levelSince time.Time
	edges      []time.Time // level changes inside the window, oldest first
	lastEdge   time.Time   // the latest level change, kept past the window
	state      State
}

// observe records the level seen at at; only changes count as edges.
func (c *classifier) observe(at time.Time, level bool) {
	if !c.seen {
		c.seen, c.level, c.levelSince = true, level, at
		return
	}
	if level == c.level {
		return
	}
	c.level, c.levelSince, c.lastEdge = level, at, at
	c.edges = append(c.edges, at)
}

// classify decides the state at now and reports whether it changed. An
// undecided moment (a level changed less than a window ago, too few edges
// for a blink) keeps the previous state: a blinking LED stays "blinking"
// until it has been steady for a whole window.
func (c *classifier) classify(now time.Time) (State, bool) {
	cut := now.Add(-c.window)
	i := 0
	for i < len(c.edges) && c.edges[i].Before(cut) {
		i++
	}
	c.edges = c.edges[i:]
	next := c.state
	switch {
	case len(c.edges) >= blinkEdges && periodic(c.edges):
		next = State{Kind: Blinking, Hz: blinkHz(c.edges), Since: c.edges[0]}
		if c.state.Kind == Blinking {
			next.Since = c.state.Since // still the same blink
		}
	case c.seen && now.Sub(c.levelSince) >= c.window:
		next = State{Kind: Off, Since: c.levelSince}
		if c.level {
			next.Kind = On
		}
	}
	changed := next.Kind != c.state.Kind
	c.state = next
	return next, changed
}

// periodic reports whether the full periods edge i to edge i+2 agree within
// periodTolerance.
func periodic(edges []time.Time) bool {
	var lo, hi time.Duration
	for i := 0; i+2 < len(edges); i++ {
		p := edges[i+2].Sub(edges[i])
		if p <= 0 {
			return false
		}
		if lo == 0 || p < lo {
			lo = p
		}
		if p > hi {
			hi = p
		}
	}
	return lo > 0 && float64(hi) <= periodTolerance*float64(lo)
}

// blinkHz measures the frequency over whole periods (edge 0 to edge 2m),
// so the duty cycle does not matter.
func blinkHz(edges []time.Time) float64 {
	m := (len(edges) - 1) / 2
	span := edges[2*m].Sub(edges[0])
	if m == 0 || span <= 0 {
		return 0
	}
	return float64(m) / span.Seconds()
}

// nextDecision is when classify could next change its mind without a new
// edge: when the current level has held a whole window.
func (c *classifier) nextDecision() (time.Time, bool) {
	if !c.seen {
		return time.Time{}, false
	}
	return c.levelSince.Add(c.window), true
}
