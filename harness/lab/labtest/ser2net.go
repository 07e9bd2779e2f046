package labtest

import (
	"os"
	"testing"

	"github.com/camrig/camrig/harness/internal/ser2nettest"
)

// Ser2net serves the serial device over RFC 2217 on a free loopback port,
// as a lab's bench host serves its units' UARTs, and returns the console
// port to put in a rig file (rfc2217://127.0.0.1:N). It skips the test when
// ser2net is not installed (make deps installs it), unless
// CAMRIG_REQUIRE_ETCD is set.
func Ser2net(t testing.TB, device string, baud int) string {
	t.Helper()
	addr := ser2nettest.Start(t, device, baud, ser2nettest.Options{Required: os.Getenv("CAMRIG_REQUIRE_ETCD") != ""})
	return "rfc2217://" + addr
}
