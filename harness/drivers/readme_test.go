package drivers_test

import (
	"bufio"
	"os"
	"slices"
	"strings"
	"testing"

	_ "github.com/camrig/camrig/harness/drivers"
	"github.com/camrig/camrig/harness/led"
	"github.com/camrig/camrig/harness/power"
)

// driverRow is one row of README.md's driver table.
type driverRow struct {
	name string
	for_ []string // power, press, led
	line int
}

// readmeDrivers reads the table under "## Drivers" in README.md: the first
// column is the driver's name in backticks, the second what it serves.
func readmeDrivers(t *testing.T) []driverRow {
	t.Helper()
	f, err := os.Open("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var rows []driverRow
	inSection, inTable := false, false
	sc := bufio.NewScanner(f)
	for n := 1; sc.Scan(); n++ {
		line := sc.Text()
		switch {
		case strings.HasPrefix(line, "## "):
			inSection = line == "## Drivers"
			inTable = false
			continue
		case !inSection:
			continue
		case strings.HasPrefix(line, "| driver | for |"):
			inTable = true
			continue
		case inTable && !strings.HasPrefix(line, "|"):
			inTable = false
			continue
		case !inTable || strings.HasPrefix(line, "|---"):
			continue
		}
		cells := strings.Split(strings.Trim(line, "|"), "|")
		if len(cells) < 2 {
			t.Fatalf("README.md:%d: driver row with fewer than two cells: %s", n, line)
		}
		row := driverRow{name: strings.Trim(strings.TrimSpace(cells[0]), "`"), line: n}
		for _, k := range strings.Split(cells[1], ",") {
			row.for_ = append(row.for_, strings.TrimSpace(k))
		}
		rows = append(rows, row)
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	if len(rows) == 0 {
		t.Fatal("README.md has no driver table under ## Drivers")
	}
	return rows
}

// TestREADMEDriverTableMatchesRegistry keeps the documented drivers and the
// registered ones one set: a registered driver without a row, or a row
// naming no registered driver, fails.
func TestREADMEDriverTableMatchesRegistry(t *testing.T) {
	rows := readmeDrivers(t)
	documented := map[string]bool{} // "power:numato", "press:numato", "led:gpio"
	for _, r := range rows {
		for _, k := range r.for_ {
			switch k {
			case "power", "press":
				d, ok := power.Lookup(r.name)
				switch {
				case !ok:
					t.Errorf("README.md:%d: %q is documented for %s but no power driver registers it (registered: %v)", r.line, r.name, k, power.Drivers())
				case k == "press" && !d.Press:
					t.Errorf("README.md:%d: %q is documented for press but its driver cannot drive one (Driver.Press is false)", r.line, r.name)
				}
				documented[k+":"+r.name] = true
			case "led":
				if !slices.Contains(led.Drivers(), r.name) {
					t.Errorf("README.md:%d: %q is documented for led but no led driver registers it (registered: %v)", r.line, r.name, led.Drivers())
				}
				documented["led:"+r.name] = true
			default:
				t.Errorf("README.md:%d: %q: unknown use %q (want power, press or led)", r.line, r.name, k)
			}
		}
	}
	for _, name := range power.Drivers() {
		if !documented["power:"+name] {
			t.Errorf("power driver %q is registered but has no row in README.md's driver table", name)
		}
		if d, _ := power.Lookup(name); d.Press && !documented["press:"+name] {
			t.Errorf("power driver %q can drive a press but README.md's row does not say press", name)
		}
	}
	for _, d := range led.Drivers() {
		if !documented["led:"+d] {
			t.Errorf("led driver %q is registered but has no row in README.md's driver table", d)
		}
	}
}
