package specs_test

import (
	. "github.com/onsi/ginkgo/v2"

	"github.com/camrig/camrig/harness/bench"
	"github.com/camrig/camrig/harness/procedure"
	"github.com/camrig/camrig/harness/profile"
	"github.com/camrig/camrig/harness/rig"
)

// target is the unit a container's specs drive; it is opened in BeforeAll,
// after the tree is built, so specs hold this handle rather than the unit.
type target struct {
	name    string
	profile *profile.Profile
	// cfg is the unit's binding, known while the tree is built (the Unit
	// only once BeforeAll opened it).
	cfg rig.UnitConfig
	*rig.Unit
}

// Procedure is the opened unit as the procedures take it.
func (t *target) Procedure() *procedure.Unit { return bench.Procedure(t.Unit) }

// suites contribute their specs for one unit. Each file adds itself in an
// init function; the order here is the order specs run on a unit.
var suites []func(t *target)

// One Ordered container per unit: the unit is leased and opened once, its
// specs run one after another in one process (a unit does one thing at a
// time), and different units run in parallel under `ginkgo -p`.
// ContinueOnFailure: a failed reset must not hide what the others show.
var _ = Describe("Unit", func() {
	for _, name := range theRig.UnitNames() {
		cfg, _ := theRig.Unit(name)
		t := &target{name: name, profile: theRig.Profile(name), cfg: cfg}
		Describe(name+" ("+t.profile.Model+")", Ordered, ContinueOnFailure, Label("unit:"+name), func() {
			BeforeAll(func(ctx SpecContext) {
				t.Unit = openUnit(ctx, name)
			})
			BeforeEach(func() {
				// Each spec's transcript and timeline hold only what
				// happened since it began.
				DeferCleanup(func() { attachEvidence(t.Unit) })
			})
			for _, s := range suites {
				s(t)
			}
		})
	}
})
