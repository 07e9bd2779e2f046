package specs_test

import (
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/camrig/camrig/harness/bench"
	"github.com/camrig/camrig/harness/procedure"
	"github.com/camrig/camrig/harness/profile"
	"github.com/camrig/camrig/harness/rig"
	"github.com/camrig/camrig/reports"
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
	// up: the spec before left the unit booted and passed, and nothing
	// has touched the unit since. A spec that needs its unit booted takes
	// it (tookUp) instead of power-cycling it again: on a real rig each
	// boot saved is minutes of the gate. A spec that needs a cold boot
	// says so (procedure.ColdBoot) and ignores it.
	up bool
	// leftUp is set by a spec that ends with its unit booted; it becomes
	// up for the next spec only if this one passed.
	leftUp bool
	// retried names the runner that died running this unit in a shared
	// run ("" when this is the first attempt).
	retried string
}

// tookUp reports whether the unit is known booted from the spec before,
// once per spec: what the spec does next (a press, an outage) changes it.
func (t *target) tookUp() bool {
	up := t.up
	t.up = false
	return up
}

// leavesUp says this spec ends with the unit booted (call it last, after
// the spec's checks): the next spec may use it as it is.
func (t *target) leavesUp() { t.leftUp = true }

// Procedure is the opened unit as the procedures take it.
func (t *target) Procedure() *procedure.Unit { return bench.Procedure(t.Unit) }

// suites are every suite a unit's container holds, in the order they run
// on it (one list, written here: a new suite is added here, not by an init
// function). Reflash comes first for the units whose only recovery is
// serial firmware, so a unit that starts bricked is repaired before the
// others boot it. Each suite adds the specs the unit's profile and binding
// have the procedure for.
var suites = []func(t *target){
	reflashSpecs,
	bootSpecs,
	networkSpecs,
	outageSpecs,
	resetSpecs,
	securitySpecs,
	faultSpecs,
}

// unscaledSlack is the real time a spec spends beyond its profile's
// durations: API and board round trips, the UART at its real baud rate,
// process scheduling on a loaded host. The rig's timescale does not shrink
// it.
const unscaledSlack = 30 * time.Second

// budget is a spec's SpecTimeout, from the unit's profile: boots cold boots
// (each the profile's off time and boot deadline; an API or NVR answer
// awaited within a boot deadline counts as one) and the holds given, scaled
// by the rig's timescale, plus unscaledSlack. A spec that overruns it ends
// with the unit left safe and the reason in the report.
func budget(t *target, boots int, holds ...time.Duration) time.Duration {
	p := t.profile
	d := time.Duration(boots) * (p.Boot.OffTime + p.Boot.Deadline)
	for _, h := range holds {
		d += h
	}
	return theRig.Timescale.Of(d) + unscaledSlack
}

// One Ordered container per unit: the unit is leased and opened once, its
// specs run one after another in one process (a unit does one thing at a
// time), and different units run in parallel under `ginkgo -p`.
// ContinueOnFailure: a failed reset must not hide what the others show.
var _ = Describe("Unit", func() {
	for _, name := range theRig.UnitNames() {
		unitContainer(name, func(ctx SpecContext) (string, []rig.OpenOption) {
			return claimForRun(ctx, name), nil
		})
	}
	// A run shared by several runners (--run-id on a lab rig): once a
	// runner is through its own units, it waits for each unit another
	// runner was at, and runs it again if that runner died (once).
	if sharedRun() {
		for _, name := range theRig.UnitNames() {
			unitContainer(name, func(ctx SpecContext) (string, []rig.OpenOption) {
				return awaitRetry(ctx, name)
			})
		}
	}
})

// unitContainer is one unit's Ordered container. claim decides whether
// this runner runs the unit (it Skips otherwise) and returns the dead
// runner this is a retry of ("" for a first attempt) and extra options for
// opening the unit.
func unitContainer(name string, claim func(SpecContext) (string, []rig.OpenOption)) {
	cfg, _ := theRig.Unit(name)
	t := &target{name: name, profile: theRig.Profile(name), cfg: cfg}
	Describe(name+" ("+t.profile.Model+")", Ordered, ContinueOnFailure, Label("unit:"+name), func() {
		BeforeAll(func(ctx SpecContext) {
			retried, opts := claim(ctx)
			t.retried = retried
			opened := openUnit(ctx, name, opts...)
			t.Unit = opened
			// A spec that hands the unit over and opens it again
			// (the faults suite) leaves its own open unit here.
			DeferCleanup(func(ctx SpecContext) {
				if t.Unit != opened {
					Expect(t.Unit.Close(ctx)).To(Succeed(), "leaving unit %s safe", name)
				}
			})
		})
		BeforeEach(func() {
			// Each spec's transcript and timeline hold only what
			// happened since it began.
			DeferCleanup(func() { attachEvidence(t.Unit) })
			// A lab lease lost during the spec (the runner cut off from
			// etcd) fails it with that reason: from then on the unit was
			// left safe and could not be driven.
			DeferCleanup(func() {
				if err := t.Unit.LeaseErr(); err != nil {
					Fail(err.Error())
				}
			})
			if t.retried != "" {
				AddReportEntry(reports.EntryRetried, t.retried)
			}
			// The unit is known booted only if the spec before
			// said it left it so and passed.
			t.leftUp = false
			DeferCleanup(func() {
				t.up = t.leftUp && !CurrentSpecReport().Failed()
				t.leftUp = false
			})
		})
		for _, s := range suites {
			s(t)
		}
	})
}
