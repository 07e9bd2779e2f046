package ymodem

import (
	"errors"
	"fmt"
)

var (
	// ErrCancelled means the receiver sent CAN CAN.
	ErrCancelled = errors.New("receiver cancelled the transfer")
	// ErrNoAnswer means the receiver stayed silent (or sent only noise)
	// for the whole timeout.
	ErrNoAnswer = errors.New("no answer from the receiver")
	// ErrRetries means a block was refused or unanswered too many times.
	ErrRetries = errors.New("too many retries")
	// ErrBadFile means a file cannot be sent (its name does not fit block 0).
	ErrBadFile = errors.New("file cannot be sent")
)

// Error says where a transfer stopped: the stage (waiting for the
// receiver, block N of a file, EOT, end of batch), how far it got and the
// last byte the receiver sent.
type Error struct {
	// Stage is e.g. "waiting for the receiver to start", "block 12", "EOT".
	Stage string
	// File is the YMODEM file name, empty for XMODEM.
	File string
	// Offset is how many payload bytes of File had been acknowledged.
	Offset int64
	// Attempts is how many times the block (or EOT) was sent.
	Attempts int
	// Last describes the last byte received, "" if none.
	Last string
	// Err is ErrCancelled, ErrNoAnswer, ErrRetries, ErrBadFile, the
	// context's cause or the port's error.
	Err error
}

func (e *Error) Error() string {
	s := "ymodem: " + e.Stage
	if e.File != "" {
		s += fmt.Sprintf(" of %q", e.File)
	}
	if e.Offset > 0 {
		s += fmt.Sprintf(" (at byte %d)", e.Offset)
	}
	if e.Attempts > 0 {
		s += fmt.Sprintf(", %d attempts", e.Attempts)
	}
	if e.Last != "" {
		s += ", receiver last sent " + e.Last
	}
	return s + ": " + e.Err.Error()
}

func (e *Error) Unwrap() error { return e.Err }
