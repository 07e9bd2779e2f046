package specs_test

import (
	"go/ast"
	"go/parser"
	"go/token"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// parsedSpecs is every non-test-helper file of this package, parsed.
func parsedSpecs(t *testing.T) (*token.FileSet, []*ast.File) {
	t.Helper()
	// Checks of the sources, for go test: not repeated in each of a
	// suite run's parallel processes.
	if why := suiteRunOnly(); why != "" {
		t.Skip("a run of the suite on a rig (" + why + "); the source checks run under a plain go test")
	}
	files, err := filepath.Glob("*_test.go")
	if err != nil {
		t.Fatal(err)
	}
	fset := token.NewFileSet()
	var out []*ast.File
	for _, f := range files {
		af, err := parser.ParseFile(fset, f, nil, 0)
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, af)
	}
	return fset, out
}

// calledName is the name of the function a call calls (It, SpecTimeout...).
func calledName(c *ast.CallExpr) string {
	switch f := c.Fun.(type) {
	case *ast.Ident:
		return f.Name
	case *ast.SelectorExpr:
		return f.Sel.Name
	}
	return ""
}

// Every spec has a deadline of its own, from the profile: a hung unit ends
// its spec with a reason instead of the whole run's timeout.
func TestEveryItHasASpecTimeout(t *testing.T) {
	fset, files := parsedSpecs(t)
	n := 0
	for _, f := range files {
		ast.Inspect(f, func(node ast.Node) bool {
			call, ok := node.(*ast.CallExpr)
			if !ok || calledName(call) != "It" {
				return true
			}
			n++
			if !slices.ContainsFunc(call.Args, func(a ast.Expr) bool {
				c, ok := a.(*ast.CallExpr)
				return ok && calledName(c) == "SpecTimeout"
			}) {
				t.Errorf("%s: It without a SpecTimeout", fset.Position(call.Pos()))
			}
			return true
		})
	}
	if n == 0 {
		t.Fatal("found no It: the check looks at nothing")
	}
}

// The order of suites on a unit is the one list in units_test.go: every
// suite function (func xxxSpecs(t *target)) is in it, and nothing adds to
// it elsewhere (an init function would make the order a matter of file
// names).
func TestSuitesAreOneWrittenList(t *testing.T) {
	fset, files := parsedSpecs(t)
	var listed, defined []string
	for _, f := range files {
		for _, d := range f.Decls {
			if fd, ok := d.(*ast.FuncDecl); ok && fd.Recv == nil && strings.HasSuffix(fd.Name.Name, "Specs") && takesTarget(fd) {
				defined = append(defined, fd.Name.Name)
			}
			gd, ok := d.(*ast.GenDecl)
			if !ok || gd.Tok != token.VAR {
				continue
			}
			for _, spec := range gd.Specs {
				vs := spec.(*ast.ValueSpec)
				for i, name := range vs.Names {
					if name.Name != "suites" || i >= len(vs.Values) {
						continue
					}
					lit, ok := vs.Values[i].(*ast.CompositeLit)
					if !ok {
						t.Fatalf("%s: suites is not a written list", fset.Position(vs.Pos()))
					}
					for _, e := range lit.Elts {
						if id, ok := e.(*ast.Ident); ok {
							listed = append(listed, id.Name)
						}
					}
				}
			}
		}
		ast.Inspect(f, func(node ast.Node) bool {
			as, ok := node.(*ast.AssignStmt)
			if !ok {
				return true
			}
			for _, lhs := range as.Lhs {
				if id, ok := lhs.(*ast.Ident); ok && id.Name == "suites" {
					t.Errorf("%s: suites is assigned outside its list", fset.Position(as.Pos()))
				}
			}
			return true
		})
	}
	if len(listed) == 0 || len(defined) == 0 {
		t.Fatalf("listed %v, defined %v: the check looks at nothing", listed, defined)
	}
	for _, d := range defined {
		if !slices.Contains(listed, d) {
			t.Errorf("suite %s is not in the suites list (units_test.go): its specs never run", d)
		}
	}
}

// takesTarget: the function's only parameter is a *target.
func takesTarget(fd *ast.FuncDecl) bool {
	ps := fd.Type.Params.List
	if len(ps) != 1 || len(ps[0].Names) > 1 {
		return false
	}
	star, ok := ps[0].Type.(*ast.StarExpr)
	if !ok {
		return false
	}
	id, ok := star.X.(*ast.Ident)
	return ok && id.Name == "target"
}
