package procedure_test

import (
	"strings"
	"testing"

	"github.com/camrig/camrig/harness/fwimage"
	"github.com/camrig/camrig/harness/procedure"
)

func TestInspectImage(t *testing.T) {
	good := fwimage.Generate("no-button", "V2.0.0", 8192, 1)
	corrupt := append([]byte(nil), good...)
	corrupt[len(corrupt)-1] ^= 0xff
	cases := []struct {
		name, model string
		image       []byte
		version     string
		err         string
	}{
		{"ours", "no-button", good, "V2.0.0", ""},
		{"wrong model", "blink", good, "", `built for model "no-button"`},
		{"corrupt payload", "no-button", corrupt, "", "corrupt firmware image"},
		{"truncated", "no-button", good[:100], "", "corrupt firmware image"},
		{"vendor image", "no-button", []byte("DAV\x00vendor firmware"), "unknown", ""},
	}
	for _, c := range cases {
		v, err := procedure.InspectImage(c.image, c.model)
		if c.err == "" && (err != nil || v != c.version) {
			t.Errorf("%s: %q, %v", c.name, v, err)
		}
		if c.err != "" && (err == nil || !strings.Contains(err.Error(), c.err)) {
			t.Errorf("%s: err = %v, want %q", c.name, err, c.err)
		}
	}
}
