package main

import (
	"context"
	"fmt"
	"io"
	"strings"
)

func init() {
	register(command{name: "rig", summary: "check a rig file and list its units", run: runRig})
}

const rigAbout = `check loads the rig file as a run would (every problem at file:line, all at
once; exit 3 when any) and says what it is: its name, virtual rig or bench,
its timescale and units. units prints the unit names, one a line (what
make run counts to run one process per unit).`

func runRig(_ context.Context, args []string, stdout, stderr io.Writer) int {
	f := newFlags("rig check|units --rig R", rigAbout, stderr).withRig()
	pos, code, ok := f.parse(args)
	if !ok {
		return code
	}
	if len(pos) != 1 || (pos[0] != "check" && pos[0] != "units") {
		return f.usageErr("want check or units")
	}
	r, code := f.loadRig()
	if code != exitOK {
		return code
	}
	names := r.UnitNames()
	if pos[0] == "units" {
		for _, n := range names {
			fmt.Fprintln(stdout, n)
		}
		return exitOK
	}
	kind := "bench"
	if r.Virtual {
		kind = "virtual rig"
	}
	fmt.Fprintf(stdout, "rig %s (%s) from %s: timescale %g, %d units: %s\n",
		r.Name, kind, r.File, float64(r.Timescale), len(names), strings.Join(names, " "))
	return exitOK
}
