//go:build !linux

package labtest

import "syscall"

// dieWithParent: only Linux has a parent-death signal; elsewhere the
// test's cleanup stops the members.
func dieWithParent() *syscall.SysProcAttr { return &syscall.SysProcAttr{} }
