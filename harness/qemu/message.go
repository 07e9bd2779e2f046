package qemu

import (
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"time"
)

// Greeting is what QEMU says first on a QMP connection.
type Greeting struct {
	Version struct {
		QEMU struct {
			Major int `json:"major"`
			Minor int `json:"minor"`
			Micro int `json:"micro"`
		} `json:"qemu"`
		Package string `json:"package"`
	} `json:"version"`
	Capabilities []string `json:"capabilities"`
}

// String renders the version as QEMU prints it, e.g. "7.2.22".
func (g Greeting) String() string {
	v := g.Version.QEMU
	return fmt.Sprintf("%d.%d.%d", v.Major, v.Minor, v.Micro)
}

// Event is an asynchronous QMP event (STOP, RESUME, RESET, SHUTDOWN, ...).
type Event struct {
	Name string
	Data json.RawMessage
	// At is QEMU's own timestamp of the event.
	At time.Time
}

// Error is a command failure as QEMU reports it.
type Error struct {
	Command string `json:"-"`
	Class   string `json:"class"`
	Desc    string `json:"desc"`
}

func (e *Error) Error() string {
	return fmt.Sprintf("qmp %s: %s: %s", e.Command, e.Class, e.Desc)
}

// kind says what a decoded QMP message is.
type kind int

const (
	kindGreeting kind = iota + 1
	kindReturn
	kindError
	kindEvent
)

// message is one QMP message off the wire, decoded.
type message struct {
	kind     kind
	id       uint64 // for returns and errors; 0 when the message had no id
	greeting Greeting
	ret      json.RawMessage
	err      *Error
	event    Event
}

// wire is the union of every QMP message's top-level fields.
type wire struct {
	QMP       *Greeting       `json:"QMP"`
	Return    json.RawMessage `json:"return"`
	Error     *Error          `json:"error"`
	Event     string          `json:"event"`
	Data      json.RawMessage `json:"data"`
	Timestamp *struct {
		Seconds      int64 `json:"seconds"`
		Microseconds int64 `json:"microseconds"`
	} `json:"timestamp"`
	ID json.RawMessage `json:"id"`
}

var errNotQMP = errors.New("not a QMP message")

// decodeMessage classifies one JSON object received from QEMU. Anything
// that is not a greeting, a return, an error or an event is rejected with
// the raw text quoted, so a wrong socket (a serial port, say) is obvious.
func decodeMessage(raw []byte) (message, error) {
	var w wire
	if err := json.Unmarshal(raw, &w); err != nil {
		// encoding/json's message names Go types; say what was received.
		return message{}, fmt.Errorf("%w: not a QMP JSON object: %s", errNotQMP, quoteShort(raw))
	}
	var m message
	if len(w.ID) > 0 {
		id, err := strconv.ParseUint(string(w.ID), 10, 64)
		if err != nil {
			return message{}, fmt.Errorf("%w: id %s is not ours: %s", errNotQMP, w.ID, quoteShort(raw))
		}
		m.id = id
	}
	switch {
	case w.QMP != nil:
		m.kind, m.greeting = kindGreeting, *w.QMP
	case w.Error != nil:
		m.kind, m.err = kindError, w.Error
	case w.Return != nil:
		m.kind, m.ret = kindReturn, w.Return
	case w.Event != "":
		m.kind = kindEvent
		m.event = Event{Name: w.Event, Data: w.Data}
		if ts := w.Timestamp; ts != nil && ts.Seconds >= 0 && ts.Microseconds >= 0 && ts.Microseconds < 1e6 {
			m.event.At = time.Unix(ts.Seconds, ts.Microseconds*1000)
		}
	default:
		return message{}, fmt.Errorf("%w: %s", errNotQMP, quoteShort(raw))
	}
	return m, nil
}

// quoteShort quotes at most 200 bytes of raw for an error message.
func quoteShort(raw []byte) string {
	if len(raw) > 200 {
		return strconv.Quote(string(raw[:200])) + "..."
	}
	return strconv.Quote(string(raw))
}
