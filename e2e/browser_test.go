package e2e

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/fabric-lro/fabric-lro/emulator"
	"github.com/fabric-lro/fabric-lro/internal/precompressed"
)

// browserEnv is one emulator, one proxy (native or workerd), the dashboard's page server and
// a portal page server on two more origins, and a headless Chromium.
type browserEnv struct {
	emuURL    string
	proxyURL  string // the proxy's /v1 URL
	pageURL   string // the dashboard's origin (index.html, web/, config.json)
	portalURL string // another origin that embeds the dashboard
	browser   context.Context
	artifacts string
	// embedSnippet is README.md's embedding example for this environment (set once the
	// servers are up; read by the portal's server).
	embedSnippet atomic.Pointer[string]
}

func TestBrowserDashboard(t *testing.T) {
	requireE2E(t)
	root := repoRoot(t)
	for _, f := range []string{"index.html", "web/app.wasm", "web/wasm_exec.js", "web/fabric-lro.js", "web/fabric-lro.css", "web/page.js"} {
		if _, err := os.Stat(filepath.Join(root, f)); err != nil {
			t.Fatalf("%s is missing: run ./build.sh build (%v)", f, err)
		}
	}
	chromium := os.Getenv("CHROMIUM")
	if chromium == "" {
		t.Fatal("CHROMIUM is not set: run ./build.sh test")
	}
	if _, err := os.Stat(chromium); err != nil {
		t.Fatalf("CHROMIUM=%s: %v", chromium, err)
	}
	browser := startChromium(t, chromium)

	for _, via := range browserProxies {
		t.Run(via.name, func(t *testing.T) {
			env := newBrowserEnv(t, root, browser, via.start)
			t.Run("two notebooks", env.twoNotebooks)
			t.Run("hundreds of rows", env.manyRows)
			t.Run("failed operation shows its error", env.failedOperation)
			t.Run("errors where they belong", env.errorsWhereTheyBelong)
			t.Run("reload resumes", env.reloadResumes)
			t.Run("429 storm", env.throttleStorm)
			t.Run("JS API embedding", env.embedding)
			t.Run("hostile portal stylesheet", env.hostileStyles)
			t.Run("custom element", env.customElement)
			t.Run("job run and cancel", env.jobCancel)
			t.Run("track an existing operation", env.trackExisting)
			t.Run("apiBase from a link gets no token", env.linkedAPIBase)
			t.Run("test connection names the cause", env.connectionCauses)
		})
	}
}

// browserProxies are the proxies the browser tests put between the page and the emulator.
var browserProxies = []struct {
	name  string
	start func(t *testing.T, upstream, allowedOrigins string) string
}{
	{name: "native", start: startNativeProxy},
	{name: "workerd", start: startWorkerd},
}

// startChromium starts one headless Chromium for the whole test, with a fresh profile and HOME
// (and the extra options, such as a flag).
func startChromium(t *testing.T, chromium string, extra ...chromedp.ExecAllocatorOption) context.Context {
	t.Helper()
	home := t.TempDir()
	alloc, cancelAlloc := chromedp.NewExecAllocator(context.Background(), append([]chromedp.ExecAllocatorOption{
		chromedp.ExecPath(chromium),
		chromedp.Flag("headless", true),
		chromedp.Flag("no-sandbox", true),
		chromedp.Flag("disable-gpu", true),
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("no-first-run", true),
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.UserDataDir(filepath.Join(home, "profile")),
		chromedp.Env("HOME=" + home),
		chromedp.WindowSize(1280, 900),
	}, extra...)...,
	)
	ctx, cancel := chromedp.NewContext(alloc)
	t.Cleanup(func() {
		cancel()
		cancelAlloc()
	})
	if err := chromedp.Do(ctx); err != nil { // start the browser now
		t.Fatalf("start Chromium %s: %v", chromium, err)
	}
	return ctx
}

func newBrowserEnv(t *testing.T, root string, browser context.Context, startProxy func(*testing.T, string, string) string) *browserEnv {
	t.Helper()
	emuURL, _ := startEmulator(t, emulator.Config{
		RetryAfter:        time.Second,
		OperationDuration: 3 * time.Second,
		JobDuration:       3 * time.Second,
		Seed:              1,
	})
	env := &browserEnv{emuURL: emuURL, browser: browser, artifacts: os.Getenv("FABRIC_LRO_ARTIFACTS")}
	var proxyV1 atomic.Value
	proxyV1.Store("")
	env.pageURL = startPageServer(t, root, func() string { return proxyV1.Load().(string) }, nil)
	env.portalURL = startPageServer(t, root, func() string { return proxyV1.Load().(string) }, env.portalPages)
	env.proxyURL = startProxy(t, emuURL, env.pageURL+","+env.portalURL) + "/v1"
	proxyV1.Store(env.proxyURL)
	snippet := readmeEmbedSnippet(t, root, env.pageURL, env.proxyURL, emulator.DefaultWorkspaceID)
	env.embedSnippet.Store(&snippet)
	return env
}

// startPageServer serves the dashboard as cmd/webserve does (index.html at "/", web/, and a
// config.json with the proxy and the dev token), plus pages from extra. web/ allows any
// origin, so that another site can import the module and fetch app.wasm.
func startPageServer(t *testing.T, root string, apiBase func() string, extra func(name string) (string, bool)) string {
	t.Helper()
	mux := http.NewServeMux()
	mux.HandleFunc("GET /{$}", func(w http.ResponseWriter, r *http.Request) {
		http.ServeFile(w, r, filepath.Join(root, "index.html"))
	})
	mux.HandleFunc("GET /config.json", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		json.NewEncoder(w).Encode(map[string]string{"apiBase": apiBase(), "devToken": "dev-token"})
	})
	// As cmd/webserve: web/'s precompressed copies (app.wasm.gz, .br) by Accept-Encoding.
	files := http.StripPrefix("/web/", precompressed.FileServer(os.DirFS(filepath.Join(root, "web"))))
	mux.HandleFunc("GET /web/", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Access-Control-Allow-Origin", "*")
		if strings.HasSuffix(r.URL.Path, ".wasm") {
			w.Header().Set("Content-Type", "application/wasm")
		}
		files.ServeHTTP(w, r)
	})
	mux.HandleFunc("GET /pages/{name}", func(w http.ResponseWriter, r *http.Request) {
		if extra == nil {
			http.NotFound(w, r)
			return
		}
		page, ok := extra(r.PathValue("name"))
		if !ok {
			http.NotFound(w, r)
			return
		}
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		fmt.Fprint(w, page)
	})
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	return srv.URL
}

// portalPages are the pages of "another site": the README snippet, and the custom element.
func (env *browserEnv) portalPages(name string) (string, bool) {
	head := `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Portal</title>` +
		`<meta name="viewport" content="width=device-width, initial-scale=1"></head><body><h1>Contoso portal</h1>`
	switch name {
	case "embed.html":
		snippet := *env.embedSnippet.Load()
		// The portal's own sign-in, which the snippet calls.
		return head + `<script>window.getFabricToken = async () => "dev-token";</script>` + snippet + `</body></html>`, true
	case "plain.html", "hostile.html":
		// The list alone, fed by the portal's own button through createItem.
		hostile := ""
		if name == "hostile.html" {
			hostile = `<style>
				body { font: italic 30px/4 "Comic Sans MS", serif; color: lime; letter-spacing: 4px; text-transform: uppercase; text-align: center; }
				header, code, dl, dd, dt, button, p, span, li, ul, div, section, h2, h3, summary, a, select {
					color: lime !important; background: green !important; font: italic 30px/4 serif !important;
					border: 3px solid red !important; letter-spacing: 4px !important; text-transform: uppercase !important; padding: 9px !important;
				}
				* { box-sizing: content-box !important; }
				#fabric-ops { --flro-accent: rgb(128, 0, 128); }
			</style>`
		}
		return head + hostile + `<button id="portal-create" disabled>New notebook</button><div id="fabric-ops"></div>
			<script type="module">
				import { load } from "` + env.pageURL + `/web/fabric-lro.js";
				const lro = await load({ apiBase: "` + env.proxyURL + `", getToken: async () => "dev-token", persist: false });
				await lro.mount(document.getElementById("fabric-ops"), { forms: [] });
				const b = document.getElementById("portal-create");
				b.onclick = () => lro.createItem("` + emulator.DefaultWorkspaceID + `", { type: "Notebook", displayName: "From the portal" });
				b.disabled = false;
				window.portalReady = true;
			</script></body></html>`, true
	case "element.html":
		return head + `<script type="module" src="` + env.pageURL + `/web/fabric-lro.js"></script>` +
			`<fabric-lro-dashboard api-base="` + env.proxyURL + `" token="dev-token"></fabric-lro-dashboard></body></html>`, true
	}
	return "", false
}

// emulatorControl sends a JSON request to the emulator's control endpoint.
func (env *browserEnv) emulatorControl(t *testing.T, method, path, body string) string {
	t.Helper()
	req, err := http.NewRequest(method, env.emuURL+path, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	var b bytes.Buffer
	b.ReadFrom(resp.Body)
	if resp.StatusCode >= 300 {
		t.Fatalf("%s %s: %d %s", method, path, resp.StatusCode, b.String())
	}
	return b.String()
}

// tab opens a fresh tab with its own storage (a new browser context), reset emulator state,
// and the console collected for the failure log.
func (env *browserEnv) tab(t *testing.T) context.Context {
	t.Helper()
	env.emulatorControl(t, "POST", "/_emulator/reset", "")
	ctx, cancel := chromedp.NewContext(env.browser, chromedp.WithNewBrowserContext())
	t.Cleanup(cancel)
	// Open the tab before anything else uses the context: the first Run must not race.
	if err := chromedp.Do(ctx); err != nil {
		t.Fatalf("open a tab: %v", err)
	}
	env.keepConsole(t, ctx, "browser")
	return ctx
}

// keepConsole collects the tab's console and shows it, with a screenshot, if the test fails.
func (env *browserEnv) keepConsole(t *testing.T, ctx context.Context, name string) {
	var mu sync.Mutex
	var console []string
	go func() {
		for m, err := range chromedp.Console(ctx) {
			if err != nil {
				return
			}
			mu.Lock()
			console = append(console, m.String())
			mu.Unlock()
		}
	}()
	t.Cleanup(func() {
		if t.Failed() {
			mu.Lock()
			t.Logf("%s console:\n%s", name, strings.Join(console, "\n"))
			mu.Unlock()
			env.screenshot(t, ctx, name+" FAILED")
		}
	})
}
