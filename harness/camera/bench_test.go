package camera_test

import (
	"context"
	"testing"

	"github.com/camrig/camrig/harness/secret"
	"github.com/camrig/camrig/rigs/virtual/isapisim"
	"github.com/camrig/camrig/rigs/virtual/isapisim/simtest"
)

// BenchmarkDeviceInfo: one Digest-authenticated call to a virtual unit
// over loopback (new TCP connection each call, as the client does).
func BenchmarkDeviceInfo(b *testing.B) {
	cam := simtest.NewCamera(b, "bench", "127.0.0.27", isapisim.Config{Model: "m"})
	ctx := context.Background()
	c := newClientB(b, cam.URL)
	if err := c.Activate(ctx, secret.Literal(goodPassword)); err != nil {
		b.Fatal(err)
	}
	for b.Loop() {
		if _, err := c.DeviceInfo(ctx); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkActivate: the whole activation exchange, dominated by the
// client's RSA-1024 key generation.
func BenchmarkActivate(b *testing.B) {
	cam := simtest.NewCamera(b, "bench", "127.0.0.28", isapisim.Config{Model: "m"})
	ctx := context.Background()
	c := newClientB(b, cam.URL)
	for b.Loop() {
		b.StopTimer()
		cam.Config().Wipe()
		b.StartTimer()
		if err := c.Activate(ctx, secret.Literal(goodPassword)); err != nil {
			b.Fatal(err)
		}
	}
}
