package virtual

import (
	"errors"
	"fmt"
	"maps"
	"reflect"
	"slices"
	"strings"

	"go.yaml.in/yaml/v3"
)

// checkSimKeys reports every key of the rig file's `sim` section that
// SimFile has no field for, each at file:line. The harness does not read
// `sim` (it belongs to the device), so a misspelt key there would
// otherwise be ignored silently: a defect switch that never switches on.
// The known keys are SimFile's own yaml tags, so adding a field is all it
// takes to add a key.
func (rf *RigFile) checkSimKeys(root *yaml.Node) error {
	if root.Kind != yaml.DocumentNode || len(root.Content) == 0 || root.Content[0].Kind != yaml.MappingNode {
		return nil
	}
	top := root.Content[0]
	for i := 0; i+1 < len(top.Content); i += 2 {
		if top.Content[i].Value == "sim" {
			return errors.Join(unknownKeys(rf.File, top.Content[i+1], reflect.TypeFor[SimFile](), "sim")...)
		}
	}
	return nil
}

// unknownKeys walks n as yaml would decode it into t and reports the
// mapping keys t has no place for. Shapes that do not match t are left to
// the decoder, which reports them.
func unknownKeys(file string, n *yaml.Node, t reflect.Type, path string) []error {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	var errs []error
	switch {
	case t.Kind() == reflect.Struct && n.Kind == yaml.MappingNode:
		fields := yamlFields(t)
		for i := 0; i+1 < len(n.Content); i += 2 {
			key, val := n.Content[i], n.Content[i+1]
			ft, ok := fields[key.Value]
			if !ok {
				errs = append(errs, &RigFileError{File: file, Line: key.Line,
					Msg: fmt.Sprintf("%s: unknown key %q (known: %s)", path, key.Value, strings.Join(slices.Sorted(maps.Keys(fields)), ", "))})
				continue
			}
			errs = append(errs, unknownKeys(file, val, ft, path+"."+key.Value)...)
		}
	case t.Kind() == reflect.Map && n.Kind == yaml.MappingNode:
		for i := 0; i+1 < len(n.Content); i += 2 {
			errs = append(errs, unknownKeys(file, n.Content[i+1], t.Elem(), path+"."+n.Content[i].Value)...)
		}
	case t.Kind() == reflect.Slice && n.Kind == yaml.SequenceNode:
		for i, item := range n.Content {
			errs = append(errs, unknownKeys(file, item, t.Elem(), fmt.Sprintf("%s[%d]", path, i))...)
		}
	}
	return errs
}

// yamlFields maps the yaml keys of struct t (inline structs flattened) to
// their field types.
func yamlFields(t reflect.Type) map[string]reflect.Type {
	out := map[string]reflect.Type{}
	for f := range t.Fields() {
		if !f.IsExported() {
			continue
		}
		name, opts, _ := strings.Cut(f.Tag.Get("yaml"), ",")
		switch {
		case name == "-":
		case slices.Contains(strings.Split(opts, ","), "inline"):
			maps.Copy(out, yamlFields(f.Type))
		case name == "":
			out[strings.ToLower(f.Name)] = f.Type
		default:
			out[name] = f.Type
		}
	}
	return out
}
