package main

import (
	"context"
	"fmt"
	"io"
	"sort"
	"text/tabwriter"

	"github.com/camrig/camrig/harness/nvr"
	"github.com/camrig/camrig/harness/rig"
)

func init() {
	register(command{name: "nvr", summary: "ask the rig's NVR which channels are online", run: runNVR})
}

const nvrAbout = `channels lists the NVR's channels: which PoE port feeds each one and which
unit of the rig is plugged into that port, whether it is online, and the
NVR's chanDetectResult (connect, errorUserNameOrPasswd, netUnreachable...).
Units on a PoE port without a channel are listed too. It only reads the NVR,
so it leases no unit.`

// maxPoEPort bounds the search for the port feeding a channel (NVRs have
// at most 64 PoE ports).
const maxPoEPort = 64

func runNVR(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	f := newFlags("nvr channels --rig R", nvrAbout, stderr).withRig()
	pos, code, ok := f.parse(args)
	if !ok {
		return code
	}
	if len(pos) != 1 || pos[0] != "channels" {
		return f.usageErr("want the action channels, got %q", pos)
	}
	r, code := f.loadRig()
	if code != exitOK {
		return code
	}
	if r.NVR == nil {
		fmt.Fprintf(stderr, "camrig nvr: rig %s (%s) has no nvr section\n", r.Name, r.File)
		return exitFailed
	}
	client, err := r.OpenNVR(nil, f.logger())
	if err != nil {
		return f.failure(err)
	}
	defer client.Close()
	names := map[int]string{} // channel id -> channel name
	chans, err := client.Channels(ctx)
	if err != nil {
		return f.failure(err)
	}
	for _, c := range chans {
		names[c.ID] = c.Name
	}
	sts, err := client.Status(ctx)
	if err != nil {
		return f.failure(err)
	}
	if err := printChannels(stdout, r, client, names, sts); err != nil {
		return f.failure(err)
	}
	return exitOK
}

func printChannels(w io.Writer, r *rig.Rig, client *nvr.Client, names map[int]string, sts []nvr.ChannelStatus) error {
	unitOnPort := map[int]string{}
	for _, u := range r.Units {
		if u.NVRPort > 0 {
			unitOnPort[u.NVRPort] = u.Name
		}
	}
	portOf := func(id int) int {
		for p := 1; p <= maxPoEPort; p++ {
			if client.ChannelForPort(p) == id {
				return p
			}
		}
		return 0
	}
	sort.Slice(sts, func(i, j int) bool { return sts[i].ID < sts[j].ID })
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "CHANNEL\tPOE PORT\tUNIT\tONLINE\tDETECT\tCAMERA\tNAME")
	seen := map[int]bool{}
	for _, s := range sts {
		port, portText, unit := portOf(s.ID), "-", "-"
		if port > 0 {
			portText = fmt.Sprint(port)
			seen[port] = true
			if n, ok := unitOnPort[port]; ok {
				unit = n
			}
		}
		online := "offline"
		if s.Online {
			online = "online"
		}
		fmt.Fprintf(tw, "%d\t%s\t%s\t%s\t%s\t%s\t%s\n", s.ID, portText, unit, online, dash(s.Detect), dash(s.Source.IPAddress), dash(names[s.ID]))
	}
	ports := make([]int, 0, len(unitOnPort))
	for p := range unitOnPort {
		if !seen[p] {
			ports = append(ports, p)
		}
	}
	sort.Ints(ports)
	for _, p := range ports {
		fmt.Fprintf(tw, "-\t%d\t%s\tno channel\t-\t-\t-\n", p, unitOnPort[p])
	}
	return tw.Flush()
}

func dash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}
