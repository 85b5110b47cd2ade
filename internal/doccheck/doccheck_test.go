package doccheck

import (
	"go/ast"
	"go/parser"
	"go/token"
	"io/fs"
	"path/filepath"
	"strings"
	"testing"
)

// TestDocComments: every exported name in the repository's Go code, every method of an
// exported type and every exported field of an exported struct has a doc comment, so that
// go doc -all shows what each one is for.
func TestDocComments(t *testing.T) {
	root := filepath.Join("..", "..")
	fset := token.NewFileSet()
	err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			switch d.Name() {
			case "node_modules", "testdata", ".cache", ".git", "artifacts":
				return filepath.SkipDir
			}
			return nil
		}
		if !strings.HasSuffix(path, ".go") || strings.HasSuffix(path, "_test.go") {
			return nil
		}
		f, err := parser.ParseFile(fset, path, nil, parser.ParseComments)
		if err != nil {
			return err
		}
		for _, missing := range undocumented(fset, f) {
			t.Errorf("%s: %s has no doc comment", fset.Position(missing.Pos()), missing.Name)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

// undocumented lists the exported names of f that lack a doc comment.
func undocumented(fset *token.FileSet, f *ast.File) []*ast.Ident {
	var out []*ast.Ident
	for _, decl := range f.Decls {
		switch d := decl.(type) {
		case *ast.FuncDecl:
			if d.Name.IsExported() && d.Doc == nil && (d.Recv == nil || exportedReceiver(d.Recv)) {
				out = append(out, d.Name)
			}
		case *ast.GenDecl:
			for _, spec := range d.Specs {
				switch s := spec.(type) {
				case *ast.TypeSpec:
					if !s.Name.IsExported() {
						continue
					}
					if d.Doc == nil && s.Doc == nil {
						out = append(out, s.Name)
					}
					if st, ok := s.Type.(*ast.StructType); ok {
						out = append(out, undocumentedFields(fset, st)...)
					}
				case *ast.ValueSpec:
					for _, name := range s.Names {
						if name.IsExported() && d.Doc == nil && s.Doc == nil && s.Comment == nil {
							out = append(out, name)
						}
					}
				}
			}
		}
	}
	return out
}

// undocumentedFields lists the exported fields of st without a doc comment. A comment may
// describe a group: a field on the line right after a documented one counts as documented.
func undocumentedFields(fset *token.FileSet, st *ast.StructType) []*ast.Ident {
	var out []*ast.Ident
	prevLine, prevDocumented := -1, false
	for _, field := range st.Fields.List {
		documented := field.Doc != nil || field.Comment != nil ||
			(prevDocumented && fset.Position(field.Pos()).Line == prevLine+1)
		for _, name := range field.Names {
			if name.IsExported() && !documented {
				out = append(out, name)
			}
		}
		prevLine, prevDocumented = fset.Position(field.End()).Line, documented
	}
	return out
}

// exportedReceiver reports whether a method's receiver type is exported.
func exportedReceiver(recv *ast.FieldList) bool {
	if recv == nil || len(recv.List) == 0 {
		return false
	}
	typ := recv.List[0].Type
	for {
		switch x := typ.(type) {
		case *ast.StarExpr:
			typ = x.X
		case *ast.IndexExpr:
			typ = x.X
		case *ast.IndexListExpr:
			typ = x.X
		case *ast.Ident:
			return x.IsExported()
		default:
			return false
		}
	}
}
