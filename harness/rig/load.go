package rig

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"time"

	"github.com/camrig/camrig/harness/clock"
	"github.com/camrig/camrig/harness/internal/inputfile"
	"github.com/camrig/camrig/harness/internal/strictyaml"
	"github.com/camrig/camrig/harness/notation"
	"github.com/camrig/camrig/harness/profile"
)

// Load reads and validates the rig file at path, and loads every unit's
// profile. On failure the error is a strictyaml.Errors (or *strictyaml.Error)
// listing every problem found, each as file:line: key: message.
func Load(path string) (*Rig, error) {
	// Bounded and regular files only: a FIFO, /dev/zero or a tty given as
	// --rig is refused at once instead of hanging or filling memory.
	data, err := inputfile.Read(path, strictyaml.MaxSize)
	if err != nil {
		return nil, fmt.Errorf("rig: %w", err)
	}
	return Parse(path, data)
}

// Parse validates a rig file's content; file names it in errors and anchors
// relative paths (profiles, lock_dir, state_dir).
func Parse(file string, data []byte) (*Rig, error) {
	var f fileRig
	root, err := strictyaml.Decode(file, data, &f)
	if err != nil {
		return nil, hintFlowVars(err, data)
	}
	rigDir := filepath.Dir(file)
	p := &problems{file: file, dir: rigDir, root: root}

	stateDir := stateDirFor(p, rigDir, f.StateDir)
	checkVars(p, stateDir)
	expandStrings(reflect.ValueOf(&f), stateDir)

	r := &Rig{File: file, StateDir: stateDir, Virtual: f.Virtual, Timescale: 1, profiles: map[string]*profile.Profile{}}
	r.Name = f.Rig
	if !validName(f.Rig) {
		p.add([]string{"rig"}, "rig name %q: want letters, digits, '.', '_' or '-' (at most 64, not starting with '.' or '-')", f.Rig)
	}
	if f.Timescale != nil {
		r.Timescale = clock.Scale(*f.Timescale)
		if err := r.Timescale.Validate(); err != nil {
			p.add([]string{"timescale"}, "%v", err)
		}
	}
	r.ProfilesDir = profilesDir(p, rigDir, f.Profiles)
	r.LockDir = lockDir(rigDir, f.LockDir, f.Rig)
	if f.LockDir == "" && f.Virtual && r.StateDir != "" {
		// A virtual rig's units are the ones its state directory holds:
		// two simulators on two state directories (parallel test
		// packages) are two rigs and must not contend for one lease.
		r.LockDir = filepath.Join(r.StateDir, "locks")
	}
	if f.NVR != nil {
		r.NVR = checkNVR(p, f.NVR, f.Virtual)
	}
	if f.Lab != nil {
		r.Lab = checkLab(p, f.Lab, f.Rig, f.Virtual)
	}
	if len(f.Units) == 0 {
		p.add([]string{"units"}, "a rig needs at least one unit")
	}
	profiles := newProfileCache(r.ProfilesDir)
	for i := range f.Units {
		u, prof := checkUnit(p, i, &f.Units[i], f.Virtual, r.NVR != nil, profiles)
		r.Units = append(r.Units, u)
		if prof != nil {
			r.profiles[u.Name] = prof
		}
	}
	checkAcrossUnits(p, f.Units)
	if f.Timescale != nil && r.Timescale.Validate() == nil {
		checkTimescale(p, r)
	}
	if err := p.result(); err != nil {
		return nil, err
	}
	return r, nil
}

// stateDirFor picks the state directory: CAMRIG_STATE_DIR, else the file's
// state_dir (relative to the rig file).
func stateDirFor(p *problems, rigDir, fromFile string) string {
	if env := os.Getenv(notation.StateDirEnv); env != "" {
		if abs, err := filepath.Abs(env); err == nil {
			return abs
		}
		return env
	}
	if fromFile == "" {
		return ""
	}
	if strings.Contains(fromFile, "${") {
		p.add([]string{"state_dir"}, "state_dir cannot use variables")
		return ""
	}
	return absFrom(rigDir, fromFile)
}

// absFrom resolves path relative to dir, and makes it absolute so it means
// the same thing whatever directory a process later runs in.
func absFrom(dir, path string) string {
	if !filepath.IsAbs(path) {
		path = filepath.Join(dir, path)
	}
	if abs, err := filepath.Abs(path); err == nil {
		return abs
	}
	return filepath.Clean(path)
}

// profilesDir resolves `profiles`, defaulting to the repository's
// fixtures/profiles beside the rigs directory.
func profilesDir(p *problems, rigDir, fromFile string) string {
	key := []string{"profiles"}
	dir := fromFile
	if dir == "" {
		dir = filepath.Join("..", "fixtures", "profiles")
		key = []string{"rig"} // no profiles key: point at the top of the file
	}
	dir = absFrom(rigDir, dir)
	st, err := os.Stat(dir)
	switch {
	case err != nil:
		p.add(key, "profiles directory %s: %v", dir, errors.Unwrap(err))
	case !st.IsDir():
		p.add(key, "profiles %s is not a directory", dir)
	}
	return dir
}

// lockDir is lock_dir, or a per-rig directory under the user's runtime
// directory (cleared on reboot, like the locks it holds).
func lockDir(rigDir, fromFile, rigName string) string {
	if fromFile != "" {
		return absFrom(rigDir, fromFile)
	}
	base := filepath.Join(os.TempDir(), "camrig-locks")
	if xdg := os.Getenv("XDG_RUNTIME_DIR"); xdg != "" {
		base = filepath.Join(xdg, "camrig")
	}
	return filepath.Join(base, rigName)
}

// validName accepts names that are safe as file names (lock files, transcripts).
func validName(s string) bool {
	if s == "" || len(s) > 64 || s[0] == '.' || s[0] == '-' {
		return false
	}
	for _, c := range s {
		switch {
		case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z', c >= '0' && c <= '9', c == '.', c == '_', c == '-':
		default:
			return false
		}
	}
	return true
}

// profileCache loads each model once and remembers failures, so ten units
// of one broken model report it once.
type profileCache struct {
	dir    string
	loaded map[string]*profile.Profile
	failed map[string]error
}

func newProfileCache(dir string) *profileCache {
	return &profileCache{dir: dir, loaded: map[string]*profile.Profile{}, failed: map[string]error{}}
}

func (c *profileCache) get(model string) (*profile.Profile, error, bool) {
	if p, ok := c.loaded[model]; ok {
		return p, nil, false
	}
	if err, ok := c.failed[model]; ok {
		return nil, err, false
	}
	p, err := profile.LoadModel(c.dir, model)
	if err != nil {
		c.failed[model] = err
		return nil, err, true
	}
	c.loaded[model] = p
	return p, nil, true
}

// flowVarHint explains the most likely syntax error in a rig file: YAML
// forbids '{' and '}' in unquoted values inside a {...} mapping, so
// {port: ${state_dir}/x} must be written {port: "${state_dir}/x"}.
const flowVarHint = ` (hint: inside {...} a value using ${state_dir} must be quoted: {port: "${state_dir}/cam1.uart"})`

func hintFlowVars(err error, data []byte) error {
	lines := strings.Split(string(data), "\n")
	needsHint := func(line int) bool {
		// yaml reports some syntax errors one line early; look at both.
		for _, l := range []int{line - 1, line} {
			if l >= 0 && l < len(lines) && strings.Contains(lines[l], "{") && strings.Contains(lines[l], ": ${") {
				return true
			}
		}
		return false
	}
	hint := func(e *strictyaml.Error) {
		if e.Line > 0 && needsHint(e.Line) && !strings.Contains(e.Msg, "hint:") {
			e.Msg += flowVarHint
		}
	}
	var many strictyaml.Errors
	var one *strictyaml.Error
	switch {
	case errors.As(err, &many):
		for _, e := range many {
			hint(e)
		}
	case errors.As(err, &one):
		hint(one)
	}
	return err
}

// minScaled is the shortest wait a scaled duration may become. Below it a
// hold or deadline is no longer what the profile says in any measurable
// way, and a duration that scales to 0 ns means "no wait at all".
const minScaled = time.Microsecond

// checkTimescale refuses a timescale so small that a duration of a unit's
// profile (or a press binding's max_hold, scaled the same way) becomes a
// wait under minScaled. The error names the shortest such duration and the
// smallest timescale that would do.
func checkTimescale(p *problems, r *Rig) {
	var worst struct {
		unit, what string
		d          time.Duration
	}
	consider := func(unit, what string, d time.Duration) {
		if d > 0 && r.Timescale.Of(d) < minScaled && (worst.d == 0 || d < worst.d) {
			worst.unit, worst.what, worst.d = unit, what, d
		}
	}
	for _, u := range r.Units {
		if prof := r.profiles[u.Name]; prof != nil {
			for _, nd := range prof.Durations() {
				consider(u.Name, fmt.Sprintf("profile %s %s", u.Profile, nd.Key), nd.D)
			}
		}
		if u.Press != nil {
			consider(u.Name, "press max_hold", u.Press.MaxHold)
		}
	}
	if worst.d == 0 {
		return
	}
	p.add([]string{"timescale"}, "timescale %g makes unit %s's %s (%v) a wait of %v, under %v: want a timescale of at least %g",
		float64(r.Timescale), worst.unit, worst.what, worst.d, r.Timescale.Of(worst.d), minScaled,
		float64(minScaled)/float64(worst.d))
}
