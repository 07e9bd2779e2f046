// Package drivers links every bench driver into whatever imports it: each
// backend package registers its power and LED drivers (name, Open, Check)
// from init, and Go links only the packages something imports. rig imports
// this package, so a rig file is checked against every driver a bench may
// name. Registering does nothing else: importing this opens no hardware.
//
// A new driver is one new package and one blank import below, plus its row
// in README.md's driver table; the tests here fail until all three agree.
package drivers

import (
	_ "github.com/camrig/camrig/harness/power/execswitch"
	_ "github.com/camrig/camrig/harness/power/gpioline"
	_ "github.com/camrig/camrig/harness/power/kmtronic"
	_ "github.com/camrig/camrig/harness/power/lcus"
	_ "github.com/camrig/camrig/harness/power/numato"
	_ "github.com/camrig/camrig/harness/power/plug"
	_ "github.com/camrig/camrig/harness/power/qemuvm"
	_ "github.com/camrig/camrig/harness/power/snmppoe"
)
