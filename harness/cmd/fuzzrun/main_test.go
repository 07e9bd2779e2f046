package main

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// The test binary doubles as a fake go command (fakeGoEnv names its state
// directory), so every outcome of a fuzzing run can be staged: the
// coordinator's deadline race, a crasher, a failing seed, a build error.
const fakeGoEnv = "FUZZRUN_FAKE_GO"

func TestMain(m *testing.M) {
	if dir := os.Getenv(fakeGoEnv); dir != "" {
		os.Exit(fakeGo(dir, os.Args[1:]))
	}
	os.Exit(m.Run())
}

// fakeGo answers `go list`, `go test -list` and `go test -fuzz` for one
// package holding FuzzA; each -fuzz run plays the next outcome of the
// comma-separated dir/script.
func fakeGo(dir string, args []string) int {
	script, _ := os.ReadFile(filepath.Join(dir, "script"))
	steps := strings.Split(strings.TrimSpace(string(script)), ",")
	switch {
	case args[0] == "list":
		fmt.Printf("example.com/p\t%s\n", dir)
		return 0
	case args[0] == "test" && args[1] == "-list":
		if steps[0] == "nobuild" {
			fmt.Fprintln(os.Stderr, "p.go:1:1: syntax error")
			return 1
		}
		fmt.Println("FuzzA\nok  \texample.com/p\t0.01s")
		return 0
	}
	countFile := filepath.Join(dir, "count")
	b, _ := os.ReadFile(countFile)
	n, _ := strconv.Atoi(string(b))
	os.WriteFile(countFile, []byte(strconv.Itoa(n+1)), 0o644)
	switch steps[n] {
	case "pass":
		fmt.Println("fuzz: elapsed: 0s, gathering baseline coverage\nfuzz: elapsed: 10s, execs: 100\nPASS")
		return 0
	case "race":
		fmt.Println("fuzz: elapsed: 10s, execs: 100\n--- FAIL: FuzzA (10.02s)\n    fuzzing process hung or terminated unexpectedly: exit status 2\nFAIL")
		return 1
	case "crash":
		corpus := filepath.Join(dir, "testdata", "fuzz", "FuzzA")
		os.MkdirAll(corpus, 0o755)
		os.WriteFile(filepath.Join(corpus, fmt.Sprintf("c0ffee%d", n)), []byte("go test fuzz v1\n"), 0o644)
		fmt.Println("fuzz: elapsed: 3s\n--- FAIL: FuzzA (3.00s)\n    Failing input written to testdata/fuzz/FuzzA/c0ffee\nFAIL")
		return 1
	case "seed":
		fmt.Println("failure while testing seed corpus entry: FuzzA/seed#0\n--- FAIL: FuzzA (0.00s)\nFAIL")
		return 1
	}
	return 3
}

func TestFuzzRunRetriesOnlyTheCoordinatorsRace(t *testing.T) {
	tests := []struct {
		script  string
		code    int
		runs    int
		retried bool
		say     string
	}{
		{"pass", 0, 1, false, "fuzzrun: 1 runs\n"},
		{"race,pass", 0, 2, true, "retried after the coordinator's deadline race: example.com/p FuzzA"},
		{"race,race", 1, 2, true, "FAIL example.com/p FuzzA: failed twice without writing a reproducer"},
		{"crash", 1, 1, false, "FAIL example.com/p FuzzA: crasher written under"},
		{"race,crash", 1, 2, true, "FAIL example.com/p FuzzA: crasher written under"},
		{"seed", 1, 1, false, "FAIL example.com/p FuzzA: a seed corpus entry fails"},
		{"nobuild", 1, 0, false, "FAIL example.com/p: listing fuzz targets"},
	}
	for _, tt := range tests {
		t.Run(tt.script, func(t *testing.T) {
			dir := t.TempDir()
			if err := os.WriteFile(filepath.Join(dir, "script"), []byte(tt.script), 0o644); err != nil {
				t.Fatal(err)
			}
			t.Setenv(fakeGoEnv, dir)
			var out, errb bytes.Buffer
			code := run([]string{"-go", os.Args[0], "-fuzztime", "1s"}, &out, &errb)
			runs := strings.Count(out.String(), "== example.com/p FuzzA\n")
			if code != tt.code || runs != tt.runs || strings.Contains(out.String(), "retrying once") != tt.retried ||
				!strings.Contains(out.String(), tt.say) {
				t.Fatalf("exit %d after %d runs, want %d after %d (retried %v) saying %q\nstdout:\n%s\nstderr:\n%s",
					code, runs, tt.code, tt.runs, tt.retried, tt.say, out.String(), errb.String())
			}
		})
	}
}
