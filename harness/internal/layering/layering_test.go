package layering

import (
	"fmt"
	"os"
	"os/exec"
	"slices"
	"strings"
	"testing"
)

const mod = "github.com/camrig/camrig/"

// layer is one floor of harness/: the packages on it and the floors they
// may import. A listed package brings its sub-packages with it (its fakes,
// such as power/powertest, and its backends), so a new sub-package needs no
// row; a new package directly under harness/ does, and fails this test
// until it has one.
type layer struct {
	name      string
	pkgs      []string // paths under harness/
	mayImport []string // layer names
}

// The rules inside harness/, lowest floor first. Why each floor sits where
// it does:
//
//   - foundations: time, secrets, evidence, strict YAML, HTTP Digest
//     arithmetic, the address rules of a binding and the byte formats. Every floor uses them and they know
//     nothing of devices, so anything (a driver, a test, the simulator's
//     wire formats) can rely on them without pulling in hardware.
//   - devices: one kind of device each, with a small interface and a fake
//     beside it, testable without a rig file. A device may be built on
//     another (a solenoid on a power switch, the LED sensor on a relay
//     board's GPIO, a bootloader session on a console, the camera and NVR
//     clients on one ISAPI client), never on the rig or a procedure.
//   - rig: reads and checks a rig file, leases a unit, opens its drivers.
//     A rig file must load (and `camrig rig check` must answer) without
//     knowing which procedures exist, so rig sits beside procedure, not
//     under it: neither imports the other.
//   - procedures: the vendors' reset, outage, boot and reflash procedures,
//     composed from the devices. A procedure takes the drivers it is handed
//     (procedure.Unit), so it is tested with fakes and never loads a rig.
//   - composition: the CLI loads the rig, builds procedure units from the
//     units it opened (bench, shared with the suites), starts the
//     simulator (`camrig sim`) and renders reports. Only it sees every floor.
var layers = []layer{
	{name: "foundations", mayImport: []string{"foundations"}, pkgs: []string{
		"clock", "secret", "timeline", "internal/strictyaml", "internal/inputfile", "internal/digest", "internal/bindcheck", "internal/ser2nettest", "internal/ttyread", "fwimage", "ymodem",
		"notation", "internal/layering"}},
	{name: "devices", mayImport: []string{"foundations", "devices"}, pkgs: []string{
		"profile", "console", "power", "drivers", "press", "led", "safety", "uboot", "qemu",
		"internal/isapihttp", "camera", "nvr",
		// lab: the lab's etcd cluster, reached like a device over the
		// network (a small client, tested against the real etcd); the
		// rig leases units through it, so it sits below rig.
		"lab"}},
	{name: "rig", mayImport: []string{"foundations", "devices"}, pkgs: []string{"rig"}},
	{name: "procedures", mayImport: []string{"foundations", "devices"}, pkgs: []string{"procedure"}},
	{name: "composition", mayImport: []string{"foundations", "devices", "rig", "procedures", "composition"},
		pkgs: []string{"cmd", "bench"}},
}

// testsMayImport are floors any harness test may import besides its own
// package's: a test reaches the virtual rig through its rig file, as a
// bench run does (rig.Load, then the unit's bindings). It never reaches up
// to a procedure or the CLI: a test that needs those belongs higher up.
var testsMayImport = []string{"rig"}

// sharedWireFormats are the harness packages the simulator may import: byte
// formats both sides of the wire must agree on, and the notations of the
// rig and profile files both sides read (a size, ${state_dir}). Everything
// else the simulator re-implements on purpose, so a bug on one side shows
// on the other.
var sharedWireFormats = []string{"harness/fwimage", "harness/notation"}

// pkgImports is one package's direct imports inside the module, paths
// relative to the module.
type pkgImports struct {
	path              string
	imports, testOnly []string // testOnly: TestImports and XTestImports
}

// layerOf returns the floor of a harness package (by its longest listed
// prefix) and whether it has one.
func layerOf(pkg string) (string, bool) {
	rel, ok := strings.CutPrefix(pkg, "harness/")
	if !ok {
		return "", false
	}
	best, name := -1, ""
	for _, l := range layers {
		for _, p := range l.pkgs {
			if (rel == p || strings.HasPrefix(rel, p+"/")) && len(p) > best {
				best, name = len(p), l.name
			}
		}
	}
	return name, best >= 0
}

func mayImport(from string) []string {
	for _, l := range layers {
		if l.name == from {
			return l.mayImport
		}
	}
	return nil
}

// isTestHelper: the fakes beside an interface (powertest, consoletest, ...)
// and the simulator's test helpers are for tests and for each other.
func isTestHelper(pkg string) bool {
	last := pkg[strings.LastIndex(pkg, "/")+1:]
	return strings.HasSuffix(last, "test")
}

// violations applies the rules to a module's import graph.
func violations(pkgs []pkgImports) []string {
	var out []string
	for _, p := range pkgs {
		for _, imp := range p.imports {
			if msg := edge(p.path, imp, false); msg != "" {
				out = append(out, msg)
			}
		}
		for _, imp := range p.testOnly {
			if msg := edge(p.path, imp, true); msg != "" {
				out = append(out, msg)
			}
		}
	}
	return out
}

// edge judges one import; "" means allowed.
func edge(from, to string, test bool) string {
	if from == to {
		return "" // an external test importing its own package
	}
	kind := "imports"
	if test {
		kind = "imports in a test"
	}
	if !test && isTestHelper(to) && !isTestHelper(from) {
		return fmt.Sprintf("%s %s %s: a test helper is for tests only", from, kind, to)
	}
	switch {
	case strings.HasPrefix(from, "harness/"):
		fromLayer, ok := layerOf(from)
		if !ok {
			return fmt.Sprintf("%s is on no floor: add it to the layers table in this test", from)
		}
		toLayer, inHarness := layerOf(to)
		switch {
		case inHarness:
			allowed := mayImport(fromLayer)
			if test {
				allowed = append(slices.Clone(allowed), testsMayImport...)
			}
			if !slices.Contains(allowed, toLayer) {
				return fmt.Sprintf("%s (%s) %s %s (%s): %s may import only %s", from, fromLayer, kind, to, toLayer,
					fromLayer, strings.Join(allowed, ", "))
			}
		case strings.HasPrefix(to, "harness/"):
			return fmt.Sprintf("%s %s %s, which is on no floor: add it to the layers table in this test", from, kind, to)
		case fromLayer == "composition" && (strings.HasPrefix(to, "rigs/") || to == "reports"):
			// The CLI starts the simulator and renders reports.
		case test && strings.HasPrefix(to, "rigs/"):
			// A test drives the simulated device it tests against.
		default:
			return fmt.Sprintf("%s (%s) %s %s: the harness library depends on nothing outside harness/", from, fromLayer, kind, to)
		}
	case strings.HasPrefix(from, "rigs/"):
		// The simulator is a separate device. Its end-to-end tests drive
		// it through the harness's drivers, as a bench would.
		if strings.HasPrefix(to, "harness/") && !test && !slices.Contains(sharedWireFormats, to) {
			return fmt.Sprintf("simulator package %s %s harness package %s (only shared wire formats are allowed: %s)",
				from, kind, to, strings.Join(sharedWireFormats, ", "))
		}
	}
	return ""
}

// moduleImports lists the module's packages with their direct imports
// inside the module, test imports apart.
func moduleImports(t *testing.T) []pkgImports {
	t.Helper()
	out, err := exec.Command("go", "list", "-e", "-f",
		"{{.ImportPath}}|{{join .Imports \" \"}}|{{join .TestImports \" \"}} {{join .XTestImports \" \"}}",
		mod+"...").CombinedOutput()
	if err != nil {
		t.Fatalf("go list: %v\n%s", err, out)
	}
	inModule := func(list string) []string {
		var l []string
		for _, d := range strings.Fields(list) {
			if rel, ok := strings.CutPrefix(d, mod); ok && !slices.Contains(l, rel) {
				l = append(l, rel)
			}
		}
		return l
	}
	var pkgs []pkgImports
	for _, line := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		f := strings.Split(line, "|")
		if len(f) != 3 {
			t.Fatalf("unexpected go list line %q", line)
		}
		pkgs = append(pkgs, pkgImports{path: strings.TrimPrefix(f[0], mod), imports: inModule(f[1]), testOnly: inModule(f[2])})
	}
	return pkgs
}

// TestLayering applies the rules to the module as it is, test imports
// included, and checks that every row of the table still names a package.
func TestLayering(t *testing.T) {
	pkgs := moduleImports(t)
	if len(pkgs) < 20 {
		t.Fatalf("only %d packages listed", len(pkgs))
	}
	for _, v := range violations(pkgs) {
		t.Error(v)
	}
	for _, l := range layers {
		for _, p := range l.pkgs {
			found := slices.ContainsFunc(pkgs, func(q pkgImports) bool {
				return q.path == "harness/"+p || strings.HasPrefix(q.path, "harness/"+p+"/")
			})
			if !found {
				t.Errorf("the layers table lists harness/%s (%s), which is no package: remove the row", p, l.name)
			}
		}
	}
}

// TestLayeringREADME checks that harness/README.md's layer table puts every
// package of the table above on the same floor, so the design page and
// the rule do not drift apart.
func TestLayeringREADME(t *testing.T) {
	data, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	rows := map[string]string{} // floor name -> its packages column
	for _, line := range strings.Split(string(data), "\n") {
		cols := strings.Split(line, "|")
		if len(cols) < 4 {
			continue
		}
		floor := strings.Fields(cols[1])
		if len(floor) == 2 && strings.Trim(floor[0], "0123456789") == "" {
			rows[floor[1]] = cols[2]
		}
	}
	for _, l := range layers {
		row, ok := rows[l.name]
		if !ok {
			t.Errorf("harness/README.md's layer table has no %q floor (rows: %v)", l.name, rows)
			continue
		}
		for _, p := range l.pkgs {
			if p != "internal/layering" && !strings.Contains(row, "`"+p+"`") && !strings.Contains(row, "`"+p+"/") {
				t.Errorf("harness/README.md's %s row does not name `%s`", l.name, p)
			}
		}
	}
}

// TestLayeringRulesCatchUpwardImports shows each rule failing on the import
// it exists to forbid, and the allowed imports next to it passing.
func TestLayeringRulesCatchUpwardImports(t *testing.T) {
	cases := []struct {
		from, to string
		test     bool
		want     string // "" allowed, else a part of the complaint
	}{
		{"harness/rig", "harness/procedure", false, "harness/rig (rig) imports harness/procedure (procedures)"},
		{"harness/rig", "harness/procedure", true, "imports in a test harness/procedure"},
		{"harness/procedure", "harness/rig", false, "procedures may import only foundations, devices"},
		{"harness/procedure", "harness/rig", true, ""}, // reaching the virtual rig
		{"harness/procedure", "harness/cmd/camrig", true, "may import only foundations, devices, rig"},
		{"harness/power", "harness/rig", false, "devices may import only"},
		{"harness/clock", "harness/power", false, "foundations may import only foundations"},
		{"harness/press", "harness/power", false, ""},
		{"harness/power/serialboard", "harness/power", false, ""}, // a backend sits with its family
		{"harness/rig", "harness/power/powertest", false, "a test helper is for tests only"},
		{"harness/rig", "harness/power/powertest", true, ""},
		{"harness/uboot/uboottest", "harness/console/consoletest", false, ""},
		{"harness/rig", "harness/newthing", false, "which is on no floor"},
		{"harness/newthing", "harness/clock", false, "harness/newthing is on no floor"},
		{"harness/console", "rigs/virtual/pty", false, "depends on nothing outside harness/"},
		{"harness/console", "rigs/virtual/pty", true, ""},
		{"harness/procedure", "reports", true, "depends on nothing outside harness/"},
		{"harness/cmd/camrig", "rigs/virtual", false, ""},
		{"harness/cmd/camrig", "harness/procedure", false, ""},
		{"rigs/virtual/unit", "harness/console", false, "only shared wire formats"},
		{"rigs/virtual/ubootsim", "harness/fwimage", false, ""},
		{"rigs/virtual", "harness/console", true, ""},
	}
	for _, tc := range cases {
		got := edge(tc.from, tc.to, tc.test)
		switch {
		case tc.want == "" && got != "":
			t.Errorf("%s -> %s (test %v) refused: %s", tc.from, tc.to, tc.test, got)
		case tc.want != "" && !strings.Contains(got, tc.want):
			t.Errorf("%s -> %s (test %v): got %q, want it to contain %q", tc.from, tc.to, tc.test, got, tc.want)
		}
	}
	// The same through violations, as TestLayering runs it.
	v := violations([]pkgImports{{path: "harness/rig", imports: []string{"harness/clock", "harness/procedure"}}})
	if len(v) != 1 || !strings.Contains(v[0], "harness/procedure") {
		t.Fatalf("violations = %q, want exactly the rig -> procedure import", v)
	}
}
