package camera

import (
	"context"
	"fmt"
	"net/http"
	"time"

	"github.com/camrig/camrig/harness/internal/isapihttp"
)

// UserCheck is the unit's login verdict for the configured credentials.
type UserCheck struct {
	// OK: the credentials were accepted (statusValue 200).
	OK          bool
	StatusValue int
	// IllegalLogin: this check counted as a failed login.
	IllegalLogin bool
	Locked       bool
	// UnlockIn is unlockTime in device time; scale it on a rig with a
	// timescale before waiting on it.
	UnlockIn time.Duration
	// RetriesLeft is retryLoginTime, -1 when the unit did not say.
	RetriesLeft int
}

// UserCheck asks GET /ISAPI/Security/userCheck with the configured
// credentials. A refused login is a verdict, not an error: the result says
// whether the account is locked and for how long. Note that each refused
// check counts as a failed login on the unit.
func (c *Client) UserCheck(ctx context.Context) (UserCheck, error) {
	resp, err := c.h.Do(ctx, isapihttp.Request{Method: http.MethodGet, Path: "/ISAPI/Security/userCheck", Auth: true})
	if err != nil {
		return UserCheck{}, err
	}
	var uc isapihttp.UserCheck
	parse := func(b []byte) (err error) { uc, err = isapihttp.ParseUserCheck(b); return err }
	if resp.HTTP == http.StatusUnauthorized && isapihttp.IsXMLContentType(resp.ContentType) {
		if u, err := isapihttp.ParseUserCheck(resp.Body); err == nil {
			return fromUserCheck(u), nil
		}
	}
	if err := c.h.Decode(resp, parse); err != nil {
		return UserCheck{}, err
	}
	return fromUserCheck(uc), nil
}

func fromUserCheck(u isapihttp.UserCheck) UserCheck {
	return UserCheck{
		OK: u.StatusValue == http.StatusOK && !u.Locked, StatusValue: u.StatusValue,
		IllegalLogin: u.IllegalLogin, Locked: u.Locked,
		UnlockIn:    time.Duration(u.UnlockSeconds) * time.Second,
		RetriesLeft: u.RetriesLeft,
	}
}

// ParseUserCheck parses a <userCheck> body.
func ParseUserCheck(body []byte) (UserCheck, error) {
	u, err := isapihttp.ParseUserCheck(body)
	if err != nil {
		return UserCheck{}, err
	}
	return fromUserCheck(u), nil
}

// ParseResponseStatus parses a <ResponseStatus> body.
func ParseResponseStatus(body []byte) (ResponseStatus, error) {
	return isapihttp.ParseResponseStatus(body)
}

// Reboot asks PUT /ISAPI/System/reboot; the unit restarts keeping its
// settings.
func (c *Client) Reboot(ctx context.Context) error {
	return c.put(ctx, "/ISAPI/System/reboot", nil)
}

// ResetMode selects what a factory reset keeps.
type ResetMode string

const (
	// ResetBasic keeps network settings and users.
	ResetBasic ResetMode = "basic"
	// ResetFull returns the unit to the inactive factory state.
	ResetFull ResetMode = "full"
)

// FactoryReset asks PUT /ISAPI/System/factoryReset?mode=basic|full.
func (c *Client) FactoryReset(ctx context.Context, mode ResetMode) error {
	if mode != ResetBasic && mode != ResetFull {
		return fmt.Errorf("%s: factory reset mode %q: want basic or full", c.h.Peer(), mode)
	}
	return c.put(ctx, "/ISAPI/System/factoryReset?mode="+string(mode), nil)
}
