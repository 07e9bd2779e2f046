package rig

import (
	"github.com/camrig/camrig/harness/power"
	"github.com/camrig/camrig/harness/secret"
)

// Secrets are every credential the rig file names: each unit's API
// password, the NVR's, each plug's or switch's password and SNMP community.
// Anything that renders a whole run (a report) redacts them all: a unit's
// failure may quote what any device of the rig sent.
func (r *Rig) Secrets() []secret.Secret {
	var out []secret.Secret
	if r.NVR != nil {
		out = append(out, r.NVR.Password)
	}
	binding := func(c *power.Config) {
		if c == nil {
			return
		}
		if p := c.Password(); !p.IsZero() {
			out = append(out, p)
		}
		if c.CommunityEnv != "" {
			out = append(out, secret.FromEnv(c.CommunityEnv))
		}
	}
	for _, u := range r.Units {
		if u.API != nil {
			out = append(out, u.API.Password)
		}
		binding(u.Power)
		binding(u.Press)
	}
	return out
}
