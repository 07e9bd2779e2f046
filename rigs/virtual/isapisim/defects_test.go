package isapisim_test

import (
	"fmt"
	"net"
	"strings"
	"sync"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/camrig/camrig/rigs/virtual/isapisim"
	"github.com/camrig/camrig/rigs/virtual/isapisim/simtest"
)

// clock is a settable Now for the lockout's expiry.
type clock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *clock) advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

// Each lockout defect against the sound API: the same logins, with what
// the right password gets after them.
func TestLockoutDefects(t *testing.T) {
	const path = "/ISAPI/System/deviceInfo"
	cases := []struct {
		name    string
		defects isapisim.Defects
		// after two wrong passwords (attempts 2): the right one gets...
		locked int
		// ...and after the lock's duration has passed:
		expired int
	}{
		{"sound", isapisim.Defects{}, 401, 200},
		{"no lockout", isapisim.Defects{NoLockout: true}, 200, 200},
		{"lockout never expires", isapisim.Defects{LockoutNeverExpires: true}, 401, 401},
		{"accepts the right password while locked", isapisim.Defects{AcceptsPasswordWhileLocked: true}, 200, 200},
	}
	for i, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			clk := &clock{now: time.Unix(1_700_000_000, 0)}
			cam := simtest.NewCamera(t, "cam", "127.0.0.36", isapisim.Config{Model: "m",
				LockoutAttempts: 2, LockoutDuration: time.Minute, Now: clk.Now, Defects: c.defects})
			if code, _ := activate(t, cam.URL, "Abcdefg1", nulPad); code != 200 {
				t.Fatal("activation failed")
			}
			for range 2 {
				if code := digestGet(t, cam.URL, path, "admin", "Wrong-guess-1"); code != 401 {
					t.Fatalf("case %d: wrong password got %d", i, code)
				}
			}
			if code := digestGet(t, cam.URL, path, "admin", "Abcdefg1"); code != c.locked {
				t.Fatalf("right password after two failures: %d, want %d", code, c.locked)
			}
			if c.defects.AcceptsPasswordWhileLocked {
				if code := digestGet(t, cam.URL, path, "admin", "Wrong-guess-1"); code != 401 {
					t.Fatalf("a wrong password while locked got %d", code)
				}
			}
			clk.advance(time.Minute + time.Second)
			if code := digestGet(t, cam.URL, path, "admin", "Abcdefg1"); code != c.expired {
				t.Fatalf("right password after the lock's duration: %d, want %d", code, c.expired)
			}
		})
	}
}

// never_serves: the unit runs, its API never listens.
func TestDefectNeverServes(t *testing.T) {
	up := make(chan net.Addr, 1)
	addr := simtest.FreeAddr(t, "127.0.0.37")
	srv, err := isapisim.New(isapisim.Config{Addr: addr, Model: "m", Defects: isapisim.Defects{NeverServes: true},
		OnListen: func(a net.Addr) { up <- a }})
	if err != nil {
		t.Fatal(err)
	}
	u := simtest.NewUnit("cam", "m", srv.Run)
	u.PowerOn()
	if c, err := net.Dial("tcp", addr); err == nil {
		c.Close()
		t.Fatal("the API answered")
	}
	u.PowerOff() // returns once the service has
	if len(up) != 0 || u.Err() != nil {
		t.Fatalf("listened %d times, error %v", len(up), u.Err())
	}
}

// open_while_inactive and accepts_weak_password against the sound API on
// an inactive unit.
func TestInactiveDefects(t *testing.T) {
	for i, on := range []bool{false, true} {
		ip := fmt.Sprintf("127.0.0.%d", 38+i)
		cam := simtest.NewCamera(t, "cam", ip, isapisim.Config{Model: "m",
			Defects: isapisim.Defects{OpenWhileInactive: on, AcceptsWeakPassword: on}})
		resp, _ := call(t, "GET", cam.URL+"/ISAPI/System/deviceInfo", nil)
		if open := resp.StatusCode == 200; open != on {
			t.Fatalf("defect %v: inactive deviceInfo without a login: HTTP %d", on, resp.StatusCode)
		}
		code, rs := activate(t, cam.URL, "abc", nulPad)
		if accepted := code == 200; accepted != on {
			t.Fatalf("defect %v: activation with a weak password: HTTP %d %+v", on, code, rs)
		}
	}
}

// api_junk (the fault matrix's): every answer is 200 OK labelled XML with
// a body that is not even text; the sound API answers the same call with
// XML.
func TestJunkAnswers(t *testing.T) {
	for i, on := range []bool{false, true} {
		cam := simtest.NewCamera(t, "cam", fmt.Sprintf("127.0.0.%d", 45+i), isapisim.Config{Model: "m", Junk: on})
		resp, body := call(t, "GET", cam.URL+"/SDK/activateStatus", nil)
		if resp.StatusCode != 200 || !strings.Contains(resp.Header.Get("Content-Type"), "xml") {
			t.Fatalf("junk %v: HTTP %d %q", on, resp.StatusCode, resp.Header.Get("Content-Type"))
		}
		if junk := !utf8.Valid(body); junk != on {
			t.Fatalf("junk %v: body %q", on, body)
		}
	}
}
