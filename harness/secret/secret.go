// Package secret carries credentials that come from the environment or a
// file. A Secret never prints its value: String, GoString, MarshalJSON and
// slog all render it redacted, so one that slips into a log line, an error or
// a report stays unreadable.
package secret

import (
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"strings"

	"github.com/camrig/camrig/harness/internal/inputfile"
)

// Redacted is what a secret looks like in any output.
const Redacted = "[redacted]"

// Secret is a reference to a credential plus, once resolved, its value.
type Secret struct {
	// Env and File say where the value comes from (one of them).
	Env  string
	File string
	val  string
	set  bool
}

// FromEnv references an environment variable.
func FromEnv(name string) Secret { return Secret{Env: name} }

// FromFile references a file (its content, trailing newline trimmed).
func FromFile(path string) Secret { return Secret{File: path} }

// Literal wraps a value already in memory (a CLI prompt, a test).
func Literal(v string) Secret { return Secret{val: v, set: true} }

// IsZero reports whether no source is configured.
func (s Secret) IsZero() bool { return s.Env == "" && s.File == "" && !s.set }

// Where names the source without the value, for error messages.
func (s Secret) Where() string {
	switch {
	case s.Env != "":
		return "environment variable " + s.Env
	case s.File != "":
		return "file " + s.File
	case s.set:
		return "literal"
	}
	return "nowhere"
}

// maxFile bounds a secret file: a password or a community string, never
// more than a line.
const maxFile = 4 << 10

// ErrMissing says the configured source has no value.
var ErrMissing = errors.New("secret not set")

// Value resolves the secret. The error names the source, never a value.
func (s Secret) Value() (string, error) {
	switch {
	case s.set:
		return s.val, nil
	case s.Env != "":
		v, ok := os.LookupEnv(s.Env)
		if !ok || v == "" {
			return "", fmt.Errorf("%w: environment variable %s is empty or unset", ErrMissing, s.Env)
		}
		return v, nil
	case s.File != "":
		b, err := inputfile.Read(s.File, maxFile)
		if err != nil {
			return "", fmt.Errorf("%w: reading secret file %w", ErrMissing, err)
		}
		v := strings.TrimRight(string(b), "\r\n")
		if v == "" {
			return "", fmt.Errorf("%w: secret file %s is empty", ErrMissing, s.File)
		}
		return v, nil
	}
	return "", fmt.Errorf("%w: no password_env or password_file given", ErrMissing)
}

// Resolve returns a copy holding the value, so later uses cannot fail.
func (s Secret) Resolve() (Secret, error) {
	v, err := s.Value()
	if err != nil {
		return s, err
	}
	s.val, s.set = v, true
	return s, nil
}

func (s Secret) String() string   { return Redacted }
func (s Secret) GoString() string { return Redacted }

// Format keeps %v, %+v, %#v, %s and %q redacted.
func (s Secret) Format(f fmt.State, verb rune) { fmt.Fprint(f, Redacted) }

// LogValue keeps slog redacted.
func (s Secret) LogValue() slog.Value { return slog.StringValue(Redacted) }

// MarshalJSON keeps reports redacted.
func (s Secret) MarshalJSON() ([]byte, error) { return json.Marshal(Redacted) }

// Scrub replaces every occurrence of the resolved values in text, in any
// escaped form (see Matcher): the last line of defence for transcripts and
// error strings that echo what a device said back. Scrub whole texts, then
// cut them: a secret cut first is no longer recognisable.
func Scrub(text string, secrets ...Secret) string {
	return NewMatcher(secrets...).RedactString(text)
}
