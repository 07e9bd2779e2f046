//go:build !linux

package main

import (
	"context"
	"fmt"
	"io"
)

// The virtual rig's units are Linux pseudo-terminals (and its QEMU units
// rely on the parent-death signal), so the simulator is built on Linux
// only; everything else camrig does works from any host that reaches the
// bench.
func init() {
	register(command{name: "sim", summary: "run the virtual rig (Linux only)", run: func(_ context.Context, _ []string, _, stderr io.Writer) int {
		fmt.Fprintln(stderr, "camrig sim: the virtual rig needs Linux (its units are pseudo-terminals); run it on a Linux host and point --rig at its loopback addresses from there")
		return 2
	}})
}
