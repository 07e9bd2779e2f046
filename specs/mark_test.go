package specs_test

import (
	"context"
	"fmt"
	"sync/atomic"
	"time"

	. "github.com/onsi/gomega"

	"github.com/camrig/camrig/harness/camera"
)

// configMark is a setting written to a unit before an event and read back
// after it. It is how a factory reset is recognised by the unit's state
// (the setting gone, the unit inactive), not only by its console marker: a
// unit that wipes its config silently shows nothing on the console.
type configMark struct {
	t    *target
	name string
}

var marks atomic.Int64

// markConfig writes a fresh deviceName to a booted, activated unit. On a
// unit without an API it returns nil, and only the console can tell.
func markConfig(ctx context.Context, t *target) *configMark {
	if !hasAPI(t) {
		return nil
	}
	name := fmt.Sprintf("camrig-%s-%d-%d", t.name, time.Now().UnixNano()%1e6, marks.Add(1))
	Expect(t.Camera.SetDeviceName(ctx, name)).To(Succeed(), "%s: writing a setting to read back later", t.name)
	return &configMark{t: t, name: name}
}

// bootAndMark boots the unit (unless the spec before left it up), activates it and marks its config (nil
// mark: the unit has no API).
func bootAndMark(ctx context.Context, t *target) *configMark {
	if !hasAPI(t) {
		bootUnlessUp(ctx, t)
		return nil
	}
	bootedAndActive(ctx, t)
	return markConfig(ctx, t)
}

// kept requires the unit to answer activated with the setting still there
// after the event (e.g. "a power outage").
func (m *configMark) kept(ctx context.Context, after string) {
	if m == nil {
		return
	}
	t := m.t
	Expect(apiState(ctx, t)).To(Equal(camera.Activated),
		"%s came back inactive after %s: it was factory-reset", t.name, after)
	info, err := t.Camera.DeviceInfo(ctx)
	Expect(err).NotTo(HaveOccurred(), "%s: reading the settings back after %s", t.name, after)
	Expect(info.DeviceName).To(Equal(m.name), "%s lost its settings through %s (deviceName)", t.name, after)
}
