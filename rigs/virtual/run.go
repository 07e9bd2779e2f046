package virtual

import (
	"context"
	"fmt"
	"io"
	"os"
	"strings"
)

// Run starts the rig, prints where each device is, runs until ctx ends
// and then removes what it created. A rig whose sim section lists QEMU
// machines runs those (real bootloaders) instead of simulated units.
func Run(ctx context.Context, rigPath string, stdout io.Writer, opts ...Option) error {
	o := collect(opts)
	rf, err := LoadRigFile(rigPath, o.stateDir)
	if err != nil {
		return err
	}
	if len(rf.Sim.QEMU) > 0 {
		return runQEMU(ctx, rf, stdout, o)
	}
	r, err := startUnits(ctx, rf, o)
	if err != nil {
		return err
	}
	r.Describe(stdout)
	fmt.Fprintln(stdout, "running; SIGINT (Ctrl+C) or SIGTERM stops the rig")
	<-ctx.Done()
	err = r.Close()
	if err != nil {
		fmt.Fprintf(stdout, "stopped, with errors while cleaning up: %v\n", err)
		return err
	}
	fmt.Fprintln(stdout, "stopped; ptys, links and the state lock are removed")
	return nil
}

// Describe prints one line per device: unit consoles, relay boards, API
// and NVR endpoints (marked when no simulator serves them), smart plugs,
// then the password files and notes.
func (r *Rig) Describe(w io.Writer) {
	fmt.Fprintf(w, "virtual rig %q from %s: timescale %g, state %s\n", r.Name(), r.file.File, r.Timescale(), r.StateDir())
	served := map[string]bool{}
	devs := r.Devices()
	for _, d := range devs {
		served[d.Kind+"|"+d.Name] = true
	}
	line := func(d Device) {
		fmt.Fprintf(w, "  %-6s %-8s %s %s\n", d.Kind, d.Name, d.Where, d.Detail)
	}
	for _, kind := range []string{"unit", "relay"} {
		for _, d := range devs {
			if d.Kind == kind {
				line(d)
			}
		}
	}
	for _, uf := range r.file.Units {
		if uf.API != nil && uf.API.URL != "" && !served["api|"+uf.Name] {
			line(Device{Kind: "api", Name: uf.Name, Where: uf.API.URL, Detail: "(not served: no API simulator attached)"})
		}
	}
	if n := r.file.NVR; n != nil && n.API != "" && !served["nvr|nvr"] {
		line(Device{Kind: "nvr", Name: "nvr", Where: n.API, Detail: "(not served: no NVR simulator attached)"})
	}
	for _, d := range devs {
		if d.Kind != "unit" && d.Kind != "relay" {
			line(d)
		}
	}
	fmt.Fprintf(w, "  secrets %s/{%s}\n", r.SecretsDir(), strings.Join(r.secretNames(), ","))
	for _, n := range r.Notes() {
		fmt.Fprintf(w, "note: %s\n", n)
	}
}

// secretNames lists the password files in the secrets dir (the units',
// the NVR's, the plugs'...), sorted.
func (r *Rig) secretNames() []string {
	entries, err := os.ReadDir(r.SecretsDir())
	if err != nil {
		return nil
	}
	var names []string
	for _, e := range entries {
		if e.Type().IsRegular() && !strings.HasSuffix(e.Name(), ".new") {
			names = append(names, e.Name())
		}
	}
	return names
}
