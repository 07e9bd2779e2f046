package virtual

import (
	"fmt"
	"math/rand/v2"
	"net"
	"os"
	"path/filepath"
	"regexp"
	"strings"
)

var (
	loopbackInFile = regexp.MustCompile(`127\.0\.0\.(\d+):(\d+)`)
	profilesLine   = regexp.MustCompile(`(?m)^profiles:\s*(\S+)\s*$`)
	timescaleLine  = regexp.MustCompile(`(?m)^timescale: .*$`)
	stateDirLine   = regexp.MustCompile(`(?m)^state_dir:.*$`)
	// labSection is the top-level lab: key with its indented lines: the
	// lab's etcd is shared by every run (that is its point), so its
	// addresses are not moved.
	labSection = regexp.MustCompile(`(?m)^lab:.*(?:\n(?:[ \t#].*)?)*`)
)

// isolateTries is how many random loopback /16s Isolate tries before it
// settles for one with a busy address (Start then reports that address as
// not served, and a run fails on it).
const isolateTries = 10

// Isolate writes a copy of the rig file at rigPath into dir (as
// dir/<base name>) for a simulator of one run's own, and returns its path.
// In the copy state_dir is dir, so its ptys, lock, leases and device state
// are the run's; loopback addresses 127.0.0.x:port move to a random
// 127.a.b.x whose every address is free now, so its listeners are too; the
// profiles path is made absolute; and timescale is replaced when it is
// not 0. A lab: section is copied as it is (the lab's etcd is what runs
// share). Two runs of one rig file on one host, each on its own Isolate
// copy, never share a device.
func Isolate(rigPath, dir string, timescale float64) (string, error) {
	data, err := os.ReadFile(rigPath)
	if err != nil {
		return "", fmt.Errorf("virtual rig: %w", err)
	}
	s := string(data)
	if m := profilesLine.FindStringSubmatch(s); m != nil && !filepath.IsAbs(m[1]) {
		abs, err := filepath.Abs(filepath.Join(filepath.Dir(rigPath), m[1]))
		if err != nil {
			return "", fmt.Errorf("virtual rig: %w", err)
		}
		s = strings.Replace(s, m[0], "profiles: "+abs, 1)
	}
	if timescale != 0 {
		s = timescaleLine.ReplaceAllString(s, fmt.Sprintf("timescale: %g", timescale))
	}
	absDir, err := filepath.Abs(dir)
	if err != nil {
		return "", fmt.Errorf("virtual rig: %w", err)
	}
	if stateDirLine.MatchString(s) {
		s = stateDirLine.ReplaceAllLiteralString(s, "state_dir: "+absDir)
	} else {
		s += "\nstate_dir: " + absDir + "\n"
	}
	lab := labSection.FindString(s)
	const labMark = "\x00lab\x00"
	if lab != "" {
		s = strings.Replace(s, lab, labMark, 1)
	}
	for try := 1; ; try++ {
		net16 := fmt.Sprintf("127.%d.%d.", 1+rand.IntN(254), 1+rand.IntN(254))
		out := loopbackInFile.ReplaceAllString(s, net16+"$1:$2")
		out = strings.Replace(out, labMark, lab, 1)
		if allFree(loopbackInFile.FindAllString(out, -1)) || try == isolateTries {
			path := filepath.Join(absDir, filepath.Base(rigPath))
			if err := os.WriteFile(path, []byte(out), 0o644); err != nil {
				return "", fmt.Errorf("virtual rig: %w", err)
			}
			return path, nil
		}
	}
}

// allFree reports whether every address can be bound now.
func allFree(addrs []string) bool {
	for _, a := range addrs {
		ln, err := net.Listen("tcp", a)
		if err != nil {
			return false
		}
		ln.Close()
	}
	return true
}
