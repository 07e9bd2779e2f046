package reports_test

import (
	"strings"
	"testing"

	"github.com/camrig/camrig/reports"
)

// A file that is not a Ginkgo report is refused in a reader's words: no Go
// type name (encoding/json says "into Go value of type []types.Report").
func TestReadJSONErrorsNameNoGoType(t *testing.T) {
	for _, tt := range []struct{ in, want string }{
		{"{", "invalid JSON"},
		{"42", "the document is a JSON number"},
		{`[{"SuitePath": 3}]`, `field "SuitePath" holds a JSON number`},
	} {
		_, err := reports.ReadJSON(strings.NewReader(tt.in))
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("ReadJSON(%s) = %v, want %q", tt.in, err, tt.want)
			continue
		}
		for _, goName := range []string{"Go ", "types.", "[]", "struct"} {
			if strings.Contains(err.Error(), goName) {
				t.Errorf("ReadJSON(%s): Go type in %q", tt.in, err)
			}
		}
	}
}
