package virtual

import (
	"time"

	"github.com/camrig/camrig/rigs/virtual/ubootsim"
	"github.com/camrig/camrig/rigs/virtual/unit"
)

// minCharTimeout keeps the receivers' per-character timeout above a
// loaded machine's scheduling latency: the UART's line rate is never
// scaled, so a scaled 2 s would time out live transfers.
const minCharTimeout = 200 * time.Millisecond

// attachBootloader gives a unit with an emulated flash U-Boot's serial
// load and flash commands (loady, loadx, crc32, mw.b, cmp.b, sf) over its
// chip and a RAM window at the profile's load address large enough for
// the firmware partition. U-Boot's own waits are scaled by the timescale.
func (r *Rig) attachBootloader(u *unit.Unit, fl *unitFlash) {
	const mib = 1 << 20
	size := (fl.fwSize+mib-1)/mib*mib + mib
	ram := ubootsim.NewRAM(uint64(u.Profile().Flash.LoadAddr), size)
	t := ubootsim.DefaultTiming().Scaled(r.file.Timescale)
	t.CharTimeout = max(t.CharTimeout, minCharTimeout)
	cmds := ubootsim.Commands(fl.chip, ram, ubootsim.WithTiming(t))
	if fl.nand != nil {
		cmds = append(cmds, ubootsim.NANDCommands(fl.nand, ram, fl.parts)...)
	}
	for _, c := range cmds {
		u.AddCommand(c.Name, c.Run)
		u.SetCommandHelp(c.Name, c.Summary)
	}
}
