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
	"regexp"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"

	"github.com/fabric-lro/fabric-lro/emulator"
	"github.com/fabric-lro/fabric-lro/internal/precompressed"
)

// readmeEmbedSnippet is the first html block of README.md's "Embed it in a portal" section,
// with its example URLs replaced by the test's: the dashboard's origin, the proxy's /v1 URL,
// and the workspace id. Each must be present, so the README and this test cannot drift.
func readmeEmbedSnippet(t *testing.T, root, dashboard, proxyV1, workspace string) string {
	t.Helper()
	readme, err := os.ReadFile(filepath.Join(root, "README.md"))
	if err != nil {
		t.Fatalf("read README.md: %v", err)
	}
	text := string(readme)
	const heading = "\n## Embed it in a portal\n"
	i := strings.Index(text, heading)
	if i < 0 {
		t.Fatalf("README.md has no %q section", strings.TrimSpace(heading))
	}
	section := text[i+len(heading):]
	if j := strings.Index(section, "\n## "); j >= 0 {
		section = section[:j]
	}
	start := strings.Index(section, "```html\n")
	if start < 0 {
		t.Fatal("README.md's embedding section has no ```html block")
	}
	snippet := section[start+len("```html\n"):]
	end := strings.Index(snippet, "\n```")
	if end < 0 {
		t.Fatal("README.md's embedding snippet is not closed")
	}
	snippet = snippet[:end]
	for _, r := range []struct{ example, actual string }{
		{example: "https://dashboard.example.com", actual: dashboard},
		{example: "https://fabric-lro.example.workers.dev/v1", actual: proxyV1},
		{example: "<workspace id>", actual: workspace},
	} {
		if !strings.Contains(snippet, r.example) {
			t.Fatalf("README.md's embedding snippet no longer contains %q; update the test with it:\n%s", r.example, snippet)
		}
		snippet = strings.ReplaceAll(snippet, r.example, r.actual)
	}
	return snippet
}

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

// run runs browser steps with a bound on the whole sequence.
func run(t *testing.T, ctx context.Context, limit time.Duration, steps ...chromedp.Action[chromedp.Void]) {
	t.Helper()
	tctx, cancel := context.WithTimeout(ctx, limit)
	defer cancel()
	if err := chromedp.Do(tctx, steps...); err != nil {
		t.Fatalf("browser: %v", err)
	}
}

// deepQuery defines, once per document, helpers that see into open shadow roots (the
// dashboard renders in one): $qa(selector) and $q(selector) query the document and every
// shadow root in it; $set(selector, value) types a value as a user would; $focused() is the
// element that has keyboard focus, inside shadow roots too; $click(selector) clicks.
const deepQuery = `(window.$q || (() => {
	const roots = () => { const out = [document]; for (let i = 0; i < out.length; i++) for (const e of out[i].querySelectorAll('*')) if (e.shadowRoot) out.push(e.shadowRoot); return out; };
	window.$qa = (s) => roots().flatMap((r) => [...r.querySelectorAll(s)]);
	window.$q = (s) => window.$qa(s)[0] ?? null;
	window.$set = (s, v) => { const e = window.$q(s); e.value = v; e.dispatchEvent(new Event('input', {bubbles: true})); e.dispatchEvent(new Event('change', {bubbles: true})); return true; };
	window.$click = (s) => { window.$q(s).click(); return true; };
	window.$focused = () => { let a = document.activeElement; while (a?.shadowRoot?.activeElement) a = a.shadowRoot.activeElement; return a; };
})(), true)`

// page wraps a page expression so that it can use the deepQuery helpers.
func page(expr string) string { return "(" + deepQuery + ", (" + expr + "))" }

// waitJS waits (bounded) until the JavaScript expression is truthy; the page is polled, never slept on.
func waitJS(expr string, timeout time.Duration) chromedp.Action[chromedp.Void] {
	return chromedp.Poll[chromedp.Void](page(expr), chromedp.WithPollingInterval(100*time.Millisecond), chromedp.WithPollingTimeout(timeout))
}

// do runs a page expression as a step (a click, typing a value).
func do(expr string) chromedp.Action[chromedp.Void] {
	return chromedp.Evaluate[chromedp.Void](page(expr))
}

// waitAcrossNavigation waits (bounded) until expr is truthy on a page that is navigating: an
// evaluation that fails because the old document went away is tried again on the new one.
func waitAcrossNavigation(t *testing.T, ctx context.Context, expr string, timeout time.Duration) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for {
		tctx, cancel := context.WithDeadline(ctx, deadline)
		err := chromedp.Do(tctx, waitJS(expr, time.Until(deadline)))
		cancel()
		if err == nil {
			return
		}
		if time.Now().After(deadline) || !strings.Contains(err.Error(), "context") && !strings.Contains(err.Error(), "navigated") {
			t.Fatalf("waiting for %s: %v", expr, err)
		}
	}
}

// eval reads a JavaScript value.
func eval[T any](t *testing.T, ctx context.Context, expr string) T {
	t.Helper()
	tctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	v, err := chromedp.Run(tctx, chromedp.Evaluate[T](page(expr)))
	if err != nil {
		t.Fatalf("evaluate %s: %v", expr, err)
	}
	return v
}

// screenshot saves a PNG of the whole page to $FABRIC_LRO_ARTIFACTS.
func (env *browserEnv) screenshot(t *testing.T, ctx context.Context, what string) {
	t.Helper()
	env.capture(t, ctx, what, chromedp.FullScreenshot(100))
}

// viewportShot saves a PNG of what the user sees (the viewport, as scrolled) to $FABRIC_LRO_ARTIFACTS.
func (env *browserEnv) viewportShot(t *testing.T, ctx context.Context, what string) {
	t.Helper()
	env.capture(t, ctx, what+" viewport", chromedp.CaptureScreenshot())
}

func (env *browserEnv) capture(t *testing.T, ctx context.Context, what string, shot chromedp.Action[[]byte]) {
	t.Helper()
	if env.artifacts == "" {
		return
	}
	tctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	png, err := chromedp.Run(tctx, shot)
	if err != nil {
		t.Logf("screenshot %s: %v", what, err)
		return
	}
	name := regexp.MustCompile(`[^A-Za-z0-9]+`).ReplaceAllString(t.Name()+" "+what, "-") + ".png"
	if err := os.MkdirAll(env.artifacts, 0o755); err != nil {
		t.Logf("screenshot: %v", err)
		return
	}
	path := filepath.Join(env.artifacts, name)
	if err := os.WriteFile(path, png, 0o644); err != nil {
		t.Logf("screenshot: %v", err)
		return
	}
	t.Logf("screenshot: %s", path)
}

// Selectors and page expressions (see deepQuery).
const (
	workspacesLoaded = `$q('[data-role=workspace] option[value="` + emulator.DefaultWorkspaceID + `"]') !== null`
	rowCount         = `$qa('[data-role=card]').length`
)

// rowTitled is a page expression: a row whose title names name is in state (running,
// succeeded, failed, cancelled: the summary's states, so a succeeded operation whose result
// is still being fetched is not yet succeeded).
func rowTitled(name, state string) string {
	return fmt.Sprintf(`$qa('[data-role=card][data-state=%s]').some(c => c.querySelector('[data-role=label]').textContent.includes(%q))`, state, "“"+name+"”")
}

// openDashboard loads the dashboard and waits until it listed the emulator's workspace.
func (env *browserEnv) openDashboard(t *testing.T, ctx context.Context) {
	t.Helper()
	run(t, ctx, 30*time.Second,
		chromedp.Navigate(env.pageURL+"/"),
		waitJS(workspacesLoaded, 20*time.Second),
	)
}

// create fills the create form and clicks Create.
func create(t *testing.T, ctx context.Context, name string, count int) {
	t.Helper()
	run(t, ctx, 10*time.Second,
		do(fmt.Sprintf(`$set('[data-role=name]', %q) && $set('[data-role=count]', %q) && $click('[data-role=create]')`, name, fmt.Sprint(count))),
	)
}

// openRow opens the details of the first row matching the selector (clicking it as a user
// does) and waits until they show.
func openRow(t *testing.T, ctx context.Context, row string) {
	t.Helper()
	run(t, ctx, 10*time.Second,
		do(fmt.Sprintf(`(() => { const r = window.__row = $q(%q); if (r.querySelector('[data-role=toggle]').getAttribute('aria-expanded') !== 'true') r.querySelector('[data-role=toggle]').click(); return true; })()`, row)),
		waitJS(`window.__row.querySelector('[data-role=details]')?.hidden === false`, 5*time.Second),
	)
}

// twoNotebooks: the seed's scenario, operations first. One notebook is created at once (201),
// the other is a 202 operation polled to Succeeded; the rows are dense, newest first, counted
// in the summary, and open to their details; at phone width nothing is wider than the screen.
func (env *browserEnv) twoNotebooks(t *testing.T) {
	ctx := env.tab(t)
	env.openDashboard(t, ctx)
	if open := eval[bool](t, ctx, `$q('details.flro-settings').open`); open {
		t.Error("Settings are open although the API base and token are set: want them folded away")
	}
	// Item types: grouped and named as the portal does, only those Create Item takes.
	types := eval[map[string]string](t, ctx, `({groups: $qa('[data-role=type] optgroup').map(g => g.label).join(', '),
		pipeline: $q('[data-role=type] option[value=DataPipeline]')?.textContent ?? '',
		refused: $qa('[data-role=type] option').filter(o => ['Dashboard', 'SQLEndpoint', 'PaginatedReport', 'Datamart'].includes(o.value)).map(o => o.value).join(', ')})`)
	if !strings.HasPrefix(types["groups"], "Data Engineering, Data Factory") || types["pipeline"] != "Pipeline" || types["refused"] != "" {
		t.Errorf("item types %v: want portal groups and names, and none that Create Item refuses", types)
	}
	create(t, ctx, "Sales", 2)
	// The two creates are sent at once, so which of them the emulator answers 201 is not
	// fixed, as with Fabric.
	// One look at the page sees both rows and the summary agree that one runs while the other is
	// done (separate looks raced the running one's end on a loaded machine).
	run(t, ctx, 15*time.Second, waitJS(`$qa('[data-role=card][data-status=Succeeded]').length === 1 &&
		$qa('[data-role=card]:not([data-status=Succeeded])').length === 1 &&
		$q('[data-role=summary]').textContent === '1 running · 1 succeeded · 0 failed'`, 10*time.Second))
	env.screenshot(t, ctx, "one done one running")
	if got := eval[[]string](t, ctx, `$qa('[data-role=card] [data-role=label]').map(e => e.textContent)`); len(got) != 2 || got[0] != "Create Notebook “Sales 1”" || got[1] != "Create Notebook “Sales 2”" {
		t.Errorf("rows %q: want the batch in its order", got)
	}
	run(t, ctx, 20*time.Second, waitJS(`$qa('[data-role=card][data-state=succeeded]').length === 2`, 15*time.Second))
	if got := eval[string](t, ctx, `$q('[data-role=summary]').textContent`); got != "0 running · 2 succeeded · 0 failed" {
		t.Errorf("summary %q when both succeeded", got)
	}
	if h := eval[[]float64](t, ctx, `$qa('[data-role=card]').map(c => c.getBoundingClientRect().height)`); len(h) != 2 || h[0] > 48 || h[1] > 48 {
		t.Errorf("row heights %v px: want dense rows (at most 48 px)", h)
	}
	// A second Create goes on top: newest first.
	create(t, ctx, "Later", 1)
	run(t, ctx, 15*time.Second, waitJS(`$qa('[data-role=card]').length === 3 && $q('[data-role=card] [data-role=label]').textContent === 'Create Notebook “Later”'`, 10*time.Second))

	// A row opens to its details: the item, Open in Fabric, times in the user's locale.
	run(t, ctx, 15*time.Second, waitJS(rowTitled("Later", "succeeded"), 10*time.Second))
	openRow(t, ctx, `[data-role=card][data-status=Succeeded]`)
	got := eval[map[string]string](t, ctx, `(() => {
		const c = window.__row;
		const text = (r) => c.querySelector('[data-role=' + r + ']').textContent;
		return {name: text('result-name'), type: text('result-type'), started: text('started'),
			item: c.querySelector('[data-role=open-item]').href, ws: c.querySelector('[data-role=open-workspace]').href,
			id: c.querySelector('[data-role=result-id]').textContent,
			local: new Intl.DateTimeFormat(undefined, {dateStyle: 'medium'}).format(new Date())};
	})()`)
	if got["type"] != "Notebook" || !strings.HasPrefix(got["name"], "Sales") && got["name"] != "Later" {
		t.Errorf("details show item %q of type %q", got["name"], got["type"])
	}
	if want := "https://app.fabric.microsoft.com/groups/" + emulator.DefaultWorkspaceID + "/synapsenotebooks/" + got["id"]; got["item"] != want {
		t.Errorf("Open in Fabric %q, want %q", got["item"], want)
	}
	if got["ws"] != "https://app.fabric.microsoft.com/groups/"+emulator.DefaultWorkspaceID {
		t.Errorf("workspace link %q", got["ws"])
	}
	if !strings.HasPrefix(got["started"], "started "+got["local"]) {
		t.Errorf("start time %q: want it in the user's locale (%q…)", got["started"], got["local"])
	}
	// Filters: by state, then by kind.
	run(t, ctx, 10*time.Second, do(`$set('[data-role=filter-state]', 'running')`),
		waitJS(`$qa('[data-role=card]').every(c => c.hidden) && !$q('[data-role=empty]').hidden`, 5*time.Second),
		do(`$set('[data-role=filter-state]', '') && $set('[data-role=filter-kind]', 'operation')`),
		waitJS(`$qa('[data-role=card]').filter(c => !c.hidden).length === 3`, 5*time.Second))
	env.screenshot(t, ctx, "both succeeded")

	// Phone width: nothing is wider than the screen, and a Create shows its new row.
	run(t, ctx, 10*time.Second, chromedp.EmulateViewport(390, 844, chromedp.EmulateMobile, chromedp.EmulateScale(2)))
	if width := eval[int](t, ctx, `document.documentElement.scrollWidth`); width > 390 {
		t.Errorf("at phone width the page is %d px wide, want no horizontal scrolling (<= 390)", width)
	}
	eval[int](t, ctx, `(window.scrollTo(0, 0), 0)`)
	if top := eval[float64](t, ctx, `$q('[data-role=card]').getBoundingClientRect().top`); top > 844-48 {
		t.Errorf("at phone width the first row starts at %.0f px: want it on the first screen (operations first)", top)
	}
	env.viewportShot(t, ctx, "phone top")
	create(t, ctx, "Phone", 1)
	run(t, ctx, 15*time.Second, waitJS(`$qa('[data-role=card]').length === 4`, 10*time.Second))
	if r := eval[map[string]float64](t, ctx, `(() => { const r = $q('[data-role=card]').getBoundingClientRect(); return {top: r.top, bottom: r.bottom, h: innerHeight}; })()`); r["top"] < 0 || r["bottom"] > r["h"] {
		t.Errorf("after Create at phone width the new row is at %v: want it scrolled into view", r)
	}
	if over := eval[[]string](t, ctx, `$qa('[data-role=card] [data-role=toggle] > *').filter(e => e.getBoundingClientRect().right > 391).map(e => e.className)`); len(over) > 0 {
		t.Errorf("at phone width these parts of a row stick out: %q", over)
	}
	env.viewportShot(t, ctx, "phone after create")
}

// manyRows: hundreds of operations (finished ones, saved in localStorage by an earlier visit)
// stay readable and usable: dense rows, the summary, the filters, and Clear finished.
func (env *browserEnv) manyRows(t *testing.T) {
	ctx := env.tab(t)
	run(t, ctx, 20*time.Second, chromedp.Navigate(env.pageURL+"/web/fabric-lro.css")) // the origin, to reach its localStorage
	const n = 300
	eval[bool](t, ctx, fmt.Sprintf(`(() => {
		const list = [];
		for (let i = 0; i < %d; i++) {
			const id = '00000000-0000-4000-8000-' + String(i).padStart(12, '0');
			const failed = i %% 10 === 0;
			const st = {v: 'fabric-lro/1', kind: 'operation', id, url: %q + '/operations/' + id, status: failed ? 'Failed' : 'Succeeded', done: true,
				// An hour ago: finished operations older than keepFinishedDays (7) are dropped on load.
				createdTimeUtc: new Date(Date.now() - 3600e3).toISOString(), lastUpdatedTimeUtc: new Date(Date.now() - 3540e3).toISOString(),
				result: failed ? undefined : {id: 'item-' + i, type: 'Notebook', displayName: 'Old ' + i, workspaceId: %q},
				error: failed ? {errorCode: 'OperationFailed', message: 'it failed'} : undefined};
			list.push({id, label: 'Create Notebook “Old ' + i + '”', token: JSON.stringify(st)});
		}
		localStorage.setItem(%q, JSON.stringify(list));
		return true;
	})()`, n, env.proxyURL, emulator.DefaultWorkspaceID, "fabric-lro/operations "+env.proxyURL))
	env.openDashboard(t, ctx)
	run(t, ctx, 20*time.Second, waitJS(rowCount+` === 300`, 15*time.Second))
	if got := eval[string](t, ctx, `$q('[data-role=summary]').textContent`); got != "0 running · 270 succeeded · 30 failed" {
		t.Errorf("summary %q", got)
	}
	if got := eval[string](t, ctx, `$q('[data-role=card] [data-role=label]').textContent`); got != "Create Notebook “Old 299”" {
		t.Errorf("first row %q: want the newest first", got)
	}
	if h := eval[float64](t, ctx, `$q('[data-role=cards]').getBoundingClientRect().height`); h > 300*48 {
		t.Errorf("300 rows take %.0f px: want dense rows", h)
	}
	run(t, ctx, 10*time.Second, do(`$set('[data-role=filter-state]', 'failed')`),
		waitJS(`$qa('[data-role=card]').filter(c => !c.hidden).length === 30`, 5*time.Second))
	if got := eval[string](t, ctx, `$q('[data-role=summary]').textContent`); got != "0 running · 270 succeeded · 30 failed (showing 30 of 300)" {
		t.Errorf("filtered summary %q", got)
	}
	env.viewportShot(t, ctx, "300 rows filtered")
	run(t, ctx, 10*time.Second, chromedp.EmulateViewport(390, 844, chromedp.EmulateMobile, chromedp.EmulateScale(2)))
	if width := eval[int](t, ctx, `document.documentElement.scrollWidth`); width > 390 {
		t.Errorf("with 300 rows at phone width the page is %d px wide", width)
	}
	run(t, ctx, 10*time.Second, do(`$set('[data-role=filter-state]', '') && $click('[data-role=clear-finished]')`),
		waitJS(rowCount+` === 0`, 5*time.Second))
	if saved := eval[string](t, ctx, fmt.Sprintf(`localStorage.getItem(%q)`, "fabric-lro/operations "+env.proxyURL)); saved != "[]" {
		t.Errorf("after Clear finished, localStorage holds %.80s…: want the finished operations forgotten", saved)
	}
}

// failedOperation: a display name with "fail" ends in a Failed operation whose error is shown
// in full, with a bar that is not a full "100%".
func (env *browserEnv) failedOperation(t *testing.T) {
	ctx := env.tab(t)
	env.openDashboard(t, ctx)
	create(t, ctx, "Please fail", 1)
	run(t, ctx, 20*time.Second, waitJS(`$q('[data-role=card][data-status=Failed]') !== null`, 15*time.Second))
	openRow(t, ctx, `[data-role=card][data-status=Failed]`)
	got := eval[map[string]string](t, ctx, `(() => {
		const c = $q('[data-role=card][data-status=Failed]');
		const text = (r) => c.querySelector('[data-role=' + r + ']').textContent;
		return {code: text('error-code'), message: text('error-message'), requestId: text('error-request-id'),
			status: text('status'), progress: text('progress-text'), fill: c.querySelector('.flro-fill').style.width,
			hidden: String(c.querySelector('[data-role=error]').hidden), summary: $q('[data-role=summary]').textContent};
	})()`)
	if got["code"] == "" || got["code"] == "—" || got["message"] == "" || got["message"] == "—" || got["requestId"] == "" || got["status"] != "Failed" || got["hidden"] != "false" {
		t.Errorf("failed row shows %v: want the errorCode, message and requestId", got)
	}
	if got["progress"] == "100%" || got["fill"] != "0%" {
		t.Errorf("failed row's bar: %q, fill %s; want no full bar", got["progress"], got["fill"])
	}
	if got["summary"] != "0 running · 0 succeeded · 1 failed" {
		t.Errorf("summary %q", got["summary"])
	}
	env.screenshot(t, ctx, "failed")
	run(t, ctx, 10*time.Second, chromedp.EmulateViewport(390, 844, chromedp.EmulateMobile, chromedp.EmulateScale(2)))
	eval[int](t, ctx, `($q('[data-role=card][data-status=Failed]').scrollIntoView(), 0)`)
	env.viewportShot(t, ctx, "failed phone")
}

// errorsWhereTheyBelong: invalid input is refused next to its field and kept; a create that
// fails to start is a failed row with Retry (no banner), and Retry sends it again.
func (env *browserEnv) errorsWhereTheyBelong(t *testing.T) {
	ctx := env.tab(t)
	env.emulatorControl(t, "PUT", "/_emulator/config", `{"createMode":"sync"}`)
	env.openDashboard(t, ctx)
	create(t, ctx, "Keep what I typed", 0)
	run(t, ctx, 5*time.Second, waitJS(`!$q('[data-role=error-count]').hidden`, 3*time.Second))
	got := eval[map[string]string](t, ctx, `({count: $q('[data-role=error-count]').textContent, name: $q('[data-role=name]').value,
		invalid: $q('[data-role=count]').getAttribute('aria-invalid'), rows: String($qa('[data-role=card]').length),
		near: String(Math.abs($q('[data-role=error-count]').getBoundingClientRect().top - $q('[data-role=count]').getBoundingClientRect().bottom) < 20)})`)
	if got["count"] != "A number from 1 to 20." || got["name"] != "Keep what I typed" || got["invalid"] != "true" || got["rows"] != "0" || got["near"] != "true" {
		t.Errorf("after an invalid count: %v; want the message under the field, the name kept, nothing sent", got)
	}
	env.viewportShot(t, ctx, "validation")

	env.emulatorControl(t, "PUT", "/_emulator/faults", `{"rules":[{"kind":"500","method":"POST","pathPrefix":"/v1/workspaces","count":1}]}`)
	create(t, ctx, "Retried", 1)
	run(t, ctx, 10*time.Second, waitJS(`$q('[data-role=card][data-state=failed]') !== null && !$q('[data-role=error-count]').offsetParent`, 8*time.Second))
	got = eval[map[string]string](t, ctx, `(() => { const c = $q('[data-role=card][data-state=failed]');
		return {status: c.querySelector('[data-role=status]').textContent, code: c.querySelector('[data-role=error-code]')?.textContent ?? '',
			retry: String(c.querySelector('[data-role=retry]')?.hidden === false), alerts: String($qa('[data-role=messages]').length)}; })()`)
	if got["status"] != "Could not start" || got["code"] == "" || got["retry"] != "true" || got["alerts"] != "0" {
		t.Errorf("a create that failed to start: %v; want a failed row with its error and Retry, no banner", got)
	}
	env.screenshot(t, ctx, "failed to start")
	run(t, ctx, 15*time.Second, do(`$click('[data-role=card][data-state=failed] [data-role=retry]')`),
		waitJS(rowTitled("Retried", "succeeded"), 10*time.Second))
	if n := eval[int](t, ctx, rowCount); n != 1 {
		t.Errorf("%d rows after Retry, want the one row, now succeeded", n)
	}
	env.emulatorControl(t, "DELETE", "/_emulator/faults", "")
}

// reloadResumes: a reload in the middle of an operation picks it up from localStorage and
// follows it to the end.
func (env *browserEnv) reloadResumes(t *testing.T) {
	env.emulatorControl(t, "POST", "/_emulator/reset", "")
	ctx := env.tab(t)
	env.emulatorControl(t, "PUT", "/_emulator/config", `{"createMode":"async","operationDuration":"5s"}`)
	env.openDashboard(t, ctx)
	create(t, ctx, "Survivor", 1)
	run(t, ctx, 10*time.Second, waitJS(`$q('[data-role=card][data-status=NotStarted], [data-role=card][data-status=Running]') !== null`, 8*time.Second))
	id := eval[string](t, ctx, `$q('[data-role=card]').dataset.id`)
	saved := eval[string](t, ctx, `JSON.stringify(Object.entries(localStorage))`)
	if !strings.Contains(saved, id) || strings.Contains(saved, "dev-token") {
		t.Fatalf("localStorage %s: want operation %s saved, and never the token", saved, id)
	}
	run(t, ctx, 30*time.Second,
		chromedp.Reload(),
		waitJS(fmt.Sprintf(`$q('[data-role=card][data-id=%q]') !== null`, id), 15*time.Second),
	)
	env.screenshot(t, ctx, "after reload")
	run(t, ctx, 20*time.Second, waitJS(rowTitled("Survivor", "succeeded"), 15*time.Second))
	if n := eval[int](t, ctx, rowCount); n != 1 {
		t.Errorf("%d rows after reload, want the 1 resumed", n)
	}
}

// throttleStorm: every operation poll is throttled three times (429 with Retry-After); the
// row says it is waiting out Fabric's 429 and for how long, then waits each one out and still
// shows the result.
func (env *browserEnv) throttleStorm(t *testing.T) {
	ctx := env.tab(t)
	env.emulatorControl(t, "PUT", "/_emulator/config", `{"createMode":"async","operationDuration":"2s"}`)
	env.openDashboard(t, ctx)
	env.emulatorControl(t, "PUT", "/_emulator/faults", `{"rules":[{"kind":"429","pathPrefix":"/v1/operations","count":3,"retryAfterSeconds":2}]}`)
	create(t, ctx, "Storm", 1)
	const status = `[...$qa('[data-role=card]')].find(c => c.querySelector('[data-role=label]').textContent.includes('“Storm”'))?.querySelector('[data-role=status]').textContent ?? ''`
	run(t, ctx, 20*time.Second, waitJS(`/throttled by Fabric \(429\) for 2s · (next|first) check in [12] s/.test(`+status+`)`, 15*time.Second))
	env.screenshot(t, ctx, "throttled")
	run(t, ctx, 30*time.Second, waitJS(rowTitled("Storm", "succeeded"), 25*time.Second))
	if got := eval[string](t, ctx, status); strings.Contains(got, "throttled") || strings.Contains(got, "next check") {
		t.Errorf("the finished row still says %q: want no waiting state once done", got)
	}
	var faults struct {
		Rules []struct {
			Fired int `json:"fired"`
		} `json:"rules"`
	}
	if err := json.Unmarshal([]byte(env.emulatorControl(t, "GET", "/_emulator/faults", "")), &faults); err != nil {
		t.Fatal(err)
	}
	if len(faults.Rules) != 1 || faults.Rules[0].Fired != 3 {
		t.Errorf("faults %+v: want the 429 rule fired 3 times", faults)
	}
	env.emulatorControl(t, "DELETE", "/_emulator/faults", "")
}

// embedding: a portal page on another origin embeds the dashboard with the README snippet.
func (env *browserEnv) embedding(t *testing.T) {
	ctx := env.tab(t)
	env.emulatorControl(t, "PUT", "/_emulator/config", `{"createMode":"async"}`)
	run(t, ctx, 40*time.Second,
		chromedp.Navigate(env.portalURL+"/pages/embed.html"),
		waitJS(`document.querySelector('#fabric-ops').shadowRoot?.querySelector('[data-role=create-form]') != null`, 20*time.Second),
		waitJS(rowTitled("Sales report", "succeeded"), 20*time.Second),
	)
	if n := eval[int](t, ctx, `$qa('[data-role=settings]').length`); n != 0 {
		t.Errorf("the embedded dashboard shows a settings panel; the portal owns the token")
	}
	if n := eval[int](t, ctx, `document.querySelectorAll('[data-role]').length`); n != 0 {
		t.Errorf("%d dashboard elements are in the portal's own DOM: want them all in the shadow root", n)
	}
	env.screenshot(t, ctx, "portal")
}

// hostileStyles: a portal whose stylesheet styles header, code, dl, button, p, span, li and
// div globally (and sets fonts and colours on body) mounts the list alone, fed by its own
// button through createItem: the dashboard's computed styles are those of a plain page, and
// the portal's CSS custom properties are the only way in.
func (env *browserEnv) hostileStyles(t *testing.T) {
	env.emulatorControl(t, "PUT", "/_emulator/config", `{"createMode":"sync"}`)
	const styles = `(() => {
		const out = {};
		const pick = (name, e) => { const s = getComputedStyle(e); out[name] = [s.color, s.backgroundColor, s.fontFamily, s.fontSize, s.fontStyle, s.letterSpacing, s.textTransform, s.lineHeight, s.borderTopWidth, s.borderTopColor, s.textAlign].join(' | '); };
		pick('row', $q('[data-role=card]'));
		pick('label', $q('[data-role=label]'));
		pick('status', $q('[data-role=status]'));
		pick('toggle', $q('[data-role=toggle]'));
		pick('summary', $q('[data-role=summary]'));
		pick('result-name', $q('[data-role=result-name]'));
		pick('id', $q('[data-role=id]'));
		pick('dismiss', $q('[data-role=dismiss]'));
		return out;
	})()`
	shown := func(name string) map[string]string {
		ctx := env.tab(t)
		run(t, ctx, 40*time.Second,
			chromedp.Navigate(env.portalURL+"/pages/"+name),
			waitJS(`window.portalReady === true`, 20*time.Second),
			do(`document.getElementById('portal-create').click()`),
			waitJS(rowTitled("From the portal", "succeeded"), 15*time.Second),
		)
		if n := eval[int](t, ctx, `$qa('[data-role=create-form], [data-role=track-form], [data-role=settings]').length`); n != 0 {
			t.Errorf("%s: mount(el, {forms: []}) shows %d forms; want the list alone", name, n)
		}
		openRow(t, ctx, `[data-role=card]`)
		if name == "hostile.html" {
			env.screenshot(t, ctx, "hostile portal")
			if got := eval[string](t, ctx, `getComputedStyle($q('[data-role=dismiss]')).color`); got != "rgb(128, 0, 128)" {
				t.Errorf("the portal's --flro-accent custom property did not apply: Dismiss is %q", got)
			}
		}
		return eval[map[string]string](t, ctx, styles)
	}
	plain, hostile := shown("plain.html"), shown("hostile.html")
	for part, want := range plain {
		if part == "dismiss" {
			continue // its colour is the portal's --flro-accent, checked above
		}
		if got := hostile[part]; got != want {
			t.Errorf("%s under the portal's stylesheet: %s\n want as on a plain page: %s", part, got, want)
		}
	}
}

// customElement: <fabric-lro-dashboard> on another origin loads and lists workspaces.
func (env *browserEnv) customElement(t *testing.T) {
	ctx := env.tab(t)
	run(t, ctx, 30*time.Second,
		chromedp.Navigate(env.portalURL+"/pages/element.html"),
		waitJS(`document.querySelector('fabric-lro-dashboard').shadowRoot?.querySelector('[data-role=workspace] option[value="`+emulator.DefaultWorkspaceID+`"]') != null`, 20*time.Second),
	)
}

// jobCancel: a created notebook offers "Run notebook"; a double click starts one run, named
// after the notebook, and Run stays disabled while it runs. Cancel, reached with the keyboard
// alone (Tab from the top of the page, then Enter), asks once, shows "Cancelling…", and ends
// in a neutral Cancelled. On the way, every visible control must be reachable by Tab.
func (env *browserEnv) jobCancel(t *testing.T) {
	ctx := env.tab(t)
	env.emulatorControl(t, "PUT", "/_emulator/config", `{"createMode":"sync","jobDuration":"60s"}`)
	env.openDashboard(t, ctx)
	// Keyboard: type the name and press Enter in the form instead of clicking Create.
	run(t, ctx, 30*time.Second,
		do(`$set('[data-role=count]', '1') && $set('[data-role=name]', '') && ($q('[data-role=name]').focus(), true)`),
		chromedp.KeyEvent("Job host\r"),
		waitJS(rowTitled("Job host", "succeeded"), 10*time.Second),
	)
	openRow(t, ctx, `[data-role=card][data-status=Succeeded]`)
	run(t, ctx, 15*time.Second,
		do(`(() => { const b = $q('[data-role=card][data-status=Succeeded] [data-role=run-job]'); b.click(); b.click(); return true; })()`),
		waitJS(`$q('[data-role=card][data-kind=job]') !== null && $q('[data-role=card][data-kind=job]').dataset.status !== ''`, 10*time.Second),
	)
	got := eval[map[string]string](t, ctx, `({jobs: String($qa('[data-role=card][data-kind=job]').length),
		title: $q('[data-role=card][data-kind=job] [data-role=label]').textContent,
		run: $q('[data-role=card][data-status=Succeeded] [data-role=run-job]').textContent,
		disabled: String($q('[data-role=card][data-status=Succeeded] [data-role=run-job]').disabled)})`)
	if got["jobs"] != "1" || got["title"] != "Run notebook “Job host”" || got["run"] != "Run notebook" || got["disabled"] != "true" {
		t.Errorf("after a double click on Run: %v; want one run named after the notebook, and Run disabled", got)
	}
	openRow(t, ctx, `[data-role=card][data-kind=job]`)

	// Every visible control is reached by Tab from the top of the page.
	total := eval[int](t, ctx, `(() => {
		$focused()?.blur();
		window.__controls = $qa('a[href], button, input, select, textarea, summary, [tabindex]:not([tabindex="-1"])')
			.filter((e) => !e.disabled && e.checkVisibility({visibilityProperty: true}));
		window.__reached = new Set();
		return window.__controls.length;
	})()`)
	if total < 10 {
		t.Fatalf("only %d visible controls found: the page is not what this test expects", total)
	}
	for range total + 5 {
		run(t, ctx, 5*time.Second, chromedp.KeyEvent(kb.Tab))
		eval[bool](t, ctx, `(() => { const i = window.__controls.indexOf($focused()); if (i >= 0) window.__reached.add(i); return true; })()`)
	}
	if missed := eval[[]string](t, ctx, `window.__controls.filter((e, i) => !window.__reached.has(i)).map((e) => e.dataset.role || e.id || e.outerHTML.slice(0, 80))`); len(missed) > 0 {
		t.Errorf("%d of %d controls are not reachable by Tab: %q", len(missed), total, missed)
	}

	// Cancel with the keyboard alone: Tab from the top until the job's Cancel has the focus,
	// then Enter; it asks; Tab to the confirming button, Enter.
	tabTo := func(role string) {
		t.Helper()
		expr := fmt.Sprintf(`(() => { const e = $focused(); return e?.dataset.role === %q && e.closest('[data-role=card]')?.dataset.kind === "job"; })()`, role)
		for range total + 5 {
			if eval[bool](t, ctx, expr) {
				return
			}
			run(t, ctx, 5*time.Second, chromedp.KeyEvent(kb.Tab))
		}
		t.Fatalf("Tab never reached the job's %s button", role)
	}
	eval[bool](t, ctx, `($focused()?.blur(), true)`)
	tabTo("cancel")
	run(t, ctx, 10*time.Second, chromedp.KeyEvent(kb.Enter),
		waitJS(`$q('[data-role=card][data-kind=job] [data-role=confirm]').hidden === false`, 5*time.Second))
	if q := eval[string](t, ctx, `$q('[data-role=card][data-kind=job] [data-role=question]').textContent`); !strings.Contains(q, "Cancel this run") {
		t.Errorf("Cancel asks %q", q)
	}
	env.viewportShot(t, ctx, "cancel asks")
	tabTo("confirm-yes")
	// Fabric keeps a cancelled job InProgress for a while (the emulator: CancelDuration, 2 s)
	// and its job-instance GET carries Retry-After (here 1 s), which paces the engine's
	// checks: "Cancelling…" shows until a check sees Cancelled, then the cancelled status.
	run(t, ctx, 30*time.Second,
		chromedp.KeyEvent(kb.Enter),
		waitJS(`$q('[data-role=card][data-kind=job] [data-role=status]').textContent === 'Cancelling…'`, 5*time.Second),
		waitJS(`$q('[data-role=card][data-status=Cancelled]') !== null`, 25*time.Second),
	)
	got = eval[map[string]string](t, ctx, `(() => { const c = $q('[data-role=card][data-status=Cancelled]');
		return {cancel: String(c.querySelector('[data-role=cancel]').hidden), error: String(c.querySelector('[data-role=error]').hidden),
			class: c.className, words: c.querySelector('[data-role=status]').textContent, summary: $q('[data-role=summary]').textContent,
			run: String($q('[data-role=card][data-status=Succeeded] [data-role=run-job]').disabled)}; })()`)
	if got["cancel"] != "true" || got["error"] != "true" || !strings.Contains(got["class"], "st-cancelled") || got["words"] != "Cancelled" || got["run"] != "false" {
		t.Errorf("a cancelled job: %v; want neutral Cancelled, no error, no Cancel, Run enabled again", got)
	}
	if !strings.HasSuffix(got["summary"], "· 1 cancelled or stopped") {
		t.Errorf("summary %q", got["summary"])
	}
	env.screenshot(t, ctx, "job cancelled")

	// Dismiss a running operation: it asks, and says it keeps running in Fabric.
	env.emulatorControl(t, "PUT", "/_emulator/config", `{"createMode":"async","operationDuration":"60s"}`)
	create(t, ctx, "Long one", 1)
	run(t, ctx, 10*time.Second, waitJS(`$q('[data-role=card][data-state=running]')?.dataset.id?.length === 36`, 8*time.Second))
	openRow(t, ctx, `[data-role=card][data-state=running]`)
	run(t, ctx, 10*time.Second, do(`$click('[data-role=card][data-state=running] [data-role=dismiss]')`),
		waitJS(`$q('[data-role=card][data-state=running] [data-role=confirm]').hidden === false`, 5*time.Second))
	if q := eval[string](t, ctx, `$q('[data-role=card][data-state=running] [data-role=question]').textContent`); !strings.Contains(q, "keeps running in Fabric") {
		t.Errorf("Dismiss asks %q", q)
	}
	before := eval[int](t, ctx, rowCount)
	run(t, ctx, 10*time.Second, do(`$click('[data-role=card][data-state=running] [data-role=confirm-yes]')`),
		waitJS(fmt.Sprintf(`%s === %d`, rowCount, before-1), 5*time.Second))
}

// trackExisting: an operation started elsewhere (here: by a script, through the proxy) is
// tracked from the page by its Location URL, and by its bare id, and followed to its result;
// its title names the item once the result does.
func (env *browserEnv) trackExisting(t *testing.T) {
	ctx := env.tab(t)
	env.emulatorControl(t, "PUT", "/_emulator/config", `{"createMode":"async","operationDuration":"3s"}`)
	req, err := http.NewRequest("POST", env.proxyURL+"/workspaces/"+emulator.DefaultWorkspaceID+"/items",
		strings.NewReader(`{"type":"Lakehouse","displayName":"Started elsewhere"}`))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer dev-token")
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Origin", env.pageURL)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	location, id := resp.Header.Get("Location"), resp.Header.Get("x-ms-operation-id")
	if resp.StatusCode != 202 || !strings.HasPrefix(location, strings.TrimSuffix(env.proxyURL, "/v1")) || id == "" {
		t.Fatalf("create through the proxy: %d, Location %q, id %q; want 202 with a Location on the proxy", resp.StatusCode, location, id)
	}
	env.openDashboard(t, ctx)
	// Not an operation: a message next to the field, the input kept, and no row.
	run(t, ctx, 10*time.Second,
		do(`$click('[data-role=track-summary]')`),
		waitJS(`$q('[data-role=track-input]').checkVisibility()`, 5*time.Second),
		do(`$set('[data-role=track-input]', 'not-an-operation') && $click('[data-role=track]')`),
		waitJS(`$q('[data-role=error-track]').textContent.includes('Not tracked') && !$q('[data-role=error-track]').hidden`, 5*time.Second),
	)
	if got := eval[string](t, ctx, `$q('[data-role=track-input]').value`); got != "not-an-operation" {
		t.Errorf("the rejected input became %q; want it kept", got)
	}
	if n := eval[int](t, ctx, rowCount); n != 0 {
		t.Errorf("tracking %q made %d rows, want none", "not-an-operation", n)
	}
	run(t, ctx, 20*time.Second,
		do(fmt.Sprintf(`$set('[data-role=track-input]', %q) && $click('[data-role=track]')`, location)),
		waitJS(fmt.Sprintf(`$q('[data-role=card][data-id=%q]') !== null`, id), 10*time.Second),
		// The same operation by its id: still one row.
		do(fmt.Sprintf(`$set('[data-role=track-input]', %q) && $click('[data-role=track]')`, id)),
		waitJS(`$q('[data-role=card][data-state=succeeded]') !== null`, 15*time.Second),
	)
	if n := eval[int](t, ctx, rowCount); n != 1 {
		t.Errorf("%d rows, want 1 (the same operation tracked twice)", n)
	}
	if got := eval[string](t, ctx, `$q('[data-role=card] [data-role=label]').textContent`); got != "Lakehouse “Started elsewhere”" {
		t.Errorf("tracked row title %q, want the item's name once known", got)
	}
	if !eval[bool](t, ctx, `$q('[data-role=error-track]').hidden && $q('[data-role=track-input]').value === ''`) {
		t.Error("the message and the input stay after an accepted Track")
	}
}

// linkedAPIBase: a link that sets ?apiBase= to another host must not send it the token. The
// page keeps using its configured API base, shows the proposed one in Settings, and after
// Apply sends nothing until a token is typed for that origin.
func (env *browserEnv) linkedAPIBase(t *testing.T) {
	var mu sync.Mutex
	var seen []string // "METHOD path auth=..."
	evil := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		seen = append(seen, r.Method+" "+r.URL.Path+" auth="+r.Header.Get("Authorization"))
		mu.Unlock()
		w.Header().Set("Access-Control-Allow-Origin", "*")
		w.Header().Set("Access-Control-Allow-Headers", "*")
		w.Header().Set("Access-Control-Allow-Methods", "*")
		w.Header().Set("Content-Type", "application/json")
		fmt.Fprint(w, `{"value":[]}`)
	}))
	t.Cleanup(evil.Close)
	tokensSent := func() []string {
		mu.Lock()
		defer mu.Unlock()
		var out []string
		for _, s := range seen {
			if !strings.HasSuffix(s, "auth=") {
				out = append(out, s)
			}
		}
		return out
	}
	evilBase := evil.URL + "/v1"
	ctx := env.tab(t)
	run(t, ctx, 30*time.Second,
		chromedp.Navigate(env.pageURL+"/?apiBase="+evilBase),
		waitJS(workspacesLoaded, 20*time.Second), // from the configured proxy
	)
	if got := eval[string](t, ctx, `$q('[data-role=api-base]').value`); got != evilBase {
		t.Errorf("Settings show API base %q, want the proposed %q", got, evilBase)
	}
	if got := eval[string](t, ctx, `$q('[data-role=page-notice]')?.textContent ?? ""`); !strings.Contains(got, evilBase) || !strings.Contains(got, "Apply") {
		t.Errorf("page notice %q: want it to name the proposed API base and say to Apply", got)
	}
	if got := tokensSent(); len(got) != 0 {
		t.Fatalf("the linked API base received a token before Apply: %q", got)
	}

	// Apply without typing a token: the dev token of the configured proxy is not carried over.
	run(t, ctx, 10*time.Second, do(`($q('details.flro-settings').open = true, $click('[data-role=apply-settings]'))`))
	waitAcrossNavigation(t, ctx, `document.getElementById("api-base-label")?.textContent === `+fmt.Sprintf("%q", evilBase)+
		` && $q('[data-role=workspaces-status]')?.textContent.includes("NoToken")`, 20*time.Second)
	if got := tokensSent(); len(got) != 0 {
		t.Fatalf("a token was sent to the newly applied API base without being typed for it: %q", got)
	}
	if evilToken := eval[any](t, ctx, fmt.Sprintf(`sessionStorage.getItem(%q)`, "fabric-lro.token "+evil.URL)); evilToken != nil {
		t.Errorf("sessionStorage holds token %v for the linked origin: the configured API base's token was carried over", evilToken)
	}
	if open := eval[bool](t, ctx, `$q('details.flro-settings').open`); !open {
		t.Error("Settings are folded although there is no token for this API base")
	}
	// Back on the configured API base, its own token still works.
	run(t, ctx, 30*time.Second,
		chromedp.Navigate(env.pageURL+"/"),
		waitJS(workspacesLoaded, 20*time.Second),
	)
	if got := tokensSent(); len(got) != 0 {
		t.Errorf("tokens sent to the other host: %q", got)
	}
}

// connectionCauses: Test connection in Settings tells apart Fabric reachable, nothing
// listening, not the proxy's path, an origin the proxy does not allow, and a refused token;
// a workspace list that got no answer names the cause; changing the API base says how many
// operations belong to the previous one, and Switch back returns to it.
func (env *browserEnv) connectionCauses(t *testing.T) {
	other := startNativeProxy(t, env.emuURL, env.portalURL) + "/v1" // does not allow the page's origin
	dead := fmt.Sprintf("http://127.0.0.1:%d/v1", freePort(t))
	ctx := env.tab(t)
	env.emulatorControl(t, "PUT", "/_emulator/config", `{"createMode":"sync"}`)
	env.openDashboard(t, ctx)
	create(t, ctx, "Before the switch", 1)
	run(t, ctx, 10*time.Second, waitJS(rowTitled("Before the switch", "succeeded"), 8*time.Second),
		do(`$click('[data-role=settings-summary]')`))
	for _, tt := range []struct {
		name, apiBase, token, cause, says string
	}{
		{name: "the configured proxy", apiBase: env.proxyURL, token: "dev-token", cause: "reachable", says: "lists 1 workspace"},
		{name: "/v1 missing", apiBase: strings.TrimSuffix(env.proxyURL, "/v1"), token: "dev-token", cause: "not-proxy-path", says: "ending in /v1"},
		{name: "nothing listening", apiBase: dead, token: "dev-token", cause: "nothing-listening", says: "Nothing answers at"},
		{name: "origin not allowed", apiBase: other, token: "dev-token", cause: "origin-not-allowed", says: "add " + env.pageURL + " to the proxy's ALLOWED_ORIGINS"},
		{name: "no token", apiBase: env.proxyURL, token: "", cause: "token-rejected", says: "TokenNotProvided"},
	} {
		run(t, ctx, 20*time.Second,
			do(fmt.Sprintf(`$set('[data-role=api-base]', %q) && $set('[data-role=token]', %q) && $click('[data-role=test-connection]')`, tt.apiBase, tt.token)),
			waitJS(fmt.Sprintf(`$q('[data-role=connection]').dataset.cause === %q`, tt.cause), 15*time.Second))
		if got := eval[string](t, ctx, `$q('[data-role=connection]').textContent`); !strings.Contains(got, tt.says) {
			t.Errorf("%s: Test connection says %q, want it to say %q", tt.name, got, tt.says)
		}
		if tt.name == "origin not allowed" {
			env.viewportShot(t, ctx, "test connection")
		}
	}

	// Apply the proxy that refuses this origin: the workspace list names the cause, and the
	// operation of the previous API base is accounted for.
	run(t, ctx, 10*time.Second,
		do(fmt.Sprintf(`$set('[data-role=api-base]', %q) && $set('[data-role=token]', 'dev-token-2') && $click('[data-role=apply-settings]')`, other)))
	waitAcrossNavigation(t, ctx, `$q('[data-role=workspaces-status]')?.textContent.includes('ALLOWED_ORIGINS')`, 20*time.Second)
	if got := eval[string](t, ctx, `$q('[data-role=workspaces-status]').textContent`); strings.Contains(got, "NoToken") {
		t.Errorf("workspace status %q: want the cause, not NoToken", got)
	}
	if got := eval[string](t, ctx, `$q('[data-role=page-notice]')?.textContent ?? ''`); !strings.Contains(got, "1 operation belongs to the previous one, "+env.proxyURL) {
		t.Errorf("page notice %q: want it to say the previous API base's operation is kept", got)
	}
	run(t, ctx, 10*time.Second, do(`$click('[data-role=switch-back]')`))
	waitAcrossNavigation(t, ctx, rowTitled("Before the switch", "succeeded")+` && document.getElementById('api-base-label').textContent === `+fmt.Sprintf("%q", env.proxyURL), 20*time.Second)
}
