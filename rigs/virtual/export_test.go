package virtual

import (
	"fmt"
	"math/rand/v2"
	"net"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"
)

// ShippedRig is the rig file the project ships.
const ShippedRig = "../virtual.yaml"

var loopbackInFile = regexp.MustCompile(`127\.0\.0\.(\d+):(\d+)`)

// RelocatedRig writes a copy of the shipped rig file into dir with its
// loopback addresses moved to a random 127.a.b.0/24, its profiles path
// made absolute and the given timescale (0: unchanged), and returns its
// path. Test packages run in parallel, each with a simulator of its own:
// the state dir keeps their ptys apart, this keeps their listeners apart.
func RelocatedRig(t testing.TB, dir string, timescale float64) string {
	t.Helper()
	data, err := os.ReadFile(ShippedRig)
	if err != nil {
		t.Fatal(err)
	}
	profiles, err := filepath.Abs("../../fixtures/profiles")
	if err != nil {
		t.Fatal(err)
	}
	s := strings.Replace(string(data), "profiles: ../fixtures/profiles", "profiles: "+profiles, 1)
	if timescale != 0 {
		re := regexp.MustCompile(`(?m)^timescale: .*$`)
		s = re.ReplaceAllString(s, fmt.Sprintf("timescale: %g", timescale))
	}
	for try := 0; ; try++ {
		net16 := fmt.Sprintf("127.%d.%d.", 1+rand.IntN(254), 1+rand.IntN(254))
		out := loopbackInFile.ReplaceAllString(s, net16+"$1:$2")
		if free(loopbackInFile.FindAllString(out, -1)) || try == 10 {
			path := filepath.Join(dir, "virtual.yaml")
			if err := os.WriteFile(path, []byte(out), 0o644); err != nil {
				t.Fatal(err)
			}
			return path
		}
	}
}

// free reports whether every address can be bound now.
func free(addrs []string) bool {
	for _, a := range addrs {
		ln, err := net.Listen("tcp", strings.TrimPrefix(a, "http://"))
		if err != nil {
			return false
		}
		ln.Close()
	}
	return true
}

// SetBindPatience shortens how long Start waits for a busy address.
func SetBindPatience(t testing.TB, d time.Duration) {
	old := bindPatience
	bindPatience = d
	t.Cleanup(func() { bindPatience = old })
}
