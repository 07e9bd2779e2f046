package nvrsim_test

import (
	"context"
	"testing"

	"github.com/camrig/camrig/rigs/virtual/isapisim"
	"github.com/camrig/camrig/rigs/virtual/isapisim/simtest"
	"github.com/camrig/camrig/rigs/virtual/nvrsim"
)

// Each NVR defect against the sound NVR: a fresh unit is probed, then
// loses power and is probed again.
func TestDefects(t *testing.T) {
	cases := []struct {
		name    string
		defects nvrsim.Defects
		ip      string
		// channel state after the first probe and after the power cut
		up, down   bool
		back       bool // online again once the unit is back
		activated  bool
		upDetect   string
		downDetect string
	}{
		{"sound", nvrsim.Defects{}, "127.0.0.54", true, false, true, true, nvrsim.DetectConnect, nvrsim.DetectNetUnreachable},
		{"never activates", nvrsim.Defects{NeverActivates: true}, "127.0.0.55", false, false, false, false, nvrsim.DetectConnecting, nvrsim.DetectNetUnreachable},
		{"channel stays online", nvrsim.Defects{ChannelStaysOnline: true}, "127.0.0.56", true, true, true, true, nvrsim.DetectConnect, nvrsim.DetectConnect},
		{"channel never returns", nvrsim.Defects{ChannelNeverReturns: true}, "127.0.0.57", true, false, false, true, nvrsim.DetectConnect, nvrsim.DetectNetUnreachable},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			cam := simtest.NewCamera(t, "cam", c.ip, isapisim.Config{Model: "m"})
			cfg := base()
			cfg.Defects = c.defects
			n, err := nvrsim.New(cfg)
			if err != nil {
				t.Fatal(err)
			}
			if err := n.Wire(2, cam.URL, cam.Powered); err != nil {
				t.Fatal(err)
			}
			ctx := context.Background()
			n.Probe(ctx)
			n.Probe(ctx) // a second look changes nothing more
			if cs := n.Channels(); len(cs) != 1 || cs[0].Online != c.up || cs[0].Detect != c.upDetect {
				t.Fatalf("powered: %+v, want online %v %s", cs, c.up, c.upDetect)
			}
			if v, _ := cam.Config().Get(isapisim.KeyActivated); (v == "true") != c.activated {
				t.Fatalf("activated %q, want %v", v, c.activated)
			}
			cam.PowerOff()
			n.Probe(ctx)
			if cs := n.Channels(); len(cs) != 1 || cs[0].Online != c.down || cs[0].Detect != c.downDetect {
				t.Fatalf("unpowered: %+v, want online %v %s", cs, c.down, c.downDetect)
			}
			cam.PowerOn()
			cam.WaitUp(t)
			n.Probe(ctx)
			if cs := n.Channels(); len(cs) != 1 || cs[0].Online != c.back {
				t.Fatalf("powered again: %+v, want online %v", cs, c.back)
			}
		})
	}
}
