package layering

import (
	"os/exec"
	"strings"
	"testing"
)

const mod = "github.com/camrig/camrig/"

// sharedWireFormats are the harness packages the simulator may import: byte
// formats both sides of the wire must agree on.
var sharedWireFormats = map[string]bool{
	mod + "harness/fwimage": true,
}

func TestLayering(t *testing.T) {
	out, err := exec.Command("go", "list", "-f", "{{.ImportPath}} {{join .Deps \" \"}}", mod+"...").CombinedOutput()
	if err != nil {
		t.Fatalf("go list: %v\n%s", err, out)
	}
	checked := 0
	for _, line := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		fields := strings.Fields(line)
		if len(fields) == 0 {
			continue
		}
		pkg, deps := strings.TrimPrefix(fields[0], mod), fields[1:]
		for _, dep := range deps {
			if !strings.HasPrefix(dep, mod) {
				continue
			}
			d := strings.TrimPrefix(dep, mod)
			switch {
			case isHarnessLibrary(pkg) && (strings.HasPrefix(d, "rigs/") || strings.HasPrefix(d, "specs") || strings.HasPrefix(d, "reports")):
				t.Errorf("harness library package %s imports %s", pkg, d)
			case strings.HasPrefix(pkg, "rigs/virtual") && strings.HasPrefix(d, "harness/") && !sharedWireFormats[dep]:
				t.Errorf("simulator package %s imports harness package %s (only shared wire formats are allowed)", pkg, d)
			}
		}
		checked++
	}
	if checked < 5 {
		t.Fatalf("only %d packages listed; go list output:\n%s", checked, out)
	}
}

// isHarnessLibrary is every harness package but the CLI, which is the
// composition root and may start the simulator and render reports.
func isHarnessLibrary(pkg string) bool {
	return strings.HasPrefix(pkg, "harness/") && !strings.HasPrefix(pkg, "harness/cmd/")
}
