package virtual

import (
	"cmp"
	"errors"
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/camrig/camrig/harness/notation"
	"github.com/camrig/camrig/rigs/virtual/qemusim"
	"go.yaml.in/yaml/v3"

	"github.com/camrig/camrig/rigs/virtual/inputfile"
)

// The simulator reads the rig file with its own small structs, here and
// nowhere else: it is a separate device and must not share the harness's
// assumptions (only the file's notations, harness/notation, are shared).
// Outside `sim` it is lenient about keys it does not use (the harness is
// strict about those); the `sim` section is the simulator's alone, so an
// unknown key there is an error. Problems name file:line.

// RigFile is the simulator's reading of a rig file.
type RigFile struct {
	Rig       string     `yaml:"rig"`
	Timescale float64    `yaml:"timescale"`
	StateDir  string     `yaml:"state_dir"`
	Profiles  string     `yaml:"profiles"`
	NVR       *NVRFile   `yaml:"nvr"`
	Units     []UnitFile `yaml:"units"`
	Sim       SimFile    `yaml:"sim"`

	// File is the rig file's path.
	File string `yaml:"-"`
}

// NVRFile is the rig's NVR binding.
type NVRFile struct {
	API          string `yaml:"api"`
	User         string `yaml:"user"`
	PasswordFile string `yaml:"password_file"`
}

// UnitFile is one unit's bindings.
type UnitFile struct {
	Name    string      `yaml:"name"`
	Profile string      `yaml:"profile"`
	Console ConsoleFile `yaml:"console"`
	Power   *Binding    `yaml:"power"`
	Press   *Binding    `yaml:"press"`
	LED     *LEDFile    `yaml:"led"`
	API     *APIFile    `yaml:"api"`
	NVRPort int         `yaml:"nvr_port"`

	// Line is where the unit starts in the rig file.
	Line int `yaml:"-"`
}

// ConsoleFile is a unit's UART binding.
type ConsoleFile struct {
	Port     string `yaml:"port"`
	Baud     int    `yaml:"baud"`
	DataBits int    `yaml:"data_bits"`
	Parity   string `yaml:"parity"`
	StopBits int    `yaml:"stop_bits"`
}

// Binding is a power or press binding.
type Binding struct {
	Driver    string `yaml:"driver"`
	Port      string `yaml:"port"`
	URL       string `yaml:"url"`
	Channel   int    `yaml:"channel"`
	ActiveLow bool   `yaml:"active_low"`
	// PlugAuth is what a smart plug (tasmota, shelly) asks of its clients.
	PlugAuth `yaml:",inline"`
}

// PlugAuth is a smart plug binding's credentials: the simulated plug
// requires the same ones the harness will present.
type PlugAuth struct {
	User         string `yaml:"user"`
	PasswordEnv  string `yaml:"password_env"`
	PasswordFile string `yaml:"password_file"`
}

// LEDFile is a unit's LED sensor binding.
type LEDFile struct {
	Driver    string `yaml:"driver"`
	Port      string `yaml:"port"`
	Pin       string `yaml:"pin"`
	ActiveLow bool   `yaml:"active_low"`
}

// APIFile is a unit's network API binding.
type APIFile struct {
	URL          string `yaml:"url"`
	User         string `yaml:"user"`
	PasswordFile string `yaml:"password_file"`
}

// SimFile is the rig file's `sim` section: device-side facts only the
// simulator reads.
type SimFile struct {
	Numato NumatoSim `yaml:"numato"`
	LCUS   LCUSSim   `yaml:"lcus"`
	// Units says how named units start out.
	Units map[string]SimUnit `yaml:"units"`
	NVR   SimNVR             `yaml:"nvr"`
	// QEMU lists units that are real bootloaders under QEMU: a rig with
	// this list runs them (Run) instead of simulated units.
	QEMU []qemusim.UnitSim `yaml:"qemu"`
}

// SimUnit is `sim.units.<name>`: how a unit starts out.
type SimUnit struct {
	// Bricked starts the unit with a corrupt firmware image, so it stops
	// in its bootloader (needs the flash simulation).
	Bricked bool `yaml:"bricked"`
	// Hush (default true) is the bootloader's hush shell; false gives it
	// U-Boot's simple parser instead (no $?, as many vendor builds).
	Hush *bool `yaml:"hush"`
	// NANDBadBlocks are the blocks a fresh NAND chip has marked bad from
	// the factory (block numbers from 0).
	NANDBadBlocks []int `yaml:"nand_bad_blocks"`
	// NANDFailProgram are blocks whose next program fails at this start,
	// which marks them bad (block numbers from 0).
	NANDFailProgram []int `yaml:"nand_fail_program"`
	// Defects are faults the unit plays (defects.go), so a spec can be
	// shown failing against the defect it exists to catch.
	Defects UnitDefects `yaml:"defects"`
	// APIJunk makes the unit's API answer every request with 200 OK and a
	// body of binary junk (a fault of the fault matrix).
	APIJunk bool `yaml:"api_junk"`
	// PowerCutDuring is a flash operation the unit's power fails in once
	// (a fault of the lab): "erase", "write" or "verify" (the first read
	// after a write). The unit loses power, the operation stops half-done,
	// and power returns at once, as after a brown-out.
	PowerCutDuring string `yaml:"power_cut_during"`
	// UARTUnplug pulls the USB adapter of the unit's console in the
	// middle of a boot and plugs a new one in at the same path (a fault
	// of the lab, attach_unplug.go).
	UARTUnplug *UARTUnplug `yaml:"uart_unplug_during_boot"`
}

// UARTUnplug is `sim.units.<name>.uart_unplug_during_boot: {after, for}`,
// both in device time (scaled by the rig's timescale, as the boot script's
// delays are): the first boot of the unit that lasts After from its start
// (power-on or restart) loses its console adapter then, for For.
type UARTUnplug struct {
	After time.Duration `yaml:"after"`
	For   time.Duration `yaml:"for"`
}

// UnmarshalYAML reads {after: <duration>, for: <duration>}, both required
// and positive, naming the line of what is wrong.
func (p *UARTUnplug) UnmarshalYAML(n *yaml.Node) error {
	const key = "uart_unplug_during_boot"
	bad := func(line int, format string, a ...any) error {
		// The file is filled in by ParseRigFile.
		return &RigFileError{Line: line, Msg: key + ": " + fmt.Sprintf(format, a...)}
	}
	if n.Kind != yaml.MappingNode {
		return bad(n.Line, "want {after: <duration>, for: <duration>} (device time, e.g. 3s)")
	}
	fields := map[string]*time.Duration{"after": &p.After, "for": &p.For}
	seen := map[string]bool{}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], n.Content[i+1]
		dst, ok := fields[k.Value]
		if !ok {
			return bad(k.Line, "unknown key %q (known: after, for)", k.Value)
		}
		if seen[k.Value] {
			return bad(k.Line, "%s given twice", k.Value)
		}
		seen[k.Value] = true
		d, err := time.ParseDuration(v.Value)
		if v.Kind != yaml.ScalarNode || err != nil || d <= 0 {
			return bad(v.Line, "%s: %q: want a positive duration (device time, e.g. 3s)", k.Value, v.Value)
		}
		*dst = d
	}
	for _, k := range []string{"after", "for"} {
		if !seen[k] {
			return bad(n.Line, "%s is missing", k)
		}
	}
	return nil
}

// SimNVR is `sim.nvr`: the virtual NVR's pacing, in device time (scaled
// by the rig's timescale).
type SimNVR struct {
	// Poll is the interval between probes of the PoE ports (default 2s).
	Poll time.Duration `yaml:"poll"`
	// ActivateAfter is how long a unit must have been seen inactive before
	// the NVR activates it (default 5s).
	ActivateAfter time.Duration `yaml:"activate_after"`
	// Defects are faults the NVR plays (defects.go).
	Defects NVRDefects `yaml:"defects"`
	// Down is the NVR down for the whole run (a lab fault for the fault
	// matrix): its API drops every request unanswered and it activates
	// nothing.
	Down bool `yaml:"down"`
}

// NumatoSim is how the simulated Numato boards answer (unset: defaults).
type NumatoSim struct {
	Prompt  *string `yaml:"prompt"`
	Echo    *bool   `yaml:"echo"`
	EOL     *string `yaml:"eol"`
	Error   string  `yaml:"error"`
	Version string  `yaml:"version"`
	ID      string  `yaml:"id"`
	Relays  int     `yaml:"relays"`
	GPIOs   int     `yaml:"gpios"`
	// Garbage and Silent are faults the boards play from the start (the
	// fault matrix, switched on only here, never by the harness):
	// Garbage answers line noise while still switching (a wrong baud
	// rate, a flaky cable); Silent loses whatever is sent and answers
	// nothing (a hung USB board).
	Garbage bool `yaml:"garbage"`
	Silent  bool `yaml:"silent"`
	// SilentAfterOn is a relay channel whose switching on hangs the board
	// once it has answered (a board that hangs mid-press, the relay on).
	SilentAfterOn *int `yaml:"silent_after_on"`
}

// LCUSSim is how the simulated LCUS boards behave.
type LCUSSim struct {
	// StatusQuery (default true) answers 0xFF with CHn:ON/OFF lines.
	StatusQuery *bool `yaml:"status_query"`
	Channels    int   `yaml:"channels"`
}

// RigFileError is a problem with the rig file or a profile it names.
type RigFileError struct {
	File string
	Line int
	Msg  string
}

func (e *RigFileError) Error() string {
	if e.Line > 0 {
		return fmt.Sprintf("%s:%d: %s", e.File, e.Line, e.Msg)
	}
	return fmt.Sprintf("%s: %s", e.File, e.Msg)
}

// reservedNames cannot be unit names: they name other secrets.
var reservedNames = map[string]bool{"nvr": true}

// LoadRigFile reads and checks a rig file. ${state_dir} is expanded in
// every path and URL; stateDir, if not empty, else $CAMRIG_STATE_DIR
// (notation.StateDirEnv) overrides state_dir; a relative state_dir or profiles is relative to the
// rig file.
func LoadRigFile(path, stateDir string) (*RigFile, error) {
	data, err := inputfile.Read(path, inputfile.MaxYAML)
	if err != nil {
		return nil, &RigFileError{File: path, Msg: err.Error()}
	}
	return ParseRigFile(path, data, stateDir)
}

// ParseRigFile is LoadRigFile on bytes already read.
func ParseRigFile(path string, data []byte, stateDir string) (*RigFile, error) {
	var root yaml.Node
	if err := yaml.Unmarshal(data, &root); err != nil {
		return nil, &RigFileError{File: path, Msg: yamlMsg(err)}
	}
	var rf RigFile
	if err := root.Decode(&rf); err != nil {
		var at *RigFileError // a defect list names its own line
		if errors.As(err, &at) {
			return nil, &RigFileError{File: path, Line: at.Line, Msg: at.Msg}
		}
		return nil, &RigFileError{File: path, Msg: yamlMsg(err)}
	}
	rf.File = path
	lines := unitLines(&root)
	for i := range rf.Units {
		if i < len(lines) {
			rf.Units[i].Line = lines[i]
		}
	}
	if err := rf.checkSimKeys(&root); err != nil {
		return nil, err
	}
	if err := rf.resolve(stateDir); err != nil {
		return nil, err
	}
	if err := rf.check(); err != nil {
		return nil, err
	}
	return &rf, nil
}

func yamlMsg(err error) string {
	var te *yaml.TypeError
	if errors.As(err, &te) {
		return strings.Join(te.Errors, "; ")
	}
	return err.Error()
}

// unitLines finds the line of each entry under `units`.
func unitLines(root *yaml.Node) []int {
	if root.Kind != yaml.DocumentNode || len(root.Content) == 0 || root.Content[0].Kind != yaml.MappingNode {
		return nil
	}
	m := root.Content[0]
	for i := 0; i+1 < len(m.Content); i += 2 {
		if m.Content[i].Value == "units" && m.Content[i+1].Kind == yaml.SequenceNode {
			var out []int
			for _, u := range m.Content[i+1].Content {
				out = append(out, u.Line)
			}
			return out
		}
	}
	return nil
}

// resolve applies the state_dir override and expands ${state_dir}.
func (rf *RigFile) resolve(override string) error {
	dir := filepath.Dir(rf.File)
	// An override is relative to the working directory (it comes from a
	// shell); state_dir and profiles in the file are relative to the file.
	switch {
	case override != "":
		rf.StateDir = abs(".", override)
	case os.Getenv(notation.StateDirEnv) != "":
		rf.StateDir = abs(".", os.Getenv(notation.StateDirEnv))
	case strings.Contains(rf.StateDir, "${"):
		return &RigFileError{File: rf.File, Msg: "state_dir must not refer to a variable"}
	case rf.StateDir != "":
		rf.StateDir = abs(dir, rf.StateDir)
	default:
		return &RigFileError{File: rf.File, Msg: "state_dir is missing (or set " + notation.StateDirEnv + ")"}
	}
	if rf.Profiles == "" {
		rf.Profiles = filepath.Join("..", "fixtures", "profiles")
	}
	rf.Profiles = abs(dir, rf.Profiles)
	x := func(s *string) { *s = strings.ReplaceAll(*s, notation.StateDirVar, rf.StateDir) }
	if rf.NVR != nil {
		x(&rf.NVR.API)
		x(&rf.NVR.PasswordFile)
	}
	for i := range rf.Sim.QEMU {
		q := &rf.Sim.QEMU[i]
		for _, s := range []*string{&q.Binary, &q.BIOS, &q.PFlash, &q.Serial, &q.QMP} {
			x(s)
		}
	}
	for i := range rf.Units {
		u := &rf.Units[i]
		x(&u.Console.Port)
		for _, b := range []*Binding{u.Power, u.Press} {
			if b != nil {
				x(&b.Port)
				x(&b.URL)
				x(&b.PasswordFile)
			}
		}
		if u.LED != nil {
			x(&u.LED.Port)
		}
		if u.API != nil {
			x(&u.API.URL)
			x(&u.API.PasswordFile)
		}
	}
	return nil
}

// abs resolves path against dir and makes it absolute, so it means the
// same wherever the process later runs.
func abs(dir, path string) string {
	if !filepath.IsAbs(path) {
		path = filepath.Join(dir, path)
	}
	if a, err := filepath.Abs(path); err == nil {
		return a
	}
	return filepath.Clean(path)
}

// check finds what would make the simulator wire the rig wrongly.
func (rf *RigFile) check() error {
	var errs []error
	bad := func(line int, format string, a ...any) {
		errs = append(errs, &RigFileError{File: rf.File, Line: line, Msg: fmt.Sprintf(format, a...)})
	}
	if rf.Timescale == 0 {
		rf.Timescale = 1
	}
	if rf.Timescale <= 0 || rf.Timescale > 1 {
		bad(0, "timescale %v out of range: want 0 < timescale <= 1", rf.Timescale)
	}
	if len(rf.Units) == 0 {
		bad(0, "no units")
	}
	names := map[string]int{}
	consoles := map[string]string{}
	boardDriver := map[string]string{} // port -> numato | lcus
	used := map[string]string{}        // "port#channel" or "port@pin" -> who
	for i := range rf.Units {
		u := &rf.Units[i]
		who := fmt.Sprintf("unit %q", u.Name)
		switch {
		case u.Name == "":
			bad(u.Line, "unit without a name")
			continue
		case reservedNames[u.Name]:
			bad(u.Line, "unit name %q is reserved", u.Name)
		case strings.ContainsAny(u.Name, `/\`) || strings.HasPrefix(u.Name, "."):
			bad(u.Line, "unit name %q must not contain a path", u.Name)
		}
		if prev, dup := names[u.Name]; dup {
			bad(u.Line, "unit %q again (first at line %d)", u.Name, prev)
		}
		names[u.Name] = u.Line
		if u.Profile == "" || strings.ContainsAny(u.Profile, `/\`) {
			bad(u.Line, "%s: profile %q: want a model name", who, u.Profile)
		}
		if u.Console.Port == "" {
			bad(u.Line, "%s: console.port is missing", who)
		} else if other, dup := consoles[u.Console.Port]; dup {
			bad(u.Line, "%s: console.port %s is also %s's", who, u.Console.Port, other)
		}
		consoles[u.Console.Port] = u.Name
		claim := func(driver, port, key, role string) {
			if port == "" {
				bad(u.Line, "%s: %s: %s needs a port", who, role, driver)
				return
			}
			if d, ok := boardDriver[port]; ok && d != driver {
				bad(u.Line, "%s: %s: port %s is a %s board, not %s", who, role, port, d, driver)
				return
			}
			boardDriver[port] = driver
			if prev, dup := used[key]; dup {
				bad(u.Line, "%s: %s uses %s, already used by %s", who, role, key, prev)
			}
			used[key] = u.Name + " " + role
		}
		for _, rb := range []struct {
			role string
			b    *Binding
		}{{"power", u.Power}, {"press", u.Press}} {
			role, b := rb.role, rb.b
			if b == nil {
				continue
			}
			switch b.Driver {
			case "numato":
				if b.Channel < 0 || b.Channel > 31 {
					bad(u.Line, "%s: %s: numato channel %d out of range 0-31", who, role, b.Channel)
					continue
				}
				claim("numato", b.Port, fmt.Sprintf("%s relay %d", b.Port, b.Channel), role)
			case "lcus":
				if b.Channel < 1 || b.Channel > 255 {
					bad(u.Line, "%s: %s: lcus channel %d out of range 1-255", who, role, b.Channel)
					continue
				}
				claim("lcus", b.Port, fmt.Sprintf("%s channel %d", b.Port, b.Channel), role)
			}
		}
		if l := u.LED; l != nil && l.Driver == "numato-gpio" {
			pin, err := strconv.Atoi(l.Pin)
			if err != nil || pin < 0 || pin > 31 {
				bad(u.Line, "%s: led: numato-gpio pin %q: want 0-31", who, l.Pin)
				continue
			}
			claim("numato", l.Port, fmt.Sprintf("%s gpio %d", l.Port, pin), "led")
		}
	}
	for _, name := range slices.Sorted(maps.Keys(rf.Sim.Units)) {
		if _, ok := names[name]; !ok {
			bad(0, "sim.units: no unit named %q", name)
		}
	}
	if rf.Sim.NVR.Poll < 0 || rf.Sim.NVR.ActivateAfter < 0 {
		bad(0, "sim.nvr: poll and activate_after must not be negative")
	}
	rf.checkQEMU(bad)
	return errors.Join(errs...)
}

// checkQEMU checks the sim.qemu entries against the units they play: the
// harness reaches such a unit through its console and power bindings, so
// those must name the sockets QEMU will listen on.
func (rf *RigFile) checkQEMU(bad func(line int, format string, a ...any)) {
	seen := map[string]bool{}
	for i, q := range rf.Sim.QEMU {
		where := fmt.Sprintf("sim.qemu[%d]", i)
		if err := q.Check(); err != nil {
			bad(q.Line, "%s: %v", where, err)
			continue
		}
		if seen[q.Unit] {
			bad(q.Line, "%s: unit %q listed twice", where, q.Unit)
			continue
		}
		seen[q.Unit] = true
		for _, p := range []string{q.Binary, q.BIOS, q.PFlash, q.Serial, q.QMP} {
			if strings.Contains(p, "${") {
				bad(q.Line, "%s: %q: only %s expands", where, p, notation.StateDirVar)
			}
		}
		i := slices.IndexFunc(rf.Units, func(u UnitFile) bool { return u.Name == q.Unit })
		if i < 0 {
			bad(q.Line, "%s: no unit named %q", where, q.Unit)
			continue
		}
		u := rf.Units[i]
		if socketPath(u.Console.Port) != q.Serial {
			bad(q.Line, "%s: unit %q's console.port is %q, but its QEMU serves the console at %s", where, q.Unit, u.Console.Port, q.SerialPort())
		}
		if p := u.Power; p != nil && p.Driver == "qemu" && socketPath(cmp.Or(p.Port, p.URL)) != q.QMP {
			bad(q.Line, "%s: unit %q's power port is %q, but its QEMU listens for QMP at %s", where, q.Unit, cmp.Or(p.Port, p.URL), q.QMPPort())
		}
	}
}

// socketPath is the path of a unix socket address as a binding writes it
// (a path, unix:path or unix:///path).
func socketPath(addr string) string {
	if p, ok := strings.CutPrefix(addr, "unix://"); ok {
		return p
	}
	if p, ok := strings.CutPrefix(addr, "unix:"); ok {
		return p
	}
	return addr
}

// numatoPin is the LED pin number (checked by check).
func (l *LEDFile) numatoPin() int {
	n, _ := strconv.Atoi(l.Pin)
	return n
}
