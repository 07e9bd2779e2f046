package virtual

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/camrig/camrig/rigs/virtual/plugsim"
	"github.com/camrig/camrig/rigs/virtual/unit"
)

// plug is one smart plug the rig file's bindings point at (several
// bindings may share a multi-relay plug).
type plug struct {
	driver string // tasmota or shelly
	url    string
	addr   string
	// relays maps the device's relay number (Tasmota 1-based, Shelly
	// 0-based) to what it drives.
	relays map[int]func(on bool)
	wires  []string
	cred   PlugAuth
	owner  string // the first binding's "unit role", for errors
	line   int
}

// plugDriver reports whether a plug simulator serves driver.
func plugDriver(driver string) bool { return driver == "tasmota" || driver == "shelly" }

// attachPlugs starts a virtual Tasmota or Shelly Gen2 plug for every
// power or press binding on one, wired to the unit's power input or reset
// button.
func (r *Rig) attachPlugs(ctx context.Context, o options) error {
	plugs, err := r.collectPlugs()
	if err != nil {
		return err
	}
	for _, p := range plugs {
		if err := r.startPlug(ctx, p, o); err != nil {
			return err
		}
	}
	return nil
}

func (r *Rig) collectPlugs() ([]*plug, error) {
	var plugs []*plug
	byAddr := map[string]*plug{}
	for _, uw := range r.Unwired() {
		b := uw.Binding
		if uw.Role == "led" || !plugDriver(b.Driver) {
			continue
		}
		uf := r.unitFiles[uw.Unit.Name()]
		who := uw.Unit.Name() + " " + uw.Role
		fail := func(format string, a ...any) error {
			return &RigFileError{File: r.file.File, Line: uf.Line, Msg: fmt.Sprintf("unit %q: %s: ", uf.Name, uw.Role) + fmt.Sprintf(format, a...)}
		}
		addr, err := loopbackAddr(b.URL)
		if err != nil {
			return nil, fail("%s: %v", b.Driver, err)
		}
		relay := b.Channel
		switch {
		case b.Driver == "tasmota" && relay == 0:
			relay = 1 // the unindexed Power: the plug's first relay
		case b.Driver == "tasmota" && (relay < 0 || relay > 8):
			return nil, fail("tasmota channel %d: the virtual plug has relays 1-8", relay)
		case b.Driver == "shelly" && (relay < 0 || relay > 3):
			return nil, fail("shelly channel %d: the virtual plug has switches 0-3", relay)
		}
		cred := b.PlugAuth
		p := byAddr[addr]
		switch {
		case p == nil:
			p = &plug{driver: b.Driver, url: b.URL, addr: addr, relays: map[int]func(bool){}, cred: cred, owner: who, line: uf.Line}
			byAddr[addr] = p
			plugs = append(plugs, p)
		case p.driver != b.Driver:
			return nil, fail("%s is a %s plug (%s), not %s", addr, p.driver, p.owner, b.Driver)
		case p.cred != cred:
			return nil, fail("the %s plug at %s has other credentials in %s's binding", p.driver, addr, p.owner)
		case p.relays[relay] != nil:
			return nil, fail("%s relay %d at %s is already %s", p.driver, relay, addr, p.owner)
		}
		p.relays[relay] = drive(uw.Unit, uw.Role, b.ActiveLow)
		low := ""
		if b.ActiveLow {
			low = " (active low)"
		}
		p.wires = append(p.wires, fmt.Sprintf("relay %d = %s%s", relay, who, low))
	}
	return plugs, nil
}

// drive is what a relay edge does to the unit, and sets the input to the
// relay's power-up state (off) now.
func drive(u *unit.Unit, role string, activeLow bool) func(bool) {
	set := u.SetPower
	if role == "press" {
		set = u.SetButton
	}
	set(activeLow)
	return func(on bool) { set(on != activeLow) }
}

func (r *Rig) startPlug(ctx context.Context, p *plug, o options) error {
	password, err := r.plugPassword(p)
	if err != nil {
		return err
	}
	onChange := func(relay int, on bool) {
		if f := p.relays[relay]; f != nil {
			f(on)
		}
	}
	n := 0
	for k := range p.relays {
		n = max(n, k)
	}
	var url string
	var closer func() error
	err = r.sims.bind(ctx, func() error {
		switch p.driver {
		case "tasmota":
			t, err := plugsim.StartTasmota(plugsim.TasmotaConfig{Addr: p.addr, Relays: n, User: p.cred.User,
				Password: password, OnChange: onChange, Clock: o.clock})
			if err != nil {
				return err
			}
			url, closer = t.URL(), t.Close
		default:
			s, err := plugsim.StartShelly(plugsim.ShellyConfig{Addr: p.addr, Switches: n + 1,
				Password: password, OnChange: onChange, Clock: o.clock})
			if err != nil {
				return err
			}
			url, closer = s.URL(), s.Close
		}
		return nil
	})
	if err != nil {
		r.notServed("%s plug %s (%s) not served: %v", p.driver, p.url, strings.Join(p.wires, ", "), err)
		return nil
	}
	r.AddCloser(closer)
	auth := "no password"
	if password != "" {
		auth = "password from " + r.plugPasswordWhere(p)
	}
	slices.Sort(p.wires)
	r.AddDevice(Device{Kind: "plug", Name: p.driver, Where: url,
		Detail: fmt.Sprintf("-> %s (%s)", strings.Join(p.wires, ", "), auth)})
	return nil
}

// plugPassword is the plug's web password from its binding: password_file
// (made with a random password when it is in the state dir's secrets and
// missing, like the units'), password_env, or none (an open plug).
func (r *Rig) plugPassword(p *plug) (string, error) {
	fail := func(format string, a ...any) error {
		return &RigFileError{File: r.file.File, Line: p.line, Msg: fmt.Sprintf("%s plug %s: ", p.driver, p.url) + fmt.Sprintf(format, a...)}
	}
	switch {
	case p.cred.PasswordFile != "":
		path := p.cred.PasswordFile
		if filepath.Dir(path) == r.SecretsDir() {
			if err := writeSecrets(r.SecretsDir(), []string{filepath.Base(path)}); err != nil {
				return "", err
			}
		}
		b, err := os.ReadFile(path)
		if err != nil {
			return "", fail("password_file: %v", err)
		}
		pw := string(trimEOL(b))
		if pw == "" {
			return "", fail("password_file %s is empty", path)
		}
		return pw, nil
	case p.cred.PasswordEnv != "":
		pw := os.Getenv(p.cred.PasswordEnv)
		if pw == "" {
			return "", fail("password_env %s is not set", p.cred.PasswordEnv)
		}
		return pw, nil
	}
	r.note("%s plug %s has no password: it accepts anyone (as a fresh plug does)", p.driver, p.url)
	return "", nil
}

func (r *Rig) plugPasswordWhere(p *plug) string {
	if p.cred.PasswordFile != "" {
		return p.cred.PasswordFile
	}
	return "$" + p.cred.PasswordEnv
}
