package camera

import (
	"context"
	"errors"

	"github.com/camrig/camrig/harness/internal/isapihttp"
)

// State is a unit's activation state.
type State int

const (
	// StateUnknown is returned with an error.
	StateUnknown State = iota
	// Uninitialized is the inactive factory state (Activated=false).
	Uninitialized
	// Activated means a password has been set.
	Activated
)

func (s State) String() string {
	switch s {
	case Uninitialized:
		return "uninitialized"
	case Activated:
		return "activated"
	}
	return "unknown"
}

// ActivationState asks GET /SDK/activateStatus (no auth).
func (c *Client) ActivationState(ctx context.Context) (State, error) {
	var activated bool
	err := c.get(ctx, "/SDK/activateStatus", false, func(b []byte) (err error) {
		activated, err = ParseActivateStatus(b)
		return err
	})
	switch {
	case err != nil:
		return StateUnknown, err
	case activated:
		return Activated, nil
	}
	return Uninitialized, nil
}

type activateStatusXML struct {
	Activated *string `xml:"Activated"`
}

// ParseActivateStatus parses <ActivateStatus><Activated>true|false</Activated>.
func ParseActivateStatus(body []byte) (bool, error) {
	var x activateStatusXML
	if _, err := isapihttp.Decode(body, "ActivateStatus", &x); err != nil {
		return false, err
	}
	if x.Activated == nil {
		return false, errors.New("<ActivateStatus> has no <Activated>")
	}
	return isapihttp.ParseBool("Activated", *x.Activated)
}
