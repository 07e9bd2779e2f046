// Package bench joins a unit the rig opened to the unit the procedures
// take. rig and procedure sit side by side and import neither the other
// (a rig file loads without knowing the procedures; a procedure runs on
// fakes without a rig file), so the join lives here, above both, in one
// place for the CLI and the suites.
package bench

import (
	"github.com/camrig/camrig/harness/procedure"
	"github.com/camrig/camrig/harness/rig"
)

// Procedure is the opened unit as the procedures take it. A binding the
// rig file leaves out stays nil, so a procedure that needs it says so.
func Procedure(u *rig.Unit) *procedure.Unit {
	p := &procedure.Unit{Name: u.Name, Profile: u.Profile, Clock: u.Clock, Scale: u.Scale,
		Timeline: u.Timeline, Log: u.Log, Power: u.Power}
	// A nil pointer in an interface is not a nil interface: copy only what
	// is there.
	if u.Console != nil {
		p.Console = u.Console
	}
	if u.Press != nil {
		p.Press = u.Press
	}
	if u.LED != nil {
		p.LED = u.LED
	}
	return p
}
