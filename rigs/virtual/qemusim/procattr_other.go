//go:build !linux

package qemusim

import "syscall"

// diesWithParent: only Linux can tie QEMU's life to the simulator's
// (PR_SET_PDEATHSIG); elsewhere Close, or the operator, stops it.
func diesWithParent() *syscall.SysProcAttr { return nil }
