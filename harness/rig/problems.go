package rig

import (
	"fmt"
	"strings"

	"go.yaml.in/yaml/v3"

	"github.com/camrig/camrig/harness/internal/bindcheck"
	"github.com/camrig/camrig/harness/internal/strictyaml"
)

// problems collects every semantic error of one file, each placed at the
// line of the key it is about, so Load reports them all at once.
type problems struct {
	file string
	dir  string // the rig file's directory, for relative paths
	root *yaml.Node
	errs strictyaml.Errors
}

// add records msg about the key at path ("units", "[1]", "power",
// "driver"). The message starts with the dotted key so the reader knows
// which one of several keys on a flow-style line is meant.
func (p *problems) add(path []string, format string, args ...any) {
	p.errs = append(p.errs, &strictyaml.Error{
		File: p.file,
		Line: strictyaml.Line(p.root, path...),
		Msg:  keyName(path) + ": " + fmt.Sprintf(format, args...),
	})
}

// addAt records an error that belongs to a line found otherwise.
func (p *problems) addAt(line int, key, format string, args ...any) {
	p.errs = append(p.errs, &strictyaml.Error{File: p.file, Line: line, Msg: key + ": " + fmt.Sprintf(format, args...)})
}

// addAll records a driver's problems, each at its key under base.
func (p *problems) addAll(base []string, found bindcheck.Problems) {
	for _, f := range found {
		path := base
		if f.Key != "" {
			path = at(base, f.Key)
		}
		p.add(path, "%s", f.Msg)
	}
}

// err records a check's error (if any) about the key at path.
func (p *problems) err(path []string, err error) {
	if err != nil {
		p.add(path, "%s", err.Error())
	}
}

func (p *problems) result() error {
	if len(p.errs) == 0 {
		return nil
	}
	return p.errs
}

// keyName renders a path as units[1].power.driver.
func keyName(path []string) string {
	var b strings.Builder
	for _, s := range path {
		if !strings.HasPrefix(s, "[") && b.Len() > 0 {
			b.WriteByte('.')
		}
		b.WriteString(s)
	}
	return b.String()
}

// at builds a path without aliasing the caller's slice.
func at(base []string, more ...string) []string {
	out := make([]string, 0, len(base)+len(more))
	return append(append(out, base...), more...)
}
