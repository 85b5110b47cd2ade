package main

import (
	"bytes"
	"compress/gzip"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"

	"github.com/fabric-lro/fabric-lro/internal/wasmpack"
)

// wasmGzipBudget is issue 5's budget for web/app.wasm, the same number build.sh enforces.
const wasmGzipBudget = 1250 * 1000

// wasmGzipTarget is issue 12's target for web/app.wasm.
const wasmGzipTarget = 1000 * 1000

// benchSize builds the dashboard module, a net/http browser program, and two floors with the
// same flags, and compares their gzip sizes: the minimal Go page (bench/hellowasm), and the
// minimal page that uses the packages the dashboard must link (bench/floorwasm).
func benchSize() error {
	dir, err := os.MkdirTemp("", "fabric-lro-bench-size")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	type build struct{ name, pkg string }
	builds := []build{
		{name: "web/app.wasm (lro + jsfetch + dom)", pkg: "./wasm"},
		{name: "net/http reference (bench/nethttpref)", pkg: "./bench/nethttpref"},
		{name: "minimal Go page (bench/hellowasm)", pkg: "./bench/hellowasm"},
		{name: "required packages (bench/floorwasm)", pkg: "./bench/floorwasm"},
	}
	sizes := make([]int, len(builds))
	printf("%-40s %12s %12s\n", "module", "raw bytes", "gzip -9")
	for i, b := range builds {
		out := filepath.Join(dir, fmt.Sprintf("%d.wasm", i))
		cmd := exec.Command("go", "build", "-trimpath", "-gcflags=all=-l", "-ldflags=-s -w", "-o", out, b.pkg)
		cmd.Env = append(os.Environ(), "GOOS=js", "GOARCH=wasm")
		cmd.Stderr = os.Stderr
		if err := cmd.Run(); err != nil {
			return fmt.Errorf("build %s: %w", b.pkg, err)
		}
		raw, err := os.ReadFile(out)
		if err != nil {
			return err
		}
		// Both as ./build.sh ships web/app.wasm: data segments merged (internal/wasmpack).
		if raw, _, err = wasmpack.Pack(raw, 1024); err != nil {
			return fmt.Errorf("pack %s: %w", b.pkg, err)
		}
		gz, err := gzipSize(raw)
		if err != nil {
			return err
		}
		sizes[i] = gz
		printf("%-40s %12d %12d\n", b.name, len(raw), gz)
	}
	printf("ratio app.wasm / net/http reference (gzip): %.2f\n", float64(sizes[0])/float64(sizes[1]))
	printf("budget: %d bytes gzip; app.wasm uses %.1f%% of it\n", wasmGzipBudget, 100*float64(sizes[0])/wasmGzipBudget)
	printf("issue 12's target: %d bytes gzip. A page that only uses gjson, dom/v2 and time is already %d (the Go runtime alone %d);\n",
		wasmGzipTarget, sizes[3], sizes[2])
	printf("the target leaves %d bytes for all that app.wasm adds to that page (fabric-lro's engine, dashboard, tabs and JS API,\n", wasmGzipTarget-sizes[3])
	printf("and the standard library they use); app.wasm adds %d\n",
		sizes[0]-sizes[3])
	if sizes[0] > wasmGzipBudget {
		return fmt.Errorf("web/app.wasm is %d bytes gzip, over the %d budget", sizes[0], wasmGzipBudget)
	}
	return nil
}

func gzipSize(b []byte) (int, error) {
	var buf bytes.Buffer
	zw, err := gzip.NewWriterLevel(&buf, gzip.BestCompression)
	if err != nil {
		return 0, err
	}
	if _, err := zw.Write(b); err != nil {
		return 0, err
	}
	if err := zw.Close(); err != nil {
		return 0, err
	}
	return buf.Len(), nil
}
