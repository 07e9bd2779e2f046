package console

import (
	"io"

	"github.com/camrig/camrig/harness/secret"
)

// redactor replaces secret values in rendered console text, in any form a
// device may echo them (see secret.Matcher). A device may echo a password
// typed at a login prompt; the transcript a report shows must not carry it.
type redactor struct {
	m      *secret.Matcher
	maxLen int // the longest form of a secret, in bytes
}

func newRedactor(secrets []secret.Secret) redactor {
	m := secret.NewMatcher(secrets...)
	return redactor{m: m, maxLen: m.MaxLen()}
}

func (r redactor) active() bool { return r.m.Active() }

func (r redactor) apply(b []byte) []byte { return r.m.Redact(b) }

// redactWriter streams through a redactor, holding back just the tail that
// could still become a secret, so one split across two writes is caught.
type redactWriter struct {
	w     io.Writer
	r     redactor
	carry []byte
}

func (rw *redactWriter) Write(p []byte) (int, error) {
	if !rw.r.active() {
		return rw.w.Write(p)
	}
	data := append(rw.carry, p...)
	cut := rw.r.m.Hold(data)
	if _, err := rw.w.Write(rw.r.apply(data[:cut])); err != nil {
		return 0, err
	}
	rw.carry = append(rw.carry[:0:0], data[cut:]...)
	return len(p), nil
}

// Flush writes what was held back.
func (rw *redactWriter) Flush() error {
	if len(rw.carry) == 0 {
		return nil
	}
	_, err := rw.w.Write(rw.r.apply(rw.carry))
	rw.carry = nil
	return err
}
