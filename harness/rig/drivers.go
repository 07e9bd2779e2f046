package rig

import "slices"

// PowerDrivers are the power.Switch backends a power or press binding may
// name. Backends register themselves with power.Register from their own
// packages, which rig does not import (loading a rig file must not open
// hardware), so the names are listed here too; a test checks the list
// against power.Drivers() whenever backends are linked in. A driver that is
// registered but missing here is accepted as well (power.Known).
var PowerDrivers = []string{"exec", "gpio", "kmtronic", "lcus", "numato", "qemu", "shelly", "snmp-poe", "tasmota"}

// LEDDrivers are the LED sensor backends.
var LEDDrivers = []string{"gpio", "numato-gpio"}

// serialPowerDrivers talk to a board on a serial port and need Port.
var serialPowerDrivers = []string{"kmtronic", "lcus", "numato"}

// networkPowerDrivers need URL.
var networkPowerDrivers = []string{"shelly", "snmp-poe", "tasmota"}

func isSerialPower(d string) bool  { return slices.Contains(serialPowerDrivers, d) }
func isNetworkPower(d string) bool { return slices.Contains(networkPowerDrivers, d) }
