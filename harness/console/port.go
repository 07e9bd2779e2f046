package console

import "context"

// Port is the byte transport under a Console.
type Port interface {
	// Read blocks until at least one byte arrives or the port fails.
	// (0, nil) means nothing arrived; it is not an error. Close must make a
	// blocked Read return.
	Read(p []byte) (int, error)
	Write(p []byte) (int, error)
	Close() error
}

// BaudSetter is a Port whose line rate can change while open.
type BaudSetter interface {
	SetBaud(baud int) error
}

// InputDiscarder is a Port that can drop the input still queued in it
// (for a tty, the kernel's input buffer).
type InputDiscarder interface {
	DiscardInput() error
}

// DialFunc opens a Port. The console calls it again to reopen after a
// disconnection, until it succeeds or the console is closed (ctx ends).
type DialFunc func(ctx context.Context) (Port, error)

// endpoint is how to (re)open one console's port.
type endpoint struct {
	name  string
	dial  DialFunc
	watch string // a filesystem path whose return is worth an immediate retry
}
