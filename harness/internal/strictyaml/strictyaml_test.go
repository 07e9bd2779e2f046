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

type binding struct {
	Bind struct {
		Driver  string        `yaml:"driver"`
		Port    string        `yaml:"port"`
		Channel int           `yaml:"channel"`
		Baud    int           `yaml:"baud"`
		Timeout time.Duration `yaml:"timeout"`
		Pins    []string      `yaml:"pins"`
	} `yaml:"bind"`
}

// On a {...} line the type error names the key whose value is wrong, not
// the first key of the line; two wrong values alike are two keys. No Go
// type name reaches the message.
func TestTypeErrorInFlowMappingNamesTheKey(t *testing.T) {
	for _, c := range []struct{ in, want string }{
		{"bind: {driver: numato, port: /dev/x, channel: two, baud: 9600}\n", `f.yaml:1: key "channel": got a string, want a whole number`},
		{"bind: {driver: numato, baud: fast}\n", `f.yaml:1: key "baud": got a string, want a whole number`},
		{"bind: {driver: numato, port: /dev/ttyACM0, timeout: a-very-long-wrong-value}\n", `f.yaml:1: key "timeout":`},
		{"bind: {driver: numato, pins: {a: 1}}\n", `f.yaml:1: key "pins": got a mapping, want a list`},
		{"bind: {channel: x, baud: x}\n", "key \"channel\"|key \"baud\""},
	} {
		var d binding
		_, err := strictyaml.Decode("f.yaml", []byte(c.in), &d)
		if err == nil {
			t.Fatalf("%q decoded", c.in)
		}
		for _, w := range strings.Split(c.want, "|") {
			if !strings.Contains(err.Error(), w) {
				t.Errorf("%q: err = %v, want %q", c.in, err, w)
			}
		}
		for _, goName := range []string{"int", "time.Duration", "[]string", "struct", "main.", "strictyaml_test"} {
			if strings.Contains(strings.ReplaceAll(err.Error(), "key \"", ""), " "+goName) {
				t.Errorf("%q: a Go type name (%s) in: %v", c.in, goName, err)
			}
		}
	}
}
