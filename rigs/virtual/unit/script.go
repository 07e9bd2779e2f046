package unit

import (
	"bytes"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/camrig/camrig/rigs/virtual/inputfile"
)

// Directives of a boot script (fixtures/boot/README.md).
const (
	DirAutoboot   = "autoboot"
	DirFlashcheck = "flashcheck"
	DirRecovery   = "recovery"
	DirFactory    = "factory"
)

// maxScriptDelay bounds one delay; anything longer is a typo.
const maxScriptDelay = time.Hour

// Step is one entry of a boot script: a line to print after Delay (device
// time), or a directive.
type Step struct {
	Line      int
	Delay     time.Duration
	Text      string
	Directive string
}

// Script is what a unit prints on its UART from power-on.
type Script struct {
	File  string
	Steps []Step
}

// LoadScript reads a boot script file.
func LoadScript(path string) (*Script, error) {
	data, err := inputfile.Read(path, inputfile.MaxYAML)
	if err != nil {
		return nil, fmt.Errorf("boot script: %w", err)
	}
	return ParseScript(path, data)
}

// ParseScript parses a boot script:
//
//	+DELAY TEXT     print TEXT after DELAY (a Go duration; TEXT may be empty)
//	%directive      autoboot, flashcheck, recovery or factory (each at most once)
//	# comment
//
// Blank lines are skipped; trailing CRs are dropped. Errors name file:line.
func ParseScript(file string, data []byte) (*Script, error) {
	s := &Script{File: file}
	seen := map[string]int{}
	var errs []error
	for i, raw := range bytes.Split(data, []byte("\n")) {
		line := strings.TrimRight(string(raw), "\r")
		n := i + 1
		bad := func(format string, a ...any) {
			errs = append(errs, fmt.Errorf("%s:%d: "+format, append([]any{file, n}, a...)...))
		}
		switch {
		case strings.TrimSpace(line) == "", line[0] == '#':
		case line[0] == '%':
			d := strings.TrimSpace(line[1:])
			switch d {
			case DirAutoboot, DirFlashcheck, DirRecovery, DirFactory:
			default:
				bad("unknown directive %%%s (want %%autoboot, %%flashcheck, %%recovery or %%factory)", d)
				continue
			}
			if prev, dup := seen[d]; dup {
				bad("%%%s again (first at line %d)", d, prev)
				continue
			}
			seen[d] = n
			s.Steps = append(s.Steps, Step{Line: n, Directive: d})
		case line[0] == '+':
			spec, text, _ := strings.Cut(line[1:], " ")
			d, err := time.ParseDuration(spec)
			switch {
			case err != nil:
				bad("delay %q: %v", spec, err)
			case d < 0 || d > maxScriptDelay:
				bad("delay %v out of range 0..%v", d, maxScriptDelay)
			default:
				s.Steps = append(s.Steps, Step{Line: n, Delay: d, Text: text})
			}
		default:
			bad("want \"+DELAY TEXT\", \"%%directive\" or \"# comment\", got %q", clip(line, 40))
		}
	}
	if len(errs) > 0 {
		return nil, errors.Join(errs...)
	}
	return s, nil
}

// Render writes the script back in its file format.
func (s *Script) Render() []byte {
	var b bytes.Buffer
	for _, st := range s.Steps {
		if st.Directive != "" {
			fmt.Fprintf(&b, "%%%s\n", st.Directive)
			continue
		}
		fmt.Fprintf(&b, "+%s", st.Delay)
		if st.Text != "" {
			b.WriteString(" " + st.Text)
		}
		b.WriteByte('\n')
	}
	return b.Bytes()
}

// has reports whether the script uses directive d.
func (s *Script) has(d string) bool {
	for _, st := range s.Steps {
		if st.Directive == d {
			return true
		}
	}
	return false
}

// prints reports whether some line contains marker.
func (s *Script) prints(marker string) bool {
	for _, st := range s.Steps {
		if st.Directive == "" && strings.Contains(st.Text, marker) {
			return true
		}
	}
	return false
}

func clip(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "..."
}
