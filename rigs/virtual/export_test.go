package virtual

import (
	"os"
	"testing"
	"time"

	"github.com/camrig/camrig/harness/notation"
)

// TestMain unsets the state-dir override a shell may export (as for
// `make run`): each test here picks its own state dir, and an inherited
// one would make them share it. Tests of the override set it themselves.
func TestMain(m *testing.M) {
	os.Unsetenv(notation.StateDirEnv)
	os.Exit(m.Run())
}

// ShippedRig is the rig file the project ships.
const ShippedRig = "../virtual.yaml"

// RelocatedRig is Isolate (virtualtest.Relocate) on the shipped rig file.
func RelocatedRig(t testing.TB, dir string, timescale float64) string {
	t.Helper()
	path, err := Isolate(ShippedRig, dir, timescale)
	if err != nil {
		t.Fatal(err)
	}
	return path
}

// SetBindPatience shortens how long Start waits for a busy address.
func SetBindPatience(t testing.TB, d time.Duration) {
	old := bindPatience
	bindPatience = d
	t.Cleanup(func() { bindPatience = old })
}
