package virtual

import (
	"fmt"
	"strings"

	"github.com/camrig/camrig/rigs/virtual/pty"
	"github.com/camrig/camrig/rigs/virtual/relay"
	"github.com/camrig/camrig/rigs/virtual/unit"
)

// board is one simulated relay board on its own pty.
type board struct {
	driver string // numato or lcus
	port   string
	pair   *pty.Pair
	engine relay.Engine
	wires  []string
}

func (b *board) name() string { return b.driver + ":" + b.port }

// simulated reports whether the rig simulates a power/press driver.
func simulated(driver string) bool { return driver == "numato" || driver == "lcus" }

// buildBoards makes one board per distinct port and wires every simulated
// binding to its unit.
func (r *Rig) buildBoards() error {
	type need struct{ relay, pin int }
	needs := map[string]*need{}
	grow := func(port string, relay, pin int) {
		n := needs[port]
		if n == nil {
			n = &need{}
			needs[port] = n
		}
		n.relay, n.pin = max(n.relay, relay), max(n.pin, pin)
	}
	for _, uf := range r.file.Units {
		for _, b := range []*Binding{uf.Power, uf.Press} {
			if b != nil && simulated(b.Driver) {
				grow(b.Port, b.Channel, 0)
			}
		}
		if uf.LED != nil && uf.LED.Driver == "numato-gpio" {
			grow(uf.LED.Port, 0, uf.LED.numatoPin())
		}
	}
	byPort := map[string]*board{}
	get := func(driver, port string) (*board, error) {
		if b := byPort[port]; b != nil {
			return b, nil
		}
		pair, err := pty.Open(port)
		if err != nil {
			return nil, fmt.Errorf("virtual rig: %s board: %w", driver, err)
		}
		r.pairs = append(r.pairs, pair)
		b := &board{driver: driver, port: port, pair: pair}
		switch driver {
		case "numato":
			n := relay.NewNumato(r.numatoConfig(needs[port].relay+1, needs[port].pin+1))
			n.SetGarbage(r.file.Sim.Numato.Garbage)
			n.SetSilent(r.file.Sim.Numato.Silent)
			if ch := r.file.Sim.Numato.SilentAfterOn; ch != nil {
				n.SetSilentAfterOn(*ch)
			}
			r.numato[port], b.engine = n, n
		case "lcus":
			status := r.file.Sim.LCUS.StatusQuery == nil || *r.file.Sim.LCUS.StatusQuery
			l := relay.NewLCUS(relay.LCUSConfig{Channels: max(8, r.file.Sim.LCUS.Channels, needs[port].relay), StatusQuery: status})
			r.lcus[port], b.engine = l, l
		}
		byPort[port] = b
		r.boards = append(r.boards, b)
		return b, nil
	}
	for _, uf := range r.file.Units {
		u := r.byName[uf.Name]
		for _, rb := range []struct {
			role string
			b    *Binding
		}{{"power", uf.Power}, {"press", uf.Press}} {
			if rb.b == nil {
				continue
			}
			if !simulated(rb.b.Driver) {
				r.unwire(u, rb.role, *rb.b)
				continue
			}
			brd, err := get(rb.b.Driver, rb.b.Port)
			if err != nil {
				return err
			}
			if err := r.wireRelay(brd, u, rb.role, *rb.b); err != nil {
				return err
			}
		}
		if l := uf.LED; l != nil {
			if l.Driver != "numato-gpio" {
				r.unwire(u, "led", Binding{Driver: l.Driver, Port: l.Port, ActiveLow: l.ActiveLow})
				continue
			}
			brd, err := get("numato", l.Port)
			if err != nil {
				return err
			}
			pin, activeLow := l.numatoPin(), l.ActiveLow
			if err := r.numato[l.Port].WireInput(pin, func() bool { return u.LED() != activeLow }); err != nil {
				return err
			}
			brd.wires = append(brd.wires, fmt.Sprintf("gpio %d = %s led", pin, u.Name()))
		}
	}
	for _, b := range r.boards {
		r.AddDevice(Device{Kind: "relay", Name: b.driver, Where: b.port,
			Detail: fmt.Sprintf("-> %s: %s", b.pair.SlavePath, strings.Join(b.wires, ", "))})
	}
	return nil
}

func (r *Rig) wireRelay(brd *board, u *unit.Unit, role string, b Binding) error {
	drive := u.SetPower
	if role == "press" {
		drive = u.SetButton
	}
	activeLow := b.ActiveLow
	fn := func(on bool) { drive(on != activeLow) }
	var err error
	what := "relay"
	if b.Driver == "lcus" {
		err = r.lcus[b.Port].OnRelay(b.Channel, fn)
		what = "ch"
	} else {
		err = r.numato[b.Port].OnRelay(b.Channel, fn)
	}
	if err != nil {
		return fmt.Errorf("virtual rig: unit %s %s: %w", u.Name(), role, err)
	}
	suffix := ""
	if activeLow {
		suffix = " (active low)"
	}
	brd.wires = append(brd.wires, fmt.Sprintf("%s %d = %s %s%s", what, b.Channel, u.Name(), role, suffix))
	return nil
}

func (r *Rig) unwire(u *unit.Unit, role string, b Binding) {
	r.mu.Lock()
	r.unwired = append(r.unwired, Unwired{Unit: u, Role: role, Binding: b})
	r.mu.Unlock()
	if plugDriver(b.Driver) && role != "led" {
		return // a virtual plug takes it over (attachPlugs notes a failure)
	}
	r.note("%s %s: driver %q is not simulated by the rig itself; it stays unwired until a simulator attaches to it", u.Name(), role, b.Driver)
}

// numatoConfig applies the rig's sim.numato section, sizing the board to
// what is wired (8, 16 or 32 channels).
func (r *Rig) numatoConfig(relays, gpios int) relay.NumatoConfig {
	s := r.file.Sim.Numato
	cfg := relay.DefaultNumatoConfig()
	if s.Prompt != nil {
		cfg.Prompt = *s.Prompt
	}
	if s.Echo != nil {
		cfg.Echo = *s.Echo
	}
	if s.EOL != nil && *s.EOL != "" {
		cfg.EOL = *s.EOL
	}
	if s.Error != "" {
		cfg.Error = s.Error
	}
	if s.Version != "" {
		cfg.Version = s.Version
	}
	if s.ID != "" {
		cfg.ID = s.ID
	}
	size := func(want, configured int) int {
		n := max(configured, 8)
		for n < want && n < 32 {
			n *= 2
		}
		return n
	}
	cfg.Relays, cfg.GPIOs = size(relays, s.Relays), size(gpios, s.GPIOs)
	return cfg
}

// powerUp sets every unit's inputs to what its wiring says with all relays
// off: an active-low power line is on, a unit without a power binding is
// always on.
func (r *Rig) powerUp() {
	for _, uf := range r.file.Units {
		u := r.byName[uf.Name]
		uc := r.consoles[uf.Name]
		baud := uf.Console.Baud
		if baud == 0 {
			baud = 115200
		}
		r.AddDevice(Device{Kind: "unit", Name: uf.Name, Where: uf.Console.Port,
			Detail: fmt.Sprintf("-> %s, %d baud, profile %s", uc.SlavePath, baud, uf.Profile)})
		switch p := uf.Power; {
		case p == nil:
			r.note("%s has no power binding: it is powered from the start", uf.Name)
			u.SetPower(true)
		case simulated(p.Driver):
			u.SetPower(p.ActiveLow)
		}
		if p := uf.Press; p != nil && simulated(p.Driver) && p.ActiveLow {
			u.SetButton(true)
		}
	}
}
