// Package strictyaml decodes YAML into Go structs, refusing unknown keys and
// wrong types, and reports every problem as "file:line: message" so a lab
// engineer can jump straight to the typo.
package strictyaml

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"regexp"
	"strconv"
	"strings"

	"go.yaml.in/yaml/v3"
)

// Error is one problem at a place in a file.
type Error struct {
	File string
	Line int
	Msg  string
}

func (e *Error) Error() string {
	if e.Line > 0 {
		return fmt.Sprintf("%s:%d: %s", e.File, e.Line, e.Msg)
	}
	return fmt.Sprintf("%s: %s", e.File, e.Msg)
}

// Errors is every problem found in one file.
type Errors []*Error

func (es Errors) Error() string {
	parts := make([]string, len(es))
	for i, e := range es {
		parts[i] = e.Error()
	}
	return strings.Join(parts, "\n")
}

// MaxSize bounds what Decode will read: rig files and profiles are small, and
// a runaway file should not exhaust memory.
const MaxSize = 1 << 20

var (
	lineRe    = regexp.MustCompile(`^line (\d+): (.*)$`)
	unknownRe = regexp.MustCompile(`^field (\S+) not found in type `)
	// The quoted value is absent for a mapping or a list.
	typeRe = regexp.MustCompile("^cannot unmarshal !!(\\w+)(?: `(.*)`)? into (\\S+)$")
)

// Decode parses data (named file in errors) into out strictly. It also
// returns the document's root node, so callers can find the line of a key
// for semantic errors (Line).
func Decode(file string, data []byte, out any) (*yaml.Node, error) {
	if len(data) > MaxSize {
		return nil, &Error{File: file, Msg: fmt.Sprintf("file is %d bytes, larger than the %d allowed", len(data), MaxSize)}
	}
	var root yaml.Node
	if err := yaml.Unmarshal(data, &root); err != nil {
		return nil, translate(file, nil, err)
	}
	if len(root.Content) == 0 {
		return nil, &Error{File: file, Msg: "empty document"}
	}
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true)
	if err := dec.Decode(out); err != nil {
		if errors.Is(err, io.EOF) {
			return nil, &Error{File: file, Msg: "empty document"}
		}
		return nil, translate(file, &root, err)
	}
	return &root, nil
}

// translate turns yaml.v3's messages into file:line errors in the words a
// rig author uses (key, value) rather than Go type names.
func translate(file string, root *yaml.Node, err error) error {
	var te *yaml.TypeError
	var msgs []string
	if errors.As(err, &te) {
		msgs = te.Errors
	} else {
		msgs = []string{strings.TrimPrefix(err.Error(), "yaml: ")}
	}
	var out Errors
	named := map[*yaml.Node]bool{} // keys already blamed: two bad values alike on one line are two keys
	for _, m := range msgs {
		e := &Error{File: file, Msg: m}
		if sm := lineRe.FindStringSubmatch(m); sm != nil {
			e.Line, _ = strconv.Atoi(sm[1])
			e.Msg = sm[2]
		}
		if sm := unknownRe.FindStringSubmatch(e.Msg); sm != nil {
			e.Msg = fmt.Sprintf("unknown key %q", sm[1])
		} else if sm := typeRe.FindStringSubmatch(e.Msg); sm != nil {
			// The value itself is not echoed: it may be a password typed
			// under the wrong key.
			e.Msg = fmt.Sprintf("got a %s, want %s", yamlKind(sm[1]), friendlyType(sm[3]))
			// On a flow line ({port: x, channel: two}) the key is the one
			// whose value is the one yaml quotes, not the line's first.
			if k := keyWithValue(root, e.Line, sm[1], sm[2], named); k != "" {
				e.Msg = fmt.Sprintf("key %q: %s", k, e.Msg)
			}
		} else if k := keyAtLine(root, e.Line); k != "" && e.Line > 0 && !strings.Contains(e.Msg, k) {
			e.Msg = fmt.Sprintf("key %q: %s", k, e.Msg)
		}
		out = append(out, e)
	}
	if len(out) == 1 {
		return out[0]
	}
	return out
}

func friendlyType(goType string) string {
	switch {
	case goType == "time.Duration":
		return "a duration like 10s or 1m30s"
	case strings.HasPrefix(goType, "int"), strings.HasPrefix(goType, "uint"):
		return "a whole number"
	case strings.HasPrefix(goType, "float"):
		return "a number"
	case goType == "bool":
		return "true or false"
	case goType == "string":
		return "a string"
	case strings.HasPrefix(goType, "[]"):
		return "a list"
	case strings.HasPrefix(goType, "map"):
		return "a mapping"
	default:
		return "a mapping"
	}
}

// Line returns the line of the value at path (keys, or "[i]" for list
// items) in the document root, or 0 when the path is absent. Semantic
// checks use it to name the line of the offending key.
func Line(root *yaml.Node, path ...string) int {
	n := root
	if n != nil && n.Kind == yaml.DocumentNode && len(n.Content) > 0 {
		n = n.Content[0]
	}
	line := 0
	for _, p := range path {
		if n == nil {
			return line
		}
		switch {
		case strings.HasPrefix(p, "[") && n.Kind == yaml.SequenceNode:
			i, err := strconv.Atoi(strings.Trim(p, "[]"))
			if err != nil || i < 0 || i >= len(n.Content) {
				return line
			}
			n = n.Content[i]
			line = n.Line
		case n.Kind == yaml.MappingNode:
			found := false
			for i := 0; i+1 < len(n.Content); i += 2 {
				if n.Content[i].Value == p {
					line = n.Content[i].Line
					n = n.Content[i+1]
					found = true
					break
				}
			}
			if !found {
				return line
			}
		default:
			return line
		}
	}
	return line
}

// keyWithValue finds the mapping key on line whose value is the one a yaml
// type error quotes: tag is its kind (str, int, map...), quoted its text as
// yaml shows it (cut to 7 bytes and "..." when longer than 10). It falls
// back to the first key on the line.
func keyWithValue(n *yaml.Node, line int, tag, quoted string, named map[*yaml.Node]bool) string {
	prefix, cut := strings.CutSuffix(quoted, "...")
	var found string
	var walk func(n *yaml.Node) bool
	walk = func(n *yaml.Node) bool {
		if n == nil {
			return false
		}
		// Innermost first: a mapping value that is wrong sits inside
		// the mapping that holds it, on the same line.
		for _, c := range n.Content {
			if walk(c) {
				return true
			}
		}
		if n.Kind == yaml.MappingNode {
			for i := 0; i+1 < len(n.Content); i += 2 {
				v := n.Content[i+1]
				if v.Line != line || strings.TrimPrefix(v.ShortTag(), "!!") != tag {
					continue
				}
				if named[n.Content[i]] {
					continue
				}
				if v.Kind != yaml.ScalarNode || v.Value == quoted || (cut && strings.HasPrefix(v.Value, prefix)) {
					named[n.Content[i]] = true
					found = n.Content[i].Value
					return true
				}
			}
		}
		return false
	}
	if walk(n) {
		return found
	}
	return keyAtLine(n, line)
}

// keyAtLine finds the mapping key whose value sits on line, so a type error
// can name the key and not only the line.
func keyAtLine(n *yaml.Node, line int) string {
	if n == nil || line <= 0 {
		return ""
	}
	if n.Kind == yaml.MappingNode {
		for i := 0; i+1 < len(n.Content); i += 2 {
			if v := n.Content[i+1]; v.Line == line && v.Kind == yaml.ScalarNode {
				return n.Content[i].Value
			}
		}
	}
	for _, c := range n.Content {
		if k := keyAtLine(c, line); k != "" {
			return k
		}
	}
	return ""
}

func yamlKind(tag string) string {
	switch tag {
	case "str":
		return "string"
	case "int":
		return "whole number"
	case "float":
		return "number"
	case "bool":
		return "boolean"
	case "seq":
		return "list"
	case "map":
		return "mapping"
	}
	return tag
}
