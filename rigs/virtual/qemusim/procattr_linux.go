package qemusim

import "syscall"

// diesWithParent: should the simulator die, the kernel takes QEMU with it.
func diesWithParent() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
}
