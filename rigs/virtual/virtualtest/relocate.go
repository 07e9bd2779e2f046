// Package virtualtest helps tests run a virtual rig of their own beside
// others: test packages run in parallel, each with its own simulator.
package virtualtest

import (
	"os"
	"testing"

	"go.yaml.in/yaml/v3"

	"github.com/camrig/camrig/rigs/virtual"
)

// Relocate writes a copy of the rig file at rigPath into dir and returns its
// path (virtual.Isolate): state_dir is dir, loopback addresses 127.0.0.x:port
// move to a random free 127.a.b.x, the profiles path is made absolute, and
// timescale is replaced when it is not 0.
func Relocate(t testing.TB, rigPath, dir string, timescale float64) string {
	t.Helper()
	path, err := virtual.Isolate(rigPath, dir, timescale)
	if err != nil {
		t.Fatal(err)
	}
	return path
}

// SwitchDefects switches defects on in the rig file at rigPath (rewritten
// in place): on the unit named on, or on the NVR when on is "nvr" (no unit
// may be called that), under the file's sim section as a bench engineer
// would write them. Comments in the file are lost.
func SwitchDefects(t testing.TB, rigPath, on string, defects ...string) {
	t.Helper()
	data, err := os.ReadFile(rigPath)
	if err != nil {
		t.Fatal(err)
	}
	var doc yaml.Node
	if err := yaml.Unmarshal(data, &doc); err != nil || doc.Kind != yaml.DocumentNode || doc.Content[0].Kind != yaml.MappingNode {
		t.Fatalf("%s: not a rig file (%v)", rigPath, err)
	}
	path := []string{"sim", "nvr"}
	if on != "nvr" {
		path = []string{"sim", "units", on}
	}
	m := doc.Content[0]
	for _, key := range path {
		m = child(m, key)
	}
	list := child(m, "defects")
	list.Kind, list.Tag, list.Style = yaml.SequenceNode, "!!seq", yaml.FlowStyle
	for _, d := range defects {
		list.Content = append(list.Content, &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!str", Value: d})
	}
	out, err := yaml.Marshal(&doc)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(rigPath, out, 0o644); err != nil {
		t.Fatal(err)
	}
}

// child is the value of key in mapping m, added as an empty mapping when
// missing (or when it was a scalar, such as an empty `units:`).
func child(m *yaml.Node, key string) *yaml.Node {
	for i := 0; i+1 < len(m.Content); i += 2 {
		if m.Content[i].Value == key {
			v := m.Content[i+1]
			if v.Kind != yaml.MappingNode && v.Kind != yaml.SequenceNode {
				*v = yaml.Node{Kind: yaml.MappingNode, Tag: "!!map"}
			}
			return v
		}
	}
	v := &yaml.Node{Kind: yaml.MappingNode, Tag: "!!map"}
	m.Content = append(m.Content, &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!str", Value: key}, v)
	return v
}

// SetSim sets the scalar at path under the rig file's sim section (such
// as "numato", "garbage" to "true"): a fault switched on where a bench
// cannot reach it, in the simulator's own section.
func SetSim(t testing.TB, rigPath, value string, path ...string) {
	t.Helper()
	if len(path) == 0 {
		t.Fatal("SetSim: no key")
	}
	data, err := os.ReadFile(rigPath)
	if err != nil {
		t.Fatal(err)
	}
	var doc yaml.Node
	if err := yaml.Unmarshal(data, &doc); err != nil || doc.Kind != yaml.DocumentNode || doc.Content[0].Kind != yaml.MappingNode {
		t.Fatalf("%s: not a rig file (%v)", rigPath, err)
	}
	m := child(doc.Content[0], "sim")
	for _, key := range path[:len(path)-1] {
		m = child(m, key)
	}
	last := path[len(path)-1]
	v := &yaml.Node{Kind: yaml.ScalarNode, Value: value}
	replaced := false
	for i := 0; i+1 < len(m.Content); i += 2 {
		if m.Content[i].Value == last {
			m.Content[i+1], replaced = v, true
		}
	}
	if !replaced {
		m.Content = append(m.Content, &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!str", Value: last}, v)
	}
	out, err := yaml.Marshal(&doc)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(rigPath, out, 0o644); err != nil {
		t.Fatal(err)
	}
}
