// Package timeline records timestamped evidence of a run (power edges,
// solenoid presses, LED states, console marks, procedure steps) so a report
// can show what happened and when, and a failure can be explained.
package timeline

import (
	"encoding/json"
	"io"
	"sync"
	"time"
)

// Source says which part of the rig produced an event.
type Source string

// Sources used across the harness.
const (
	Power   Source = "power"
	Press   Source = "press"
	LED     Source = "led"
	Console Source = "console"
	Step    Source = "step"
	API     Source = "api"
	Flash   Source = "flash"
)

// Event is one piece of evidence. Dur is non-zero for spans (a press, a
// power-off interval). Detail must never hold a secret.
type Event struct {
	At     time.Time         `json:"at"`
	Dur    time.Duration     `json:"dur,omitempty"`
	Unit   string            `json:"unit,omitempty"`
	Source Source            `json:"source"`
	Kind   string            `json:"kind"`
	Detail string            `json:"detail,omitempty"`
	Attrs  map[string]string `json:"attrs,omitempty"`
}

// Timeline is an append-only, concurrency-safe list of events for one unit.
// A nil *Timeline drops events, so drivers can record unconditionally.
type Timeline struct {
	mu     sync.Mutex
	unit   string
	events []Event
}

// New returns an empty timeline for unit.
func New(unit string) *Timeline { return &Timeline{unit: unit} }

// Unit returns the unit name.
func (t *Timeline) Unit() string {
	if t == nil {
		return ""
	}
	return t.unit
}

// Add appends e, filling in the unit.
func (t *Timeline) Add(e Event) {
	if t == nil {
		return
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	if e.Unit == "" {
		e.Unit = t.unit
	}
	t.events = append(t.events, e)
}

// Mark appends an instant event.
func (t *Timeline) Mark(at time.Time, src Source, kind, detail string) {
	t.Add(Event{At: at, Source: src, Kind: kind, Detail: detail})
}

// Span appends an event covering [start, end].
func (t *Timeline) Span(start, end time.Time, src Source, kind, detail string) {
	t.Add(Event{At: start, Dur: end.Sub(start), Source: src, Kind: kind, Detail: detail})
}

// Events returns a copy of the events in insertion order.
func (t *Timeline) Events() []Event {
	if t == nil {
		return nil
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	return append([]Event(nil), t.events...)
}

// WriteJSON writes the events as a JSON array.
func (t *Timeline) WriteJSON(w io.Writer) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	ev := t.Events()
	if ev == nil {
		ev = []Event{}
	}
	return enc.Encode(ev)
}
