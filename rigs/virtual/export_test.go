package virtual

import (
	"testing"
	"time"

	"github.com/camrig/camrig/rigs/virtual/virtualtest"
)

// ShippedRig is the rig file the project ships.
const ShippedRig = "../virtual.yaml"

// RelocatedRig is virtualtest.Relocate on the shipped rig file.
func RelocatedRig(t testing.TB, dir string, timescale float64) string {
	t.Helper()
	return virtualtest.Relocate(t, ShippedRig, dir, timescale)
}

// SetBindPatience shortens how long Start waits for a busy address.
func SetBindPatience(t testing.TB, d time.Duration) {
	old := bindPatience
	bindPatience = d
	t.Cleanup(func() { bindPatience = old })
}
