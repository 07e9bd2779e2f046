//go:build !linux

package ser2nettest

import "syscall"

// dieWithParent: only Linux has a parent-death signal; elsewhere the
// test's cleanup stops ser2net.
func dieWithParent() *syscall.SysProcAttr { return &syscall.SysProcAttr{} }
