// Package qemu is the harness's client for QEMU's machine protocol (QMP):
// the "qemu" power backend uses it to switch a unit that is a real
// bootloader under qemu-system-arm (off = VM stopped, on = cold reset and
// run). The QEMU process itself is started by the simulated bench
// (rigs/virtual/qemusim, `camrig sim`), as a bench's units are powered by
// their own supply, not by the harness.
package qemu
