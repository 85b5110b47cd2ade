package e2e

import (
	"os"
	"path/filepath"
	"testing"
	"time"
)

// TestBrowserPrecompressed: Chromium loads the dashboard's module as one of the precompressed
// copies ./build.sh writes (web/app.wasm.br or .gz, as the page server chooses by the
// browser's Accept-Encoding), compiles it as application/wasm, and the dashboard works: it
// lists the emulator's workspace and a created notebook succeeds.
func TestBrowserPrecompressed(t *testing.T) {
	requireE2E(t)
	root := repoRoot(t)
	sizes := map[string]int64{}
	for _, f := range []string{"app.wasm", "app.wasm.br", "app.wasm.gz"} {
		st, err := os.Stat(filepath.Join(root, "web", f))
		if err != nil {
			t.Fatalf("web/%s is missing: run ./build.sh build (%v)", f, err)
		}
		sizes[f] = st.Size()
	}
	chromium := os.Getenv("CHROMIUM")
	if chromium == "" {
		t.Fatal("CHROMIUM is not set: run ./build.sh test")
	}
	env := newBrowserEnv(t, root, startChromium(t, chromium), startNativeProxy)
	ctx := env.tab(t)
	env.openDashboard(t, ctx)

	// Resource Timing: the bytes that came over the wire (encoded) and the module they decode to.
	got := eval[map[string]float64](t, ctx, `(() => {
		const e = performance.getEntriesByType('resource').find(e => new URL(e.name).pathname === '/web/app.wasm');
		return e ? {encoded: e.encodedBodySize, decoded: e.decodedBodySize, entries: 1} : {entries: 0};
	})()`)
	if got["entries"] != 1 {
		t.Fatal("the page fetched no /web/app.wasm")
	}
	encoded, decoded := int64(got["encoded"]), int64(got["decoded"])
	if decoded != sizes["app.wasm"] {
		t.Errorf("the module decoded to %d bytes, want web/app.wasm's %d", decoded, sizes["app.wasm"])
	}
	if encoded != sizes["app.wasm.br"] && encoded != sizes["app.wasm.gz"] {
		t.Errorf("%d bytes came over the wire for app.wasm: want the brotli copy (%d) or the gzip copy (%d), not the raw module (%d)",
			encoded, sizes["app.wasm.br"], sizes["app.wasm.gz"], sizes["app.wasm"])
	}
	create(t, ctx, "Compressed", 1)
	run(t, ctx, 20*time.Second, waitJS(`$qa('[data-role=card][data-state=succeeded]').length === 1`, 15*time.Second))
}
