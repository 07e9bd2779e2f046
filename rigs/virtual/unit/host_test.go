package unit

import (
	"sort"
	"strings"
	"testing"

	"github.com/camrig/camrig/rigs/virtual/device"
)

func TestFactoryResetFromTheHost(t *testing.T) {
	seed := map[string]string{
		"network.ip": "10.0.0.5", "users.admin": "x", "password": "p",
		"isapi.activated": "true", "net.dhcp": "off", EnvPrefix + "bootargs": "quiet",
	}
	cases := []struct {
		name string
		full bool
		keep func(*device.Store) []string
		want string // kept keys, sorted
	}{
		{"full keeps only the bootloader env", true, nil, "env.bootargs"},
		{"basic keeps network and users by default", false, nil, "env.bootargs network.ip users.admin"},
		{"basic with the API's own list", false, func(st *device.Store) []string { return []string{"isapi.activated", "net.dhcp"} },
			"env.bootargs isapi.activated net.dhcp"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			h := newHarness(t, "hikvision-ds2cd", setup{fast: true})
			h.SetBasicResetKeep(c.keep)
			h.SetPower(true)
			h.waitState(t, StateUp)
			for k, v := range seed {
				if err := h.WriteConfig(k, v, 0); err != nil {
					t.Fatal(err)
				}
			}
			h.FactoryReset(c.full)
			mode := "basic"
			if c.full {
				mode = "full"
			}
			h.con.expect(t, "factory reset ("+mode+") -> restore default\r\n")
			h.con.expect(t, "erasing config partition ... done\r\nfactory defaults restored ("+mode+")\r\n")
			h.waitState(t, StateUp)
			keys := h.Config().Keys()
			sort.Strings(keys)
			if got := strings.Join(keys, " "); got != c.want {
				t.Fatalf("kept %q, want %q", got, c.want)
			}
		})
	}
}

func TestHostIdentity(t *testing.T) {
	h := newHarness(t, "generic-poe-ipc", setup{fast: true})
	var host device.Host = h.Unit
	if host.Name() != "cam-test" || host.Model() != "generic-poe-ipc" || host.Config() == nil {
		t.Fatalf("host %s %s", host.Name(), host.Model())
	}
	// Reboot and FactoryReset of an unpowered unit do nothing.
	host.Reboot("test")
	host.FactoryReset(true)
	if h.BootCount() != 0 || h.Powered() {
		t.Fatalf("unpowered unit restarted: boots %d", h.BootCount())
	}
}
