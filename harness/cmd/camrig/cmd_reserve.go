package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"text/tabwriter"
	"time"

	"github.com/camrig/camrig/harness/rig"
)

func init() {
	register(command{name: "reserve", summary: "reserve a unit across commands; prints the token", run: runReserve})
	register(command{name: "release", summary: "end a reservation made with camrig reserve", run: runRelease})
	register(command{name: "who", summary: "list every unit with its holder, since, expiry and reachability", run: runWho})
}

const reserveAbout = `Reserves the unit for --for (default 2h) and prints a token. Commands and
suites given the token in CAMRIG_RESERVATION use the unit; everyone else is
refused, naming who reserved it, until the reservation is released
(camrig release) or ends. On one host the reservation is a file beside the
unit's lock file; a rig file with a lab: section keeps it in the lab's etcd,
where it expires by itself.

  export CAMRIG_RESERVATION=$(camrig reserve --rig lab.yaml --unit cam3 --for 2h)`

func runReserve(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	f := newFlags("reserve --rig R --unit U [--for D]", reserveAbout, stderr).withRig().withUnit()
	d := f.Duration("for", 2*time.Hour, "how long the reservation lasts")
	pos, code, ok := f.parse(args)
	if !ok {
		return code
	}
	if len(pos) > 0 {
		return f.usageErr("unexpected arguments %q", pos)
	}
	if *d < time.Second {
		return f.usageErr("--for %v: want at least 1s", *d)
	}
	r, name, code := f.rigAndUnit()
	if code != exitOK {
		return code
	}
	defer r.Close()
	token, until, err := r.Reserve(ctx, name, *d)
	if err != nil {
		return f.failure(err)
	}
	// The token alone on stdout, so $(camrig reserve ...) captures it.
	fmt.Fprintln(stdout, token)
	fmt.Fprintf(stderr, "camrig reserve: unit %s of rig %s reserved until %s; give the token to commands in %s\n",
		name, r.Name, until.Format(time.RFC3339), rig.ReservationEnv)
	return exitOK
}

const releaseAbout = `Ends the unit's reservation. The token is taken from --token or from
CAMRIG_RESERVATION.`

func runRelease(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	f := newFlags("release --rig R --unit U [--token T]", releaseAbout, stderr).withRig().withUnit()
	token := f.String("token", os.Getenv(rig.ReservationEnv), "the reservation's token (default $"+rig.ReservationEnv+")")
	pos, code, ok := f.parse(args)
	if !ok {
		return code
	}
	if len(pos) > 0 {
		return f.usageErr("unexpected arguments %q", pos)
	}
	if *token == "" {
		return f.usageErr("no token: give --token or set %s", rig.ReservationEnv)
	}
	r, name, code := f.rigAndUnit()
	if code != exitOK {
		return code
	}
	defer r.Close()
	if err := r.Unreserve(ctx, name, *token); err != nil {
		return f.failure(err)
	}
	fmt.Fprintf(stdout, "%s: reservation released\n", name)
	return exitOK
}

const whoAbout = `Lists every unit of the rig: who holds it (host, user, pid, command, run)
and since when, when a lab lease expires unless renewed, who reserved it and
until when, and whether its console can be reached from this host.`

func runWho(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	f := newFlags("who --rig R", whoAbout, stderr).withRig()
	pos, code, ok := f.parse(args)
	if !ok {
		return code
	}
	if len(pos) > 0 {
		return f.usageErr("unexpected arguments %q", pos)
	}
	r, code := f.loadRig()
	if code != exitOK {
		return code
	}
	defer r.Close()
	st, err := r.Who(ctx)
	if err != nil {
		return f.failure(err)
	}
	tw := tabwriter.NewWriter(stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "UNIT\tHOLDER\tSINCE\tEXPIRES\tRESERVED\tREACHABLE")
	for _, s := range st {
		holder, since, expires, reserved := "free", "-", "-", "-"
		switch {
		case s.Holder != nil:
			holder, since = describe(*s.Holder), s.Holder.Since.Format(time.RFC3339)
		case s.Dead != nil:
			holder = "free (last holder " + describe(*s.Dead) + " ended without releasing: the next open makes it safe)"
		}
		if !s.Expires.IsZero() {
			expires = s.Expires.Format(time.RFC3339)
		}
		if s.Reserved != nil || !s.ReservedUntil.IsZero() {
			who := "someone"
			if s.Reserved != nil {
				who = describe(*s.Reserved)
			}
			reserved = who + " until " + s.ReservedUntil.Format(time.RFC3339)
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\n", s.Unit, holder, since, expires, reserved, s.Reach)
	}
	return codeOf(tw.Flush())
}

// describe is a holder without its since (its own column).
func describe(h rig.Holder) string {
	h.Since = time.Time{}
	return h.String()
}

func codeOf(err error) int {
	if err != nil {
		return exitFailed
	}
	return exitOK
}
