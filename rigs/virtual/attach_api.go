package virtual

import (
	"context"
	"fmt"
	"net"
	"net/url"

	"github.com/camrig/camrig/rigs/virtual/isapisim"
	"github.com/camrig/camrig/rigs/virtual/unit"
)

// attachAPI gives a unit with an api binding its ISAPI server on the
// binding's loopback address. The unit runs it as a service: it answers
// only while the unit is powered and booted, and a power cut, reboot or
// reset silences it at once.
func (r *Rig) attachAPI(u *unit.Unit) error {
	uf := r.unitFiles[u.Name()]
	fail := func(format string, a ...any) error {
		return &RigFileError{File: r.file.File, Line: uf.Line, Msg: fmt.Sprintf("unit %q: api: ", uf.Name) + fmt.Sprintf(format, a...)}
	}
	defects := r.file.Sim.Units[u.Name()].Defects.api()
	np := u.Profile()
	served := uf.API != nil && uf.API.URL != "" && (np.API.Kind == "" || np.API.Kind == "isapi")
	if defects != (isapisim.Defects{}) && !served {
		return fail("sim.units.%s.defects: an API defect needs an api binding served as isapi", u.Name())
	}
	if uf.API == nil || uf.API.URL == "" {
		return nil
	}
	if !served {
		r.note("%s: profile %s has api kind %q; its api binding is not served", u.Name(), u.Model(), np.API.Kind)
		return nil
	}
	addr, err := loopbackAddr(uf.API.URL)
	if err != nil {
		return fail("%v", err)
	}
	user := uf.API.User
	if user == "" {
		user = np.API.User
	}
	srv, err := isapisim.New(isapisim.Config{
		Addr: addr, Model: u.Model(), User: user,
		NotActivatedStatus: np.API.NotActivatedStatus,
		LockoutAttempts:    np.Lockout.Attempts, LockoutDuration: np.Lockout.Duration, LockoutScope: np.Lockout.Scope,
		Timescale: r.file.Timescale,
		Now:       u.Clock().Now,
		Log:       r.log,
		// The NVR looks at its port as soon as the unit answers.
		OnListen: func(net.Addr) { r.sims.kick() },
		Defects:  defects,
		Junk:     r.file.Sim.Units[u.Name()].APIJunk,
		// A unit with an emulated flash reports the version of the image
		// in it, so a reflash shows in deviceInfo as on a real camera.
		FirmwareOf: func() string { return r.flashVersion(u.Name()) },
	})
	if err != nil {
		return fail("%v", err)
	}
	// The unit listens only while up; whether its address is free is known
	// now (waiting bindPatience for a rig closing on it).
	if err := r.sims.bind(context.Background(), func() error {
		ln, err := net.Listen("tcp", addr)
		if err == nil {
			ln.Close()
		}
		return err
	}); err != nil {
		r.notServed("%s api %s not served: %v", u.Name(), uf.API.URL, err)
	}
	u.AddService(r.sims.service(r, u.Name(), srv.Run))
	u.SetBasicResetKeep(isapisim.BasicResetKeep)
	r.AddDevice(Device{Kind: "api", Name: u.Name(), Where: uf.API.URL,
		Detail: fmt.Sprintf("ISAPI (%s) while the unit is up", u.Model())})
	return nil
}

// loopbackAddr is host:port of an http URL on a loopback IP (port 80 when
// the URL has none). Anything else is refused: the virtual rig never
// listens beyond loopback.
func loopbackAddr(raw string) (string, error) {
	u, err := url.Parse(raw)
	if err != nil {
		return "", fmt.Errorf("url %q: %v", raw, err)
	}
	if u.Scheme != "http" {
		return "", fmt.Errorf("url %q: the simulator serves plain http only", raw)
	}
	host, port := u.Hostname(), u.Port()
	if ip := net.ParseIP(host); ip == nil || !ip.IsLoopback() {
		return "", fmt.Errorf("url %q: host %q is not a loopback IP", raw, host)
	}
	if port == "" {
		port = "80"
	}
	return net.JoinHostPort(host, port), nil
}
