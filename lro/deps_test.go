//go:build !js

package lro_test

import (
	"encoding/json"
	"errors"
	"io"
	"os/exec"
	"slices"
	"strings"
	"testing"
)

// TestCoreImportsNoPlatform: the core must import neither net/http (too big for the browser
// module) nor syscall/js (it must run natively), directly or indirectly. For the js/wasm build
// the standard library's own use of syscall/js (by package syscall and time) is allowed: only
// non-standard packages must not import it.
func TestCoreImportsNoPlatform(t *testing.T) {
	goTool, err := exec.LookPath("go")
	if err != nil {
		t.Skip("go tool not on PATH")
	}
	forbidden := []string{"net/http", "syscall/js"}
	for _, env := range [][]string{nil, {"GOOS=js", "GOARCH=wasm"}} {
		for _, pkg := range []string{"github.com/fabric-lro/fabric-lro/lro", "github.com/fabric-lro/fabric-lro/internal/hostpolicy"} {
			cmd := exec.Command(goTool, "list", "-deps", "-json", pkg)
			cmd.Env = append(cmd.Environ(), env...)
			out, err := cmd.Output()
			if err != nil {
				var ee *exec.ExitError
				if errors.As(err, &ee) {
					t.Fatalf("go list %v: %v\n%s", env, err, ee.Stderr)
				}
				t.Fatal(err)
			}
			dec := json.NewDecoder(strings.NewReader(string(out)))
			n := 0
			for {
				var p struct {
					ImportPath string
					Standard   bool
					Imports    []string
				}
				if err := dec.Decode(&p); err == io.EOF {
					break
				} else if err != nil {
					t.Fatal(err)
				}
				n++
				for _, f := range forbidden {
					if env == nil && (p.ImportPath == f || strings.HasPrefix(p.ImportPath, f+"/")) {
						t.Errorf("%s depends on %s", pkg, p.ImportPath)
					}
					if !p.Standard && slices.Contains(p.Imports, f) {
						t.Errorf("%s (%v): %s imports %s", pkg, env, p.ImportPath, f)
					}
				}
			}
			if n < 5 {
				t.Errorf("go list %v listed only %d packages; the check would prove nothing", env, n)
			}
		}
	}
}
