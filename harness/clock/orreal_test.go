package clock_test

import (
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// deliberateWallClock are the harness's uses of clock.Real{} that are not a
// default for a missing clock, with why.
var deliberateWallClock = map[string]int{
	// Restoring the safe state after a signal or a panic, and the last
	// second before a re-raised signal ends the process: no run's clock
	// applies there, and the hardware must be safe in real seconds.
	"safety/safety.go": 2,
	// LoggedDeps: backend tests that talk to real peers on the wall clock.
	"power/powertest/logs.go": 1,
}

// TestNoOtherDefaultClock keeps "no clock given means the wall clock" in
// clock.OrReal: a package that writes its own `if c == nil { c =
// clock.Real{} }` fails here.
func TestNoOtherDefaultClock(t *testing.T) {
	root := filepath.Join("..")
	found := map[string]int{}
	err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || !strings.HasSuffix(path, ".go") || strings.HasSuffix(path, "_test.go") {
			return err
		}
		rel, _ := filepath.Rel(root, path)
		if strings.HasPrefix(rel, "clock/") {
			return nil
		}
		data, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		if n := strings.Count(string(data), "clock.Real{}"); n > 0 {
			found[filepath.ToSlash(rel)] = n
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	for file, n := range found {
		if n != deliberateWallClock[file] {
			t.Errorf("harness/%s uses clock.Real{} %d time(s): a missing clock defaults through clock.OrReal (or add the file to deliberateWallClock, saying why)", file, n)
		}
	}
	for file := range deliberateWallClock {
		if found[file] == 0 {
			t.Errorf("deliberateWallClock lists harness/%s, which no longer uses clock.Real{}: remove it", file)
		}
	}
}
