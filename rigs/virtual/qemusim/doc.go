// Package qemusim runs a real bootloader under qemu-system-arm as a unit of
// the simulated bench: Start boots Debian's u-boot-qemu with a pflash file
// as the unit's NOR flash, its serial port on a unix socket (the unit's
// console) and a QMP socket (the unit's power input, which the harness's
// "qemu" power backend switches through its own QMP client, harness/qemu).
// UnitSim is one entry of a rig file's `sim.qemu` list, which the virtual
// rig's rig-file reader decodes.
//
// The VM is started paused (-S): a unit on a bench is unpowered until the
// harness switches it on, and nothing printed before the console is
// attached is lost.
//
// Like the rest of the simulator, this package imports nothing of the
// harness: it needs QEMU's machine protocol only to learn that QEMU is up
// (control.go), and stops QEMU with SIGTERM.
package qemusim
