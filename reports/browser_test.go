package reports_test

import (
	"bytes"
	"context"
	"encoding/xml"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/onsi/ginkgo/v2/reporters"
	"github.com/onsi/ginkgo/v2/types"

	"github.com/camrig/camrig/reports"
)

// chromiumTimeout bounds one headless Chromium run (a cold start on a busy
// 2-core machine takes a few seconds).
const chromiumTimeout = 90 * time.Second

// chromium runs Debian's headless Chromium on page with extra flags and
// returns its stdout and its log (stderr). The flags keep it off the
// network: this machine has none, and a browser that tries stalls.
func chromium(t *testing.T, page string, extra ...string) (string, string) {
	t.Helper()
	bin, err := exec.LookPath("chromium")
	if err != nil {
		if os.Getenv("CI") != "" {
			t.Fatalf("chromium not installed: `make deps` installs Debian's chromium")
		}
		t.Skip("skipping: chromium not installed (Debian chromium; `make deps`)")
	}
	ctx, cancel := context.WithTimeout(context.Background(), chromiumTimeout)
	defer cancel()
	args := append([]string{"--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
		"--disable-background-networking", "--disable-component-update", "--disable-sync",
		"--user-data-dir=" + t.TempDir(), "--enable-logging=stderr", "--v=0"}, extra...)
	args = append(args, "file://"+page)
	cmd := exec.CommandContext(ctx, bin, args...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("chromium %s: %v\n%s", page, err, stderr.String())
	}
	return stdout.String(), stderr.String()
}

// consoleLines are what the page said on its JavaScript console: Chromium
// logs each message as ":CONSOLE(line)]".
func consoleLines(log string) []string {
	var out []string
	for _, l := range strings.Split(log, "\n") {
		if strings.Contains(l, ":CONSOLE") {
			out = append(out, l)
		}
	}
	return out
}

// The check would catch a broken page: a script error shows in the log.
func TestChromiumReportsConsoleErrors(t *testing.T) {
	page := filepath.Join(t.TempDir(), "broken.html")
	if err := os.WriteFile(page, []byte(`<!DOCTYPE html><html><body><script>undefinedFunction();</script></body></html>`), 0o644); err != nil {
		t.Fatal(err)
	}
	_, log := chromium(t, page, "--dump-dom")
	if len(consoleLines(log)) == 0 {
		t.Fatalf("a page with a script error logged nothing on the console; the report check could not fail:\n%s", log)
	}
}

var shownRe = regexp.MustCompile(`data-shown="(\d+)/(\d+)/(\d+)"`)

// The report opens in a real browser without a console error, its matrix
// (as the browser counts its cells) equals the JUnit counts, and a
// screenshot is kept under reports/out/ for a person to look at.
func TestReportInChromium(t *testing.T) {
	out, err := filepath.Abs(filepath.Join("out", "report-check"))
	if err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(out, 0o755); err != nil {
		t.Fatal(err)
	}
	rep := roundTrip(t, gateReport())
	if err := reports.WriteDir(out, []types.Report{rep}); err != nil {
		t.Fatal(err)
	}
	if err := reports.WriteJUnit(out, rep); err != nil {
		t.Fatal(err)
	}
	page := filepath.Join(out, reports.IndexFile)
	dom, log := chromium(t, page, "--dump-dom")
	if lines := consoleLines(log); len(lines) > 0 {
		t.Errorf("the report logged on the browser console:\n%s", strings.Join(lines, "\n"))
	}
	m := shownRe.FindStringSubmatch(dom)
	if m == nil {
		t.Fatalf("the browser did not count the matrix (no data-shown in the DOM)")
	}
	raw, err := os.ReadFile(filepath.Join(out, reports.JUnitFile))
	if err != nil {
		t.Fatal(err)
	}
	var suites reporters.JUnitTestSuites
	if err := xml.Unmarshal(raw, &suites); err != nil {
		t.Fatal(err)
	}
	s := suites.TestSuites[0]
	junit := fmt.Sprintf("%d/%d/%d", s.Tests-s.Failures-s.Errors-s.Skipped-s.Disabled, s.Failures+s.Errors, s.Skipped+s.Disabled)
	if got := m[1] + "/" + m[2] + "/" + m[3]; got != junit {
		t.Errorf("matrix in the browser passed/failed/skipped = %s, JUnit = %s", got, junit)
	}
	shot := filepath.Join(out, "screenshot.png")
	os.Remove(shot)
	chromium(t, page, "--screenshot="+shot, "--window-size=1280,1400", "--hide-scrollbars")
	if st, err := os.Stat(shot); err != nil || st.Size() < 1000 {
		t.Fatalf("no screenshot at %s: %v", shot, err)
	}
	t.Logf("screenshot: %s", shot)
}
