package rig

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/url"
	"os"
	"strings"
	"time"

	"golang.org/x/sys/unix"

	"github.com/camrig/camrig/harness/internal/inputfile"
)

// UnitStatus is what `camrig who` says about one unit.
type UnitStatus struct {
	Unit string
	// Holder is who holds the unit now (nil: free).
	Holder *Holder
	// Expires is when a lab lease runs out unless its holder renews it
	// (zero for a lock file: it lasts as long as its process).
	Expires time.Time
	// Dead is the holder of a lock file whose process ended without
	// releasing it: the unit is free and the next Open makes it safe.
	Dead *Holder
	// Reserved is who reserved the unit, until ReservedUntil (nil: not
	// reserved).
	Reserved      *Holder
	ReservedUntil time.Time
	// Reach says whether the unit's console can be reached from here:
	// "yes", "no: <why>", or "not probed (in use)". It is asked without
	// opening the console: a tty is looked up, a free unit's network
	// console dialled and hung up (a held one is not dialled: ser2net
	// serves one connection and may be set to kick the old user).
	Reach string
}

// whoDial bounds dialling a network console for `camrig who`.
const whoDial = 2 * time.Second

// Who reports every unit of the rig, in file order.
func (r *Rig) Who(ctx context.Context) ([]UnitStatus, error) {
	out := make([]UnitStatus, len(r.Units))
	for i, u := range r.Units {
		out[i] = UnitStatus{Unit: u.Name}
	}
	defer func() {
		for i, u := range r.Units {
			out[i].Reach = "not probed (in use)"
			if out[i].Holder == nil {
				out[i].Reach = reachable(ctx, u.Console.Port)
			}
		}
	}()
	if r.Lab != nil {
		store, err := r.LabStore()
		if err != nil {
			return nil, err
		}
		entries, err := store.Entries(ctx, r.UnitNames())
		if err != nil {
			return nil, fmt.Errorf("rig %s: %w", r.Name, err)
		}
		for i, e := range entries {
			if h, ok := parseHolder(e.Holder); ok {
				out[i].Holder, out[i].Expires = &h, e.Expires
			}
			if e.Reservation != nil {
				out[i].ReservedUntil = e.Reservation.Until
				if h, ok := parseHolder(e.Reservation.Holder); ok {
					out[i].Reserved = &h
				}
			}
		}
		return out, nil
	}
	for i, u := range r.Units {
		data, err := inputfile.Read(r.LockFile(u.Name), 64<<10)
		if err == nil {
			if h, ok := parseHolder(data); ok {
				if alive(h) {
					out[i].Holder = &h
				} else {
					out[i].Dead = &h
				}
			}
		}
		res, err := r.localReservation(u.Name)
		if err != nil {
			return nil, err
		}
		if res != nil {
			out[i].ReservedUntil = res.Until
			if h, ok := parseHolder(res.Holder); ok {
				out[i].Reserved = &h
			}
		}
	}
	return out, nil
}

// alive says whether a lock file's holder still runs. A holder on another
// host (a lock directory on a shared file system) is taken as alive.
func alive(h Holder) bool {
	if host, _ := os.Hostname(); h.Host != host {
		return true
	}
	err := unix.Kill(h.PID, 0)
	return err == nil || errors.Is(err, unix.EPERM)
}

// reachable says "yes" when the console can be reached, else why not.
func reachable(ctx context.Context, port string) string {
	if port == "" {
		return "no: no console"
	}
	u, err := url.Parse(port)
	if err != nil || u.Scheme == "" || !strings.Contains(port, "://") {
		if _, err := os.Stat(port); err != nil {
			return "no: " + err.Error()
		}
		return "yes"
	}
	network, addr := "tcp", u.Host
	if u.Scheme == "unix" {
		network, addr = "unix", u.Path
	}
	dctx, cancel := context.WithTimeout(ctx, whoDial)
	defer cancel()
	var d net.Dialer
	c, err := d.DialContext(dctx, network, addr)
	if err != nil {
		return "no: " + err.Error()
	}
	c.Close()
	return "yes"
}
