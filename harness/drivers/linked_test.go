package drivers_test

import (
	"go/parser"
	"go/token"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
)

const module = "github.com/camrig/camrig/"

// registers finds a driver registration in non-test Go source.
var registers = regexp.MustCompile(`\b(power|led)\.Register\(`)

// TestEveryDriverPackageIsLinked fails when a package under harness/
// registers a driver but drivers.go does not import it: Go would not link
// it, and rig files naming the driver would be refused as unknown.
func TestEveryDriverPackageIsLinked(t *testing.T) {
	f, err := parser.ParseFile(token.NewFileSet(), "drivers.go", nil, parser.ImportsOnly)
	if err != nil {
		t.Fatal(err)
	}
	var linked []string
	for _, imp := range f.Imports {
		p, _ := strconv.Unquote(imp.Path.Value)
		linked = append(linked, strings.TrimPrefix(p, module))
	}
	found := 0
	err = filepath.WalkDir("..", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || !strings.HasSuffix(p, ".go") || strings.HasSuffix(p, "_test.go") {
			return err
		}
		src, err := os.ReadFile(p)
		if err != nil || !registers.Match(src) {
			return err
		}
		pkg := path.Join("harness", filepath.ToSlash(filepath.Dir(p))[len("../"):])
		found++
		if !slices.Contains(linked, pkg) {
			t.Errorf("%s registers a driver (%s) but drivers.go does not import %s", p, registers.Find(src), pkg)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if found < 8 {
		t.Fatalf("found only %d registering files under harness/; is the walk looking in the right place?", found)
	}
}
