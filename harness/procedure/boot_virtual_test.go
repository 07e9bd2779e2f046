package procedure_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/camrig/camrig/harness/procedure"
)

// TestBootOfABrickedVirtualUnitFailsOnItsBadImage: the virtual unit's
// bootloader refuses the corrupt image in its flash ("Bad Data CRC") and
// stops at its prompt. A cold boot reports that, with the bootloader's
// lines, as soon as the line arrives, instead of waiting out the boot
// deadline for a ready marker that cannot come.
func TestBootOfABrickedVirtualUnitFailsOnItsBadImage(t *testing.T) {
	r, _ := bricked(t)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	_, u := openCam4(t, ctx, r)
	_, err := procedure.ColdBoot(ctx, u)
	var fe *procedure.BootFailureError
	if !errors.As(err, &fe) || errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("err = %v", err)
	}
	if fe.Marker.Name != "bad-image" || !strings.Contains(fe.Line, "Bad Data CRC") {
		t.Fatalf("marker %v, line %q", fe.Marker, fe.Line)
	}
	if !strings.Contains(strings.Join(fe.Context, "\n"), u.Profile.Bootloader.Banner) {
		t.Fatalf("the error's console lines do not show the bootloader: %q", fe.Context)
	}
	if fe.After <= 0 || fe.After >= u.D(u.Profile.Boot.Deadline) {
		t.Fatalf("failure seen %v after power on (deadline %v)", fe.After, u.D(u.Profile.Boot.Deadline))
	}
}
