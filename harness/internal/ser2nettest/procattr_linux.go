package ser2nettest

import "syscall"

// dieWithParent: a test binary killed mid-run takes its ser2net along.
func dieWithParent() *syscall.SysProcAttr { return &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL} }
