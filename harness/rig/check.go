package rig

import (
	"errors"
	"fmt"
	"io/fs"
	"net"
	"net/url"
	"os"
	"path"
	"path/filepath"
	"regexp"
	"slices"
	"strings"

	"go.yaml.in/yaml/v3"

	_ "github.com/camrig/camrig/harness/drivers" // every driver a rig file may name, with its Check
	"github.com/camrig/camrig/harness/internal/bindcheck"
	"github.com/camrig/camrig/harness/internal/strictyaml"
	"github.com/camrig/camrig/harness/led"
	"github.com/camrig/camrig/harness/power"
	"github.com/camrig/camrig/harness/profile"
	"github.com/camrig/camrig/harness/secret"
)

var envNameRe = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*$`)

const literalPasswordAdvice = "a password never goes in the rig file: use password_env (an environment variable) or password_file (a file only the lab can read)"

func checkNVR(p *problems, n *fileNVR, virtual bool) *NVRConfig {
	base := []string{"nvr"}
	checkHTTPURL(p, at(base, "api"), n.API, virtual)
	if n.User == "" {
		p.add(at(base, "user"), "user is required")
	}
	pw := checkSecret(p, base, n.PasswordEnv, n.PasswordFile, n.Password, true, "nvr")
	return &NVRConfig{API: n.API, User: n.User, Password: pw}
}

func checkUnit(p *problems, i int, fu *fileUnit, virtual, haveNVR bool, profiles *profileCache) (UnitConfig, *profile.Profile) {
	base := []string{"units", fmt.Sprintf("[%d]", i)}
	u := UnitConfig{Name: fu.Name, Profile: fu.Profile, NVRPort: fu.NVRPort, Line: strictyaml.Line(p.root, base...)}
	if !validName(fu.Name) {
		p.add(at(base, "name"), "unit name %q: want letters, digits, '.', '_' or '-' (at most 64, not starting with '.' or '-')", fu.Name)
	}
	prof := checkProfile(p, at(base, "profile"), fu.Profile, profiles)

	if fu.Console == nil {
		p.add(base, "unit %s needs a console", fu.Name)
	} else {
		u.Console = checkConsole(p, at(base, "console"), fu.Console, virtual)
	}
	if fu.Power != nil {
		u.Power = checkPower(p, at(base, "power"), fu.Power, false, virtual)
	}
	if fu.Press != nil {
		u.Press = checkPower(p, at(base, "press"), fu.Press, true, virtual)
		if prof != nil && u.Press.MaxHold > 0 {
			checkHolds(p, at(base, "press", "max_hold"), u.Press, prof, fu.LED != nil)
		}
	}
	if fu.LED != nil {
		u.LED = checkLED(p, at(base, "led"), fu.LED)
	}
	if fu.API != nil {
		u.API = checkAPI(p, at(base, "api"), fu.API, virtual)
	}
	switch {
	case fu.NVRPort < 0:
		p.add(at(base, "nvr_port"), "nvr_port %d: want a port number >= 1 (or leave it out)", fu.NVRPort)
	case fu.NVRPort > 0 && !haveNVR:
		p.add(at(base, "nvr_port"), "unit %s names NVR port %d but the rig has no nvr section", fu.Name, fu.NVRPort)
	}
	return u, prof
}

func checkProfile(p *problems, path []string, model string, profiles *profileCache) *profile.Profile {
	if model == "" {
		p.add(path, "profile is required")
		return nil
	}
	prof, err, first := profiles.get(model)
	if err == nil {
		return prof
	}
	if errors.Is(err, fs.ErrNotExist) {
		known, _ := profile.Models(profiles.dir)
		p.add(path, "unknown profile %q: no %s in %s (known: %s)", model, model+".yaml", profiles.dir, strings.Join(known, ", "))
		return nil
	}
	p.add(path, "profile %q is invalid", model)
	if first {
		var many strictyaml.Errors
		var one *strictyaml.Error
		switch {
		case errors.As(err, &many):
			p.errs = append(p.errs, many...)
		case errors.As(err, &one):
			p.errs = append(p.errs, one)
		default:
			p.add(path, "%v", err)
		}
	}
	return nil
}

// checkHolds refuses a solenoid limit shorter than the longest press a
// procedure will ask for one of the profile's holds (profile.Holds.Press,
// which the procedures press by): the run would fail halfway through a
// reset, so say it now. ledWired: the unit binds an LED sensor, so a model
// that releases on the LED holds up to its window's max.
func checkHolds(p *problems, path []string, press *power.Config, prof *profile.Profile, ledWired bool) {
	for _, kind := range profile.HoldKinds {
		hp, ok := prof.Holds.Press(kind, ledWired)
		if !ok || hp.Longest <= press.MaxHold {
			continue
		}
		how := fmt.Sprintf("hold of %v", hp.Longest)
		switch {
		case hp.UntilLED:
			how = fmt.Sprintf("hold, released when the LED starts flashing, of up to %v (the window's max)", hp.Longest)
		case kind == profile.PowerOnHold:
			how = fmt.Sprintf("hold of up to %v (up to %v for power to come on, then %v)", hp.Longest, hp.Longest-hp.Window.Hold, hp.Window.Hold)
		}
		p.add(path, "max_hold %v is shorter than profile %s's %s %s", press.MaxHold, prof.Model, kind, how)
	}
}

// standardBauds are the rates UARTs and USB adapters actually use; anything
// else is almost always a typo (11520 for 115200).
var standardBauds = []int{300, 600, 1200, 2400, 4800, 9600, 14400, 19200, 38400, 57600, 74880,
	115200, 230400, 460800, 500000, 576000, 921600, 1000000, 1500000, 2000000, 3000000, 4000000}

func checkConsole(p *problems, base []string, c *fileConsole, virtual bool) ConsoleConfig {
	out := ConsoleConfig{Port: c.Port, Baud: c.Baud, DataBits: c.DataBits, Parity: c.Parity, StopBits: c.StopBits}
	checkConsolePort(p, at(base, "port"), c.Port, virtual)
	if out.Baud == 0 {
		out.Baud = 115200
	} else if !slices.Contains(standardBauds, out.Baud) {
		p.add(at(base, "baud"), "baud %d is not a standard rate (e.g. 9600, 57600, 115200, 921600)", c.Baud)
	}
	if out.DataBits == 0 {
		out.DataBits = 8
	} else if out.DataBits < 5 || out.DataBits > 8 {
		p.add(at(base, "data_bits"), "data_bits %d: want 5, 6, 7 or 8", c.DataBits)
	}
	switch out.Parity {
	case "":
		out.Parity = "none"
	case "none", "even", "odd", "mark", "space":
	default:
		p.add(at(base, "parity"), "parity %q: want none, even, odd, mark or space", c.Parity)
	}
	switch out.StopBits {
	case 0:
		out.StopBits = 1
	case 1, 2:
	default:
		p.add(at(base, "stop_bits"), "stop_bits %d: want 1 or 2", c.StopBits)
	}
	return out
}

// checkConsolePort accepts a tty path or tcp://, rfc2217:// or unix://.
func checkConsolePort(p *problems, path []string, port string, virtual bool) {
	p.err(path, bindcheck.Addr(port, scope(virtual), "a device path", "tcp", "rfc2217", "unix"))
}

func checkHTTPURL(p *problems, path []string, raw string, virtual bool) {
	p.err(path, bindcheck.URL(raw, scope(virtual), "http", "https"))
}

func scope(virtual bool) bindcheck.Scope { return bindcheck.Scope{LoopbackOnly: virtual} }

// checkSecret validates a password_env / password_file pair (and refuses a
// literal password). It never reads a value, only whether a variable is set.
func checkSecret(p *problems, base []string, env, file string, literal yaml.Node, required bool, what string) secret.Secret {
	if literal.Kind != 0 {
		p.add(at(base, "password"), literalPasswordAdvice)
	}
	switch {
	case env != "" && file != "":
		p.add(at(base, "password_env"), "give password_env or password_file, not both")
	case env != "":
		checkEnv(p, at(base, "password_env"), env)
	case file != "":
		file = absFrom(p.dir, file)
	case required && literal.Kind == 0:
		p.add(base, "%s needs password_env or password_file", what)
	}
	return secret.Secret{Env: env, File: file}
}

// checkEnv requires the variable to be set. A malformed name is not echoed:
// the usual cause is a password pasted where its variable's name belongs.
func checkEnv(p *problems, path []string, name string) {
	if !envNameRe.MatchString(name) {
		p.add(path, "not a valid environment variable name (letters, digits, '_'); the value is not shown in case it is a secret")
		return
	}
	if v, ok := os.LookupEnv(name); !ok || v == "" {
		p.add(path, "environment variable %s is not set", name)
	}
}

func checkAPI(p *problems, base []string, a *fileAPI, virtual bool) *APIConfig {
	checkHTTPURL(p, at(base, "url"), a.URL, virtual)
	if a.User == "" {
		p.add(at(base, "user"), "user is required")
	}
	pw := checkSecret(p, base, a.PasswordEnv, a.PasswordFile, a.Password, true, "api")
	return &APIConfig{URL: a.URL, User: a.User, Password: pw}
}

// checkPower checks a power or press binding: its driver's own Check (every
// key only the driver understands), then what every binding shares. A key
// the driver already reported is not reported again.
func checkPower(p *problems, base []string, fp *filePower, press, virtual bool) *power.Config {
	cfg := fp.Config
	if fp.Password.Kind != 0 {
		p.add(at(base, "password"), literalPasswordAdvice)
	}
	if fp.Community.Kind != 0 {
		p.add(at(base, "community"), "an SNMP community never goes in the rig file: use community_env")
	}
	what := "power"
	if press {
		what = "press"
	}
	var found bindcheck.Problems
	switch known := strings.Join(power.Drivers(), ", "); {
	case cfg.Driver == "":
		p.add(at(base, "driver"), "driver is required (one of %s)", known)
	case !power.Known(cfg.Driver):
		p.add(at(base, "driver"), "unknown %s driver %q (known: %s)", what, cfg.Driver, known)
	case press && !canPress(cfg.Driver):
		p.add(at(base, "driver"), "the %s driver cannot drive a reset-button solenoid (power only)", cfg.Driver)
	default:
		found = power.Check(cfg, scope(virtual))
		p.addAll(base, found)
	}
	if cfg.Channel < 0 && !found.Has("channel") {
		p.add(at(base, "channel"), "channel %d: want 0 or more", cfg.Channel)
	}
	if cfg.Baud < 0 && !found.Has("baud") {
		p.add(at(base, "baud"), "baud %d: want a positive rate", cfg.Baud)
	}
	if cfg.Timeout < 0 && !found.Has("timeout") {
		p.add(at(base, "timeout"), "timeout %v: want a positive duration", cfg.Timeout)
	}
	if cfg.Retries < 0 && !found.Has("retries") {
		p.add(at(base, "retries"), "retries %d: want 0 or more", cfg.Retries)
	}
	switch {
	case cfg.PasswordEnv != "" && cfg.PasswordFile != "":
		p.add(at(base, "password_env"), "give password_env or password_file, not both")
	case cfg.PasswordEnv != "":
		checkEnv(p, at(base, "password_env"), cfg.PasswordEnv)
	case cfg.PasswordFile != "":
		cfg.PasswordFile = absFrom(p.dir, cfg.PasswordFile)
	}
	if cfg.CommunityEnv != "" {
		checkEnv(p, at(base, "community_env"), cfg.CommunityEnv)
	}
	switch {
	case press && cfg.MaxHold <= 0:
		p.add(at(base, "max_hold"), "press needs a positive max_hold (the longest the solenoid may be held)")
	case !press && cfg.MaxHold != 0:
		p.add(at(base, "max_hold"), "max_hold only applies to press")
	}
	return &cfg
}

func canPress(driver string) bool {
	d, _ := power.Lookup(driver)
	return d.Press
}

// checkLED checks an led binding through its driver's Check.
func checkLED(p *problems, base []string, l *fileLED) *LEDConfig {
	out := &LEDConfig{Driver: l.Driver, Port: l.Port, Pin: l.Pin, ActiveLow: l.ActiveLow, Poll: l.Poll}
	p.addAll(base, led.Check(out.sensorConfig()))
	return out
}

// checkAcrossUnits finds what no single unit can see: duplicate names, two
// units on one NVR port, one relay channel or LED input wired twice.
func checkAcrossUnits(p *problems, units []fileUnit) {
	type owner struct {
		what string
		line int
	}
	names := map[string]owner{}
	nvrPorts := map[int]owner{}
	lines := map[string]owner{}
	claim := func(key string, path []string, what string) {
		line := strictyaml.Line(p.root, path...)
		if prev, dup := lines[key]; dup {
			p.add(path, "%s is already wired as %s (line %d)", what, prev.what, prev.line)
			return
		}
		lines[key] = owner{what, line}
	}
	for i, u := range units {
		base := []string{"units", fmt.Sprintf("[%d]", i)}
		if u.Name != "" {
			line := strictyaml.Line(p.root, at(base, "name")...)
			if prev, dup := names[u.Name]; dup {
				p.add(at(base, "name"), "duplicate unit name %q (first at line %d)", u.Name, prev.line)
			} else {
				names[u.Name] = owner{u.Name, line}
			}
		}
		if u.NVRPort > 0 {
			line := strictyaml.Line(p.root, at(base, "nvr_port")...)
			if prev, dup := nvrPorts[u.NVRPort]; dup {
				p.add(at(base, "nvr_port"), "NVR port %d is already used by unit %s (line %d)", u.NVRPort, prev.what, prev.line)
			} else {
				nvrPorts[u.NVRPort] = owner{u.Name, line}
			}
		}
		for _, b := range []struct {
			key string
			cfg *filePower
		}{{"power", u.Power}, {"press", u.Press}} {
			if b.cfg == nil {
				continue
			}
			if key, shown := switchID(b.cfg.Config); key != "" {
				claim("switch "+key, at(base, b.key), fmt.Sprintf("%s (unit %s %s)", shown, u.Name, b.key))
			}
		}
		if u.LED != nil && u.LED.Pin != "" {
			key := fmt.Sprintf("%s#%s", canonicalPort(u.LED.Port), u.LED.Pin)
			id := fmt.Sprintf("%s:%s#%s", u.LED.Driver, u.LED.Port, u.LED.Pin)
			claim("led "+key, at(base, "led"), fmt.Sprintf("input %s (unit %s led)", id, u.Name))
		}
	}
}

// switchID names the physical line a binding drives (key, the same for
// every spelling of one device) and how the binding wrote it (shown, never
// with credentials), or "" when the binding has no comparable identity
// (exec commands). A board is its device, not its driver: two drivers on
// one port and channel are one relay.
func switchID(c power.Config) (key, shown string) {
	switch {
	case c.Driver == "" || c.Driver == "exec":
		return "", ""
	case c.Driver == "gpio":
		return "gpio:" + c.Pin, "gpio:" + c.Pin
	case c.URL != "":
		u := canonicalURL(c.URL)
		return fmt.Sprintf("%s#%d", u, c.Channel), fmt.Sprintf("%s:%s#%d", c.Driver, u, c.Channel)
	case c.Port != "":
		return fmt.Sprintf("%s#%d", canonicalPort(c.Port), c.Channel), fmt.Sprintf("%s:%s#%d", c.Driver, c.Port, c.Channel)
	}
	return "", ""
}

// canonicalPort is the device a serial port path names: cleaned
// (/dev//ttyACM0), symlinks resolved (/dev/serial/by-id/..., a udev alias)
// when the device is present. A network console address is left as is.
func canonicalPort(port string) string {
	if strings.Contains(port, "://") {
		return port
	}
	clean := filepath.Clean(port)
	if real, err := filepath.EvalSymlinks(clean); err == nil {
		return real
	}
	return clean
}

// canonicalURL is the device a plug or switch URL names: scheme and host in
// lower case, the scheme's default port dropped, trailing slashes and any
// credentials, query or fragment left out (those are refused elsewhere).
func canonicalURL(raw string) string {
	u, err := url.Parse(strings.TrimSpace(raw))
	if err != nil {
		return "(invalid URL)"
	}
	scheme, host, port := strings.ToLower(u.Scheme), strings.ToLower(u.Hostname()), u.Port()
	if (scheme == "http" && port == "80") || (scheme == "https" && port == "443") {
		port = ""
	}
	if port != "" {
		host = net.JoinHostPort(host, port)
	} else if strings.Contains(host, ":") {
		host = "[" + host + "]"
	}
	p := strings.TrimRight(path.Clean("/"+u.Path), "/")
	return scheme + "://" + host + p
}
