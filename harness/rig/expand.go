package rig

import (
	"reflect"
	"regexp"
	"strings"

	"github.com/camrig/camrig/harness/notation"
	"go.yaml.in/yaml/v3"
)

var varRe = regexp.MustCompile(`\$\{([^}]*)\}`)

// checkVars reports every ${...} other than ${state_dir}, and ${state_dir}
// when no state directory is configured. The sim subtree belongs to the
// simulator and is not checked.
func checkVars(p *problems, stateDir string) {
	doc := p.root
	if doc == nil || len(doc.Content) == 0 {
		return
	}
	top := doc.Content[0]
	var walk func(n *yaml.Node, key string)
	walk = func(n *yaml.Node, key string) {
		switch n.Kind {
		case yaml.ScalarNode:
			for _, m := range varRe.FindAllStringSubmatch(n.Value, -1) {
				switch {
				case m[1] != "state_dir":
					p.addAt(n.Line, key, "unknown variable ${%s}: only %s expands", m[1], notation.StateDirVar)
				case stateDir == "":
					p.addAt(n.Line, key, "%s is used but state_dir is not set (set it, or %s)", notation.StateDirVar, notation.StateDirEnv)
				}
			}
		case yaml.MappingNode:
			for i := 0; i+1 < len(n.Content); i += 2 {
				k := n.Content[i].Value
				if n == top && k == "sim" {
					continue
				}
				walk(n.Content[i+1], k)
			}
		case yaml.SequenceNode, yaml.DocumentNode:
			for _, c := range n.Content {
				walk(c, key)
			}
		}
	}
	walk(top, "")
}

// expandStrings replaces ${state_dir} in every string reachable from v (a
// pointer to the decoded file), so no binding ever sees the placeholder.
func expandStrings(v reflect.Value, stateDir string) {
	switch v.Kind() {
	case reflect.Pointer, reflect.Interface:
		if !v.IsNil() {
			expandStrings(v.Elem(), stateDir)
		}
	case reflect.Struct:
		if v.Type() == reflect.TypeFor[yaml.Node]() {
			return // the sim section: the simulator reads it (rigs/virtual)
		}
		for i := 0; i < v.NumField(); i++ {
			if v.Type().Field(i).IsExported() {
				expandStrings(v.Field(i), stateDir)
			}
		}
	case reflect.Slice:
		for i := 0; i < v.Len(); i++ {
			expandStrings(v.Index(i), stateDir)
		}
	case reflect.String:
		if v.CanSet() {
			v.SetString(strings.ReplaceAll(v.String(), notation.StateDirVar, stateDir))
		}
	}
}
