package main

import (
	"bufio"
	"fmt"
	"io"
	"regexp"
	"sort"
	"strconv"
	"strings"
)

// results are a run's figures: for each benchmark (its full name without
// the -GOMAXPROCS suffix, sub-benchmarks included) and metric unit, the
// values of each of its runs in order.
type results map[string]map[string][]float64

// benchLine is a result line: name, iterations, then value-unit pairs.
var benchLine = regexp.MustCompile(`^(Benchmark\S+?)(?:-\d+)?\s+(\d+)\s+(.*)$`)

// benchName is a line go test began with a benchmark's name; orphan is
// its result when something the benchmark printed (a log line) came
// between the name and the result, which then starts a line of its own.
var (
	benchName = regexp.MustCompile(`^(Benchmark\S+?)(?:-\d+)?\s`)
	orphan    = regexp.MustCompile(`^\s+(\d+)\t\s*(.*)$`)
)

// maxLine bounds one line of input (a benchmark's log may be long).
const maxLine = 1 << 20

// readBench reads `go test -bench` output. failed reports a FAIL line (a
// package or benchmark that failed).
func readBench(r io.Reader) (results, bool, error) {
	res := results{}
	failed := false
	pending := "" // a benchmark whose name line was cut by its output
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64<<10), maxLine)
	for sc.Scan() {
		line := sc.Text()
		if strings.HasPrefix(line, "FAIL") || strings.HasPrefix(line, "--- FAIL") {
			failed = true
		}
		m := benchLine.FindStringSubmatch(line)
		var fields []string
		if m != nil {
			fields = strings.Fields(m[3])
		}
		if m == nil || len(fields)%2 != 0 || !isNumber(fields[0]) {
			if n := benchName.FindStringSubmatch(line); n != nil {
				pending = n[1]
			} else if o := orphan.FindStringSubmatch(line); o != nil && pending != "" {
				m, fields = []string{line, pending, o[1], o[2]}, strings.Fields(o[2])
			}
			if m == nil || len(fields)%2 != 0 || len(fields) == 0 || !isNumber(fields[0]) {
				continue // not a result line (a log line that happens to start so)
			}
		}
		pending = ""
		for i := 0; i < len(fields); i += 2 {
			v, err := strconv.ParseFloat(fields[i], 64)
			if err != nil {
				break
			}
			if res[m[1]] == nil {
				res[m[1]] = map[string][]float64{}
			}
			res[m[1]][fields[i+1]] = append(res[m[1]][fields[i+1]], v)
		}
	}
	if err := sc.Err(); err != nil {
		return res, failed, fmt.Errorf("reading the benchmark output: %w", err)
	}
	return res, failed, nil
}

func isNumber(s string) bool {
	_, err := strconv.ParseFloat(s, 64)
	return err == nil
}

// median of the values (NaN-free; 0 values: ok false).
func median(v []float64) (float64, bool) {
	if len(v) == 0 {
		return 0, false
	}
	s := append([]float64(nil), v...)
	sort.Float64s(s)
	if len(s)%2 == 1 {
		return s[len(s)/2], true
	}
	return (s[len(s)/2-1] + s[len(s)/2]) / 2, true
}

// spread is the largest value over the smallest (1 for one value; 0 when a
// value is 0 and so no ratio exists).
func spread(v []float64) float64 {
	if len(v) == 0 {
		return 0
	}
	lo, hi := v[0], v[0]
	for _, x := range v {
		lo, hi = min(lo, x), max(hi, x)
	}
	if lo <= 0 {
		return 0
	}
	return hi / lo
}
