// Command benchtable turns the output of `go test -bench` (run with
// -count=N) into the one table `make bench` prints: every performance
// figure the project quotes, the median of its N runs, its anchor measured
// in the same run (Debian's expect, lrzsz's sb, the 4-unit suite, a
// person's hand), the ratio, the goal and whether the median meets it,
// then the machine's load while the benchmarks ran. It copies its input
// to stdout as it reads it, so the run's progress stays visible.
//
//	go test -run '^$' -bench . -benchtime=1x -count=3 ./... | go run ./harness/cmd/benchtable
//
// It exits 1 when the input holds a FAIL line (the benchmarks themselves
// failed); a goal not met is reported in the table, not as an exit code:
// these machines are shared and noisy, and the table says the load.
package main

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"os"
	"runtime"
)

func main() {
	ctx, cancel := context.WithCancel(context.Background())
	loads := sampleLoad(ctx, loadEvery)
	res, failed, err := readBench(io.TeeReader(os.Stdin, os.Stdout))
	cancel()
	if err != nil {
		fmt.Fprintf(os.Stderr, "benchtable: %v\n", err)
		os.Exit(2)
	}
	w := bufio.NewWriter(os.Stdout)
	printTable(w, res, rows, <-loads, runtime.NumCPU())
	w.Flush()
	if failed {
		fmt.Fprintln(os.Stderr, "benchtable: some benchmarks failed (FAIL above)")
		os.Exit(1)
	}
}
