package strictyaml_test

import (
	"strings"
	"testing"
	"time"

	"github.com/camrig/camrig/harness/internal/strictyaml"
)

type doc struct {
	Name  string        `yaml:"name"`
	Hold  time.Duration `yaml:"hold"`
	Count int           `yaml:"count"`
	Items []struct {
		Key string `yaml:"key"`
	} `yaml:"items"`
}

func TestDecodeErrors(t *testing.T) {
	cases := []struct {
		name, in, want string
	}{
		{"unknown key", "name: a\nhodl: 3s\n", "f.yaml:2: unknown key \"hodl\""},
		{"wrong type", "name: a\ncount: many\n", "f.yaml:2: key \"count\": got a string, want a whole number"},
		{"bad duration", "hold: soon\n", "f.yaml:1:"},
		{"nested unknown", "items:\n  - key: x\n  - kye: y\n", "f.yaml:3: unknown key \"kye\""},
		{"syntax", "name: [\n", "f.yaml:"},
		{"empty", "", "f.yaml: empty document"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			var d doc
			_, err := strictyaml.Decode("f.yaml", []byte(c.in), &d)
			if err == nil || !strings.HasPrefix(err.Error(), c.want) {
				t.Fatalf("err = %v, want prefix %q", err, c.want)
			}
		})
	}
}

func TestDecodeOKAndLine(t *testing.T) {
	var d doc
	root, err := strictyaml.Decode("f.yaml", []byte("name: a\nhold: 1m30s\nitems:\n  - key: x\n  - key: y\n"), &d)
	if err != nil {
		t.Fatal(err)
	}
	if d.Hold != 90*time.Second || len(d.Items) != 2 {
		t.Fatalf("decoded %+v", d)
	}
	if l := strictyaml.Line(root, "items", "[1]", "key"); l != 5 {
		t.Fatalf("line = %d", l)
	}
	if l := strictyaml.Line(root, "missing"); l != 0 {
		t.Fatalf("missing line = %d", l)
	}
}

func TestDecodeTooLarge(t *testing.T) {
	var d doc
	big := strings.Repeat("#", strictyaml.MaxSize+1)
	if _, err := strictyaml.Decode("f.yaml", []byte(big), &d); err == nil {
		t.Fatal("accepted oversized file")
	}
}

func FuzzDecode(f *testing.F) {
	f.Add([]byte("name: a\nhold: 3s\ncount: 2\nitems: [{key: x}]\n"))
	f.Add([]byte("name: [\n"))
	f.Add([]byte("&a [*a]"))
	f.Fuzz(func(t *testing.T, data []byte) {
		var d doc
		root, err := strictyaml.Decode("f.yaml", data, &d)
		if err == nil && root == nil {
			t.Fatal("nil root without error")
		}
		if err != nil && !strings.HasPrefix(err.Error(), "f.yaml") {
			t.Fatalf("error does not name the file: %v", err)
		}
	})
}
