package camera_test

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/camrig/camrig/harness/camera"
	"github.com/camrig/camrig/harness/secret"
)

func TestCheckPassword(t *testing.T) {
	for _, tc := range []struct {
		user, pw string
		rule     string // "" = accepted
	}{
		{"admin", "Abcdefg1", ""},
		{"admin", "abcdefg1", ""},         // lower + digit
		{"admin", "abcdefgh!", ""},        // lower + special
		{"admin", "ABCDEFGH12345678", ""}, // 16 characters
		{"admin", "Abcdef1", "8 to 16"},   // 7
		{"admin", "Abcdefgh123456789", "8 to 16"},
		{"admin", "abcdefgh", "two"}, // one class
		{"admin", "12345678", "two"},
		{"admin", "!!!!!!!!", "two"},
		{"admin", "myADMIN123", "user name"}, // case-insensitive
		{"operator", "operator12", "user name"},
		{"", "Abcdefg1", ""},
		{"admin", "Abcdéfg1", "ASCII"},
		{"admin", "Abcd\tfg1", "ASCII"},
		{"admin", "Abc defg1", ""}, // space counts as special
	} {
		err := camera.CheckPassword(tc.user, tc.pw)
		switch {
		case tc.rule == "" && err != nil:
			t.Errorf("%q/%q: %v; want accepted", tc.user, tc.pw, err)
		case tc.rule != "" && (err == nil || !errors.Is(err, camera.ErrPasswordRule) || !strings.Contains(err.Error(), tc.rule)):
			t.Errorf("%q/%q: %v; want refused for %q", tc.user, tc.pw, err, tc.rule)
		case err != nil && strings.Contains(err.Error(), tc.pw):
			t.Errorf("error %q quotes the password", err)
		}
	}
}

type countingTransport struct{ n atomic.Int32 }

func (c *countingTransport) RoundTrip(*http.Request) (*http.Response, error) {
	c.n.Add(1)
	return nil, errors.New("no network in this test")
}

// A password that breaks the rules is refused before anything is sent.
func TestActivateRefusesLocallyBeforeSending(t *testing.T) {
	rt := &countingTransport{}
	c, err := camera.New(camera.Config{Name: "cam1", URL: "http://127.0.0.1:9", User: "admin", Transport: rt})
	if err != nil {
		t.Fatal(err)
	}
	err = c.Activate(context.Background(), secret.Literal("admin1234"))
	if !errors.Is(err, camera.ErrPasswordRule) || !strings.Contains(err.Error(), "before sending") || !strings.Contains(err.Error(), "cam1") {
		t.Fatalf("%v; want a clear local refusal naming the unit", err)
	}
	if n := rt.n.Load(); n != 0 {
		t.Fatalf("%d requests sent", n)
	}
	err = c.Activate(context.Background(), secret.FromEnv("CAMRIG_TEST_UNSET_PASSWORD"))
	if !errors.Is(err, secret.ErrMissing) || rt.n.Load() != 0 {
		t.Fatalf("unset password: %v", err)
	}
}
