// Package qemu runs a real bootloader under qemu-system-arm as a rig unit:
// a launcher (Start) that boots Debian's u-boot-qemu with a pflash file as
// the unit's NOR flash and its serial port on a unix socket, and a client
// for QEMU's machine protocol (QMP) that the "qemu" power backend and the
// launcher use to stop, reset and resume the VM.
//
// The VM is started paused (-S): a unit on a bench is unpowered until the
// harness switches it on, and nothing printed before the console is
// attached is lost.
package qemu
