package console

import (
	"bytes"
	"io"

	"github.com/camrig/camrig/harness/secret"
)

// redactor replaces secret values in rendered console text. A device may
// echo a password typed at a login prompt; the transcript a report shows
// must not carry it.
type redactor struct {
	vals   [][]byte
	maxLen int
}

func newRedactor(secrets []secret.Secret) redactor {
	var r redactor
	for _, s := range secrets {
		v, err := s.Value()
		if err != nil || len(v) < 3 { // as secret.Scrub: too short to replace safely
			continue
		}
		r.vals = append(r.vals, []byte(v))
		r.maxLen = max(r.maxLen, len(v))
	}
	return r
}

func (r redactor) active() bool { return len(r.vals) > 0 }

func (r redactor) apply(b []byte) []byte {
	for _, v := range r.vals {
		if bytes.Contains(b, v) {
			b = bytes.ReplaceAll(b, v, []byte(secret.Redacted))
		}
	}
	return b
}

// redactWriter streams through a redactor, holding back just enough bytes
// that a secret split across two writes is still caught.
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
	cut := rw.safeCut(data)
	if _, err := rw.w.Write(rw.r.apply(append([]byte(nil), data[:cut]...))); err != nil {
		return 0, err
	}
	rw.carry = append(rw.carry[:0:0], data[cut:]...)
	return len(p), nil
}

// safeCut is the largest prefix length of data after which no secret can
// still be completed by later bytes and no secret straddles the cut.
func (rw *redactWriter) safeCut(data []byte) int {
	cut := len(data) - (rw.r.maxLen - 1)
	if cut <= 0 {
		return 0
	}
	for moved := true; moved && cut > 0; {
		moved = false
		for _, v := range rw.r.vals {
			lo := max(0, cut-len(v)+1)
			hi := min(len(data), cut+len(v)-1)
			if i := bytes.Index(data[lo:hi], v); i >= 0 && lo+i < cut {
				cut = lo + i
				moved = true
			}
		}
	}
	return cut
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
