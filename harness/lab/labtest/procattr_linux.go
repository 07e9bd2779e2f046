package labtest

import "syscall"

// dieWithParent: a test binary killed mid-run takes its etcd members along.
func dieWithParent() *syscall.SysProcAttr { return &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL} }
