package isapihttp

import (
	"errors"
	"fmt"
	"strconv"
	"time"
)

// Sentinels for errors.Is. Each is carried by a richer type below.
var (
	// ErrJunk: the peer answered something that is not a well-formed ISAPI
	// reply (wrong content type, invalid XML, missing fields, a redirect
	// loop or a redirect to another host, a body over the size limit).
	ErrJunk = errors.New("junk reply")
	// ErrNotActivated: the unit is inactive (factory state) and refuses
	// every call but activation.
	ErrNotActivated = errors.New("unit not activated")
	// ErrUnauthorized: the credentials were refused.
	ErrUnauthorized = errors.New("credentials refused")
	// ErrLocked: the account or source address is locked out after too
	// many failed logins.
	ErrLocked = errors.New("login locked")
)

// JunkError says what was wrong with a reply. Snippet is a short excerpt
// of the body, already scrubbed of the client's secrets.
type JunkError struct {
	Peer    string // "camera http://127.0.0.12:18001"
	Call    string // "GET /ISAPI/System/deviceInfo"
	Reason  string
	Snippet string
}

func (e *JunkError) Error() string {
	s := e.Peer + ": " + e.Call + ": junk reply: " + e.Reason
	if e.Snippet != "" {
		s += " (body starts " + strconv.Quote(e.Snippet) + ")"
	}
	return s
}

// Is makes errors.Is(err, ErrJunk) hold.
func (e *JunkError) Is(target error) bool { return target == ErrJunk }

// StatusError is a well-formed refusal: an HTTP status and the device's
// ResponseStatus (statusCode 1..7, subStatusCode such as notActivated).
type StatusError struct {
	Peer          string
	Call          string
	HTTP          int
	StatusCode    int
	StatusString  string
	SubStatusCode string
	// ErrorMsg is the device's free-text explanation, when it gives one.
	ErrorMsg string
}

func (e *StatusError) Error() string {
	s := fmt.Sprintf("%s: %s: HTTP %d, statusCode %d", e.Peer, e.Call, e.HTTP, e.StatusCode)
	if e.StatusString != "" {
		s += " (" + e.StatusString + ")"
	}
	if e.SubStatusCode != "" {
		s += ", subStatusCode " + e.SubStatusCode
	}
	if e.ErrorMsg != "" {
		s += ": " + e.ErrorMsg
	}
	return s
}

// Is makes errors.Is(err, ErrNotActivated) hold for an inactive unit's
// refusal.
func (e *StatusError) Is(target error) bool {
	return target == ErrNotActivated && e.SubStatusCode == SubNotActivated
}

// AuthError is a refused login that did not (yet) lock the account.
type AuthError struct {
	Peer string
	Call string
	User string
	// RetriesLeft is the device's retryLoginTime, -1 when it did not say.
	RetriesLeft int
}

func (e *AuthError) Error() string {
	s := fmt.Sprintf("%s: %s: credentials for user %q refused", e.Peer, e.Call, e.User)
	if e.RetriesLeft >= 0 {
		s += fmt.Sprintf(" (%d attempts left before lockout)", e.RetriesLeft)
	}
	return s
}

// Is makes errors.Is(err, ErrUnauthorized) hold.
func (e *AuthError) Is(target error) bool { return target == ErrUnauthorized }

// LockedError is a login refused because of an illegal-login lock.
// UnlockIn is what the device reported (its unlockTime), in the device's
// own time: on a rig with a timescale, scale it before waiting.
type LockedError struct {
	Peer     string
	Call     string
	User     string
	UnlockIn time.Duration
}

func (e *LockedError) Error() string {
	return fmt.Sprintf("%s: %s: user %q locked out, unlocks in %s (device time)", e.Peer, e.Call, e.User, e.UnlockIn)
}

// Is makes errors.Is(err, ErrLocked) and errors.Is(err, ErrUnauthorized)
// hold: a locked login is also a refused one.
func (e *LockedError) Is(target error) bool { return target == ErrLocked || target == ErrUnauthorized }

// ChallengeError is a 401 whose Digest challenge this client cannot answer
// (an algorithm it does not implement, qop=auth-int only). It is not a
// refusal of the credentials and does not match ErrUnauthorized: Sent says
// whether any were sent at all (with an earlier challenge). Err is the
// *digest.UnanswerableError saying what cannot be met.
type ChallengeError struct {
	Peer string
	Call string
	Sent bool
	Err  error
}

func (e *ChallengeError) Error() string {
	s := fmt.Sprintf("%s: %s: %v", e.Peer, e.Call, e.Err)
	if !e.Sent {
		return s + "; no credentials were sent"
	}
	return s + "; the credentials sent with the previous challenge were not answered again"
}

func (e *ChallengeError) Unwrap() error { return e.Err }
