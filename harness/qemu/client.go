package qemu

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"sync"
	"time"
)

// ErrClientClosed is returned by calls on a closed or broken QMP connection.
var ErrClientClosed = errors.New("qmp connection closed")

// maxEvents bounds the events a Client remembers for WaitEvent.
const maxEvents = 256

// Client is one QMP connection in command mode. It is safe for concurrent
// use; commands are matched to replies by id.
type Client struct {
	conn net.Conn
	name string
	// Greeting is what QEMU announced on connect.
	Greeting Greeting

	wmu sync.Mutex // one command on the wire at a time

	mu      sync.Mutex
	nextID  uint64
	pending map[uint64]chan message
	events  []Event
	evBase  uint64        // sequence number of events[0]
	evWake  chan struct{} // closed (and replaced) when an event arrives
	done    chan struct{} // closed when the reader stops
	readErr error
}

// Dial connects to a QMP socket (see ParseAddr) and negotiates command
// mode, bounded by ctx.
func Dial(ctx context.Context, addr string) (*Client, error) {
	conn, err := dial(ctx, addr)
	if err != nil {
		return nil, err
	}
	c, err := NewClient(ctx, conn, addr)
	if err != nil {
		conn.Close()
		return nil, err
	}
	return c, nil
}

// NewClient reads QEMU's greeting from conn and enters command mode. name
// identifies the connection in errors. The Client owns conn from here on.
func NewClient(ctx context.Context, conn net.Conn, name string) (*Client, error) {
	c := &Client{
		conn:    conn,
		name:    name,
		pending: map[uint64]chan message{},
		evWake:  make(chan struct{}),
		done:    make(chan struct{}),
	}
	dec := json.NewDecoder(conn)
	// The greeting is read here, not by the reader goroutine, so that a
	// socket that is not QMP fails Dial instead of a later command.
	var m message
	err := bounded(ctx, conn.SetReadDeadline, func() (err error) {
		m, err = readMessage(dec)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("qmp %s: reading greeting: %w", name, err)
	}
	if m.kind != kindGreeting {
		return nil, fmt.Errorf("qmp %s: expected the QMP greeting first, got another message", name)
	}
	c.Greeting = m.greeting
	go c.read(dec)
	if err := c.Execute(ctx, "qmp_capabilities", nil, nil); err != nil {
		c.Close()
		return nil, err
	}
	return c, nil
}

func readMessage(dec *json.Decoder) (message, error) {
	var raw json.RawMessage
	if err := dec.Decode(&raw); err != nil {
		return message{}, err
	}
	return decodeMessage(raw)
}

// read dispatches replies and events until the connection ends.
func (c *Client) read(dec *json.Decoder) {
	var err error
	for {
		var m message
		m, err = readMessage(dec)
		if err != nil {
			break
		}
		switch m.kind {
		case kindEvent:
			c.mu.Lock()
			c.events = append(c.events, m.event)
			if len(c.events) > maxEvents {
				drop := len(c.events) - maxEvents
				c.events = append(c.events[:0], c.events[drop:]...)
				c.evBase += uint64(drop)
			}
			close(c.evWake)
			c.evWake = make(chan struct{})
			c.mu.Unlock()
		case kindReturn, kindError:
			c.mu.Lock()
			ch := c.pending[m.id]
			delete(c.pending, m.id)
			c.mu.Unlock()
			if ch != nil {
				ch <- m
			}
		}
	}
	if errors.Is(err, io.EOF) || errors.Is(err, net.ErrClosed) {
		err = ErrClientClosed
	} else {
		err = fmt.Errorf("%w: %v", ErrClientClosed, err)
	}
	c.mu.Lock()
	c.readErr = err
	c.mu.Unlock()
	close(c.done)
}

// Close ends the connection.
func (c *Client) Close() error {
	err := c.conn.Close()
	<-c.done
	return err
}

// Done is closed when the connection has ended (QEMU quit, or Close).
func (c *Client) Done() <-chan struct{} { return c.done }

func (c *Client) brokenErr() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	return fmt.Errorf("qmp %s: %w", c.name, c.readErr)
}

// Execute runs one QMP command. args (may be nil) is marshalled as the
// command's arguments; the reply's return value is unmarshalled into out
// (may be nil). A failure QEMU reports is an *Error.
func (c *Client) Execute(ctx context.Context, cmd string, args, out any) error {
	req := struct {
		Execute   string `json:"execute"`
		Arguments any    `json:"arguments,omitempty"`
		ID        uint64 `json:"id"`
	}{Execute: cmd, Arguments: args}
	ch := make(chan message, 1)
	c.mu.Lock()
	c.nextID++
	req.ID = c.nextID
	c.pending[req.ID] = ch
	c.mu.Unlock()
	defer func() {
		c.mu.Lock()
		delete(c.pending, req.ID)
		c.mu.Unlock()
	}()
	b, err := json.Marshal(req)
	if err != nil {
		return fmt.Errorf("qmp %s: %s: %w", c.name, cmd, err)
	}
	if err := c.write(ctx, b); err != nil {
		select {
		case <-c.done:
			return fmt.Errorf("%w (while sending %s)", c.brokenErr(), cmd)
		default:
		}
		return fmt.Errorf("qmp %s: sending %s: %w", c.name, cmd, err)
	}
	select {
	case m := <-ch:
		if m.kind == kindError {
			m.err.Command = cmd
			return m.err
		}
		if out != nil {
			if err := json.Unmarshal(m.ret, out); err != nil {
				return fmt.Errorf("qmp %s: %s: unexpected reply %s: %v", c.name, cmd, quoteShort(m.ret), err)
			}
		}
		return nil
	case <-c.done:
		return fmt.Errorf("%w (while waiting for %s)", c.brokenErr(), cmd)
	case <-ctx.Done():
		return fmt.Errorf("qmp %s: %s: no reply: %w", c.name, cmd, context.Cause(ctx))
	}
}

func (c *Client) write(ctx context.Context, b []byte) error {
	c.wmu.Lock()
	defer c.wmu.Unlock()
	return bounded(ctx, c.conn.SetWriteDeadline, func() error {
		_, err := c.conn.Write(b)
		return err
	})
}

// bounded runs a blocking read or write, unblocking it through the
// connection's deadline when ctx ends, and clears the deadline afterwards
// so the connection stays usable.
func bounded(ctx context.Context, setDeadline func(time.Time) error, io func() error) error {
	fired := make(chan struct{})
	stop := context.AfterFunc(ctx, func() {
		setDeadline(time.Unix(1, 0))
		close(fired)
	})
	err := io()
	if !stop() {
		<-fired
		setDeadline(time.Time{})
		if err != nil {
			return context.Cause(ctx)
		}
	}
	return err
}

// EventMark returns a position in the event stream: WaitEvent(ctx, mark,
// ...) sees only events that arrive after it. Take the mark before the
// command whose event you wait for, so the event cannot slip past.
func (c *Client) EventMark() uint64 {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.evBase + uint64(len(c.events))
}

// WaitEvent returns the first event named one of names after mark.
func (c *Client) WaitEvent(ctx context.Context, mark uint64, names ...string) (Event, error) {
	for {
		c.mu.Lock()
		start := uint64(0)
		if mark > c.evBase {
			start = mark - c.evBase
		}
		for i := start; i < uint64(len(c.events)); i++ {
			for _, n := range names {
				if c.events[i].Name == n {
					ev := c.events[i]
					c.mu.Unlock()
					return ev, nil
				}
			}
		}
		wake := c.evWake
		c.mu.Unlock()
		select {
		case <-wake:
		case <-c.done:
			return Event{}, fmt.Errorf("%w (while waiting for event %v)", c.brokenErr(), names)
		case <-ctx.Done():
			return Event{}, fmt.Errorf("qmp %s: event %v: %w", c.name, names, context.Cause(ctx))
		}
	}
}

// Status is the VM's run state (query-status).
type Status struct {
	// Status is QEMU's run state: running, paused, prelaunch, shutdown,
	// internal-error, ...
	Status  string `json:"status"`
	Running bool   `json:"running"`
}

// QueryStatus asks for the run state.
func (c *Client) QueryStatus(ctx context.Context) (Status, error) {
	var s Status
	err := c.Execute(ctx, "query-status", nil, &s)
	return s, err
}

// Stop pauses the VM: its CPU and devices freeze, its serial port goes
// silent. A rig treats this as power off.
func (c *Client) Stop(ctx context.Context) error { return c.Execute(ctx, "stop", nil, nil) }

// Cont resumes (or, after -S, starts) the VM.
func (c *Client) Cont(ctx context.Context) error { return c.Execute(ctx, "cont", nil, nil) }

// ColdStart resets the machine and runs it from its reset vector: power on.
// It waits for QEMU's RESET event before resuming, so the CPU can never run
// on from where it was stopped.
func (c *Client) ColdStart(ctx context.Context) error {
	mark := c.EventMark()
	if err := c.Execute(ctx, "system_reset", nil, nil); err != nil {
		return err
	}
	if _, err := c.WaitEvent(ctx, mark, "RESET"); err != nil {
		return err
	}
	return c.Cont(ctx)
}

// Quit asks QEMU to exit. A connection that closes before the reply
// arrives counts as success: QEMU is going away either way.
func (c *Client) Quit(ctx context.Context) error {
	err := c.Execute(ctx, "quit", nil, nil)
	if errors.Is(err, ErrClientClosed) {
		return nil
	}
	return err
}
