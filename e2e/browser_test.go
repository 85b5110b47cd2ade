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
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"

	"github.com/fabric-lro/fabric-lro/emulator"
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

	for _, via := range []struct {
		name  string
		start func(t *testing.T, upstream, allowedOrigins string) string
	}{
		{name: "native", start: startNativeProxy},
		{name: "workerd", start: startWorkerd},
	} {
		t.Run(via.name, func(t *testing.T) {
			env := newBrowserEnv(t, root, browser, via.start)
			t.Run("two notebooks", env.twoNotebooks)
			t.Run("failed operation shows its error", env.failedOperation)
			t.Run("reload resumes", env.reloadResumes)
			t.Run("429 storm", env.throttleStorm)
			t.Run("JS API embedding", env.embedding)
			t.Run("custom element", env.customElement)
			t.Run("job run and cancel", env.jobCancel)
			t.Run("track an existing operation", env.trackExisting)
			t.Run("apiBase from a link gets no token", env.linkedAPIBase)
		})
	}
}

// startChromium starts one headless Chromium for the whole test, with a fresh profile and HOME.
func startChromium(t *testing.T, chromium string) context.Context {
	t.Helper()
	home := t.TempDir()
	alloc, cancelAlloc := chromedp.NewExecAllocator(context.Background(),
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
		chromedp.Env("HOME="+home),
		chromedp.WindowSize(1280, 900),
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
	files := http.StripPrefix("/web/", http.FileServer(http.Dir(filepath.Join(root, "web"))))
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
			t.Logf("browser console:\n%s", strings.Join(console, "\n"))
			mu.Unlock()
			env.screenshot(t, ctx, "FAILED")
		}
	})
	return ctx
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

// waitJS waits (bounded) until the JavaScript expression is truthy; the page is polled, never slept on.
func waitJS(expr string, timeout time.Duration) chromedp.Action[chromedp.Void] {
	return chromedp.Poll[chromedp.Void](expr, chromedp.WithPollingInterval(100*time.Millisecond), chromedp.WithPollingTimeout(timeout))
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
		if time.Now().After(deadline) || !strings.Contains(err.Error(), "context") {
			t.Fatalf("waiting for %s: %v", expr, err)
		}
	}
}

// eval reads a JavaScript value.
func eval[T any](t *testing.T, ctx context.Context, expr string) T {
	t.Helper()
	tctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	v, err := chromedp.Run(tctx, chromedp.Evaluate[T](expr))
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

// Selectors and page expressions.
const (
	workspacesLoaded = `document.querySelector('[data-role=workspace] option[value="` + emulator.DefaultWorkspaceID + `"]') !== null`
	cardCount        = `document.querySelectorAll('[data-role=card]').length`
)

func cardWithName(name, status string) string {
	return fmt.Sprintf(`[...document.querySelectorAll('[data-role=card][data-status=%s]')].some(c => c.querySelector('[data-role=result-name]').textContent === %q)`, status, name)
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
		chromedp.SetValue(`[data-role=name]`, name),
		chromedp.SetValue(`[data-role=count]`, fmt.Sprint(count)),
		chromedp.Click(`[data-role=create]`),
	)
}

// twoNotebooks: the seed's scenario. One notebook is created at once (201), the other is a
// 202 operation polled to Succeeded, and both show their item.
func (env *browserEnv) twoNotebooks(t *testing.T) {
	ctx := env.tab(t)
	env.openDashboard(t, ctx)
	create(t, ctx, "Sales", 2)
	// The 201 is done as soon as the create returns; the 202 is still going. The two creates
	// are sent at once, so which of them the emulator answers first (201) is not fixed,
	// as with Fabric.
	run(t, ctx, 15*time.Second,
		waitJS(`document.querySelectorAll('[data-role=card][data-status=Succeeded]').length === 1`, 10*time.Second),
		waitJS(`document.querySelectorAll('[data-role=card]:not([data-status=Succeeded])').length === 1`, 10*time.Second),
	)
	pendingName := strings.TrimPrefix(strings.TrimSuffix(eval[string](t, ctx,
		`document.querySelector('[data-role=card]:not([data-status=Succeeded]) [data-role=label]').textContent`), "”"), "Create Notebook “")
	if pendingName != "Sales 1" && pendingName != "Sales 2" {
		t.Fatalf("the running card is labelled %q, want one of the two notebooks", pendingName)
	}
	pending := eval[string](t, ctx, `document.querySelector('[data-role=card]:not([data-status=Succeeded]) [data-role=next-check]').textContent`)
	if !strings.HasPrefix(pending, "next check in") && !strings.HasPrefix(pending, "first check in") && pending != "checking now…" {
		t.Errorf("the 202 card says %q, want a countdown to its next check", pending)
	}
	if words := eval[string](t, ctx, `document.querySelector('[data-role=card]:not([data-status=Succeeded]) [data-role=status]').textContent`); strings.Contains(words, "Waiting for the first check") {
		t.Errorf("the 202 card says %q: the words contradict its check count", words)
	}
	env.screenshot(t, ctx, "one done one running")
	const firstCardRect = `JSON.stringify(document.querySelector('[data-role=card]').getBoundingClientRect())`
	if label := eval[string](t, ctx, `document.querySelector('[data-role=card] [data-role=label]').textContent`); !strings.Contains(label, "Sales 1") {
		t.Errorf("first card is %q, want Sales 1: cards in the order they were created", label)
	}
	rectBefore := eval[string](t, ctx, firstCardRect)
	heightBefore := eval[float64](t, ctx, `document.querySelector('[data-role=card]:not([data-status=Succeeded])').getBoundingClientRect().height`)
	run(t, ctx, 20*time.Second, waitJS(cardWithName(pendingName, "Succeeded"), 15*time.Second))
	heightAfter := eval[float64](t, ctx, `[...document.querySelectorAll('[data-role=card]')].find(c => c.querySelector('[data-role=result-name]').textContent === `+strconv.Quote(pendingName)+`).getBoundingClientRect().height`)
	if heightBefore != heightAfter {
		t.Errorf("the card's height changed from %v to %v px when its result arrived: want no layout jump", heightBefore, heightAfter)
	}
	if rectAfter := eval[string](t, ctx, firstCardRect); rectAfter != rectBefore {
		t.Errorf("the first card moved from %s to %s when the 202 card finished: want nothing on screen to move", rectBefore, rectAfter)
	}
	if n := eval[int](t, ctx, cardCount); n != 2 {
		t.Errorf("%d cards, want 2", n)
	}
	// The 201 has no operation id (the engine names it call-N); the 202 has Fabric's.
	ids := eval[[]string](t, ctx, `[...document.querySelectorAll('[data-role=card]')].map(c => c.dataset.id)`)
	var fabricIDs int
	for _, id := range ids {
		if regexp.MustCompile(`^[0-9a-f-]{36}$`).MatchString(id) {
			fabricIDs++
		}
	}
	if fabricIDs != 1 {
		t.Errorf("card ids %q: want exactly one Fabric operation id (one 201, one 202)", ids)
	}
	itemType := eval[string](t, ctx, `document.querySelector('[data-role=card] [data-role=result-type]').textContent`)
	if itemType != "Notebook" {
		t.Errorf("result type %q, want Notebook", itemType)
	}
	env.screenshot(t, ctx, "both succeeded")

	// Phone width: nothing is wider than the screen.
	run(t, ctx, 10*time.Second, chromedp.EmulateViewport(390, 844, chromedp.EmulateMobile, chromedp.EmulateScale(2)))
	width := eval[int](t, ctx, `document.documentElement.scrollWidth`)
	if width > 390 {
		t.Errorf("at phone width the page is %d px wide, want no horizontal scrolling (<= 390)", width)
	}
	env.screenshot(t, ctx, "phone")
	// Create on a phone: the new card is scrolled into view, and the buttons are alike.
	eval[int](t, ctx, `(window.scrollTo(0, 0), 0)`)
	widths := eval[[]float64](t, ctx, `['create', 'track', 'apply-settings'].map(r => document.querySelector('[data-role=' + r + ']').getBoundingClientRect().width)`)
	if widths[0] != widths[1] || widths[1] != widths[2] {
		t.Errorf("at phone width Create, Track and Apply are %v px wide: want them alike", widths)
	}
	create(t, ctx, "Phone", 1)
	run(t, ctx, 15*time.Second, waitJS(`document.querySelectorAll('[data-role=card]').length === 3`, 10*time.Second))
	if r := eval[map[string]float64](t, ctx, `(() => { const r = [...document.querySelectorAll('[data-role=card]')].at(-1).getBoundingClientRect(); return {top: r.top, bottom: r.bottom, h: innerHeight}; })()`); r["top"] < 0 || r["bottom"] > r["h"] {
		t.Errorf("after Create at phone width the new card is at %v: want it scrolled into view", r)
	}
	env.viewportShot(t, ctx, "phone after create")
}

// failedOperation: a display name with "fail" ends in a Failed operation whose error is shown.
func (env *browserEnv) failedOperation(t *testing.T) {
	ctx := env.tab(t)
	env.openDashboard(t, ctx)
	create(t, ctx, "Please fail", 1)
	run(t, ctx, 20*time.Second, waitJS(`document.querySelector('[data-role=card][data-status=Failed]') !== null`, 15*time.Second))
	got := eval[map[string]string](t, ctx, `(() => {
		const c = document.querySelector('[data-role=card][data-status=Failed]');
		const text = (r) => c.querySelector('[data-role=' + r + ']').textContent;
		return {code: text('error-code'), message: text('error-message'), requestId: text('error-request-id'),
			status: text('status'), hidden: String(c.querySelector('[data-role=error]').hidden)};
	})()`)
	if got["code"] == "" || got["code"] == "—" || got["message"] == "" || got["message"] == "—" || got["requestId"] == "" || got["status"] != "Failed" || got["hidden"] != "false" {
		t.Errorf("failed card shows %v: want the errorCode, message and requestId", got)
	}
	// The whole error is readable: scrolled to its end inside the card, the request id's Copy
	// button and the details are within the visible area (not clipped by the card).
	clipped := eval[[]string](t, ctx, `(() => {
		const c = document.querySelector('[data-role=card][data-status=Failed]');
		const d = c.querySelector('.flro-detail');
		d.scrollTop = d.scrollHeight;
		const box = d.getBoundingClientRect();
		return ['copy-request-id', 'error-details'].filter(r => {
			const e = c.querySelector('[data-role=' + r + ']').getBoundingClientRect();
			return e.top < box.top - 1 || e.bottom > box.bottom + 1;
		});
	})()`)
	if len(clipped) > 0 {
		t.Errorf("failed card: %v cut off even when its error is scrolled to the end", clipped)
	}
	env.screenshot(t, ctx, "failed")
	run(t, ctx, 10*time.Second, chromedp.EmulateViewport(390, 844, chromedp.EmulateMobile, chromedp.EmulateScale(2)))
	eval[int](t, ctx, `(document.querySelector('[data-role=card][data-status=Failed]').scrollIntoView(), 0)`)
	env.viewportShot(t, ctx, "failed phone")
}

// reloadResumes: a reload in the middle of an operation picks it up from localStorage and
// follows it to the end.
func (env *browserEnv) reloadResumes(t *testing.T) {
	env.emulatorControl(t, "POST", "/_emulator/reset", "")
	ctx := env.tab(t)
	env.emulatorControl(t, "PUT", "/_emulator/config", `{"createMode":"async","operationDuration":"5s"}`)
	env.openDashboard(t, ctx)
	create(t, ctx, "Survivor", 1)
	run(t, ctx, 10*time.Second, waitJS(`document.querySelector('[data-role=card][data-status=NotStarted], [data-role=card][data-status=Running]') !== null`, 8*time.Second))
	id := eval[string](t, ctx, `document.querySelector('[data-role=card]').dataset.id`)
	saved := eval[string](t, ctx, `JSON.stringify(Object.entries(localStorage))`)
	if !strings.Contains(saved, id) || strings.Contains(saved, "dev-token") {
		t.Fatalf("localStorage %s: want operation %s saved, and never the token", saved, id)
	}
	run(t, ctx, 30*time.Second,
		chromedp.Reload(),
		waitJS(fmt.Sprintf(`document.querySelector('[data-role=card][data-id=%q]') !== null`, id), 15*time.Second),
	)
	env.screenshot(t, ctx, "after reload")
	run(t, ctx, 20*time.Second, waitJS(cardWithName("Survivor", "Succeeded"), 15*time.Second))
	if n := eval[int](t, ctx, cardCount); n != 1 {
		t.Errorf("%d cards after reload, want the 1 resumed", n)
	}
}

// throttleStorm: every operation poll is throttled three times (429 with Retry-After); the
// dashboard waits each one out and still shows the result.
func (env *browserEnv) throttleStorm(t *testing.T) {
	ctx := env.tab(t)
	env.emulatorControl(t, "PUT", "/_emulator/config", `{"createMode":"async","operationDuration":"2s"}`)
	env.openDashboard(t, ctx)
	env.emulatorControl(t, "PUT", "/_emulator/faults", `{"rules":[{"kind":"429","pathPrefix":"/v1/operations","count":3,"retryAfterSeconds":1}]}`)
	create(t, ctx, "Storm", 1)
	run(t, ctx, 30*time.Second, waitJS(cardWithName("Storm", "Succeeded"), 25*time.Second))
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
	env.screenshot(t, ctx, "after 429 storm")
	env.emulatorControl(t, "DELETE", "/_emulator/faults", "")
}

// embedding: a portal page on another origin embeds the dashboard with the README snippet.
func (env *browserEnv) embedding(t *testing.T) {
	ctx := env.tab(t)
	env.emulatorControl(t, "PUT", "/_emulator/config", `{"createMode":"async"}`)
	run(t, ctx, 40*time.Second,
		chromedp.Navigate(env.portalURL+"/pages/embed.html"),
		waitJS(`document.querySelector('#fabric-ops [data-role=create-form]') !== null`, 20*time.Second),
		waitJS(cardWithName("Sales report", "Succeeded"), 20*time.Second),
	)
	if n := eval[int](t, ctx, `document.querySelectorAll('#fabric-ops [data-role=settings]').length`); n != 0 {
		t.Errorf("the embedded dashboard shows a settings panel; the portal owns the token")
	}
	env.screenshot(t, ctx, "portal")
}

// customElement: <fabric-lro-dashboard> on another origin loads and lists workspaces.
func (env *browserEnv) customElement(t *testing.T) {
	ctx := env.tab(t)
	run(t, ctx, 30*time.Second,
		chromedp.Navigate(env.portalURL+"/pages/element.html"),
		waitJS(`document.querySelector('fabric-lro-dashboard [data-role=workspace] option[value="`+emulator.DefaultWorkspaceID+`"]') !== null`, 20*time.Second),
	)
}

// jobCancel: a created notebook offers "Run job"; the job gets its own card with Fabric's job
// statuses, and Cancel, reached with the keyboard alone (Tab from the top of the page, then
// Enter), ends it as Cancelled. On the way, every visible control must be reachable by Tab.
func (env *browserEnv) jobCancel(t *testing.T) {
	ctx := env.tab(t)
	env.emulatorControl(t, "PUT", "/_emulator/config", `{"createMode":"sync","jobDuration":"60s"}`)
	env.openDashboard(t, ctx)
	// Keyboard: type the name and press Enter in the form instead of clicking Create.
	run(t, ctx, 30*time.Second,
		chromedp.SetValue(`[data-role=count]`, "1"),
		chromedp.Evaluate[chromedp.Void](`document.querySelector('[data-role=name]').value = ""`),
		chromedp.SendKeys(`[data-role=name]`, "Job host\r"),
		waitJS(cardWithName("Job host", "Succeeded"), 10*time.Second),
		chromedp.Click(`[data-role=card][data-status=Succeeded] [data-role=run-job]`),
		waitJS(`document.querySelector('[data-role=card][data-status=NotStarted] [data-role=kind], [data-role=card][data-status=InProgress] [data-role=kind]')?.textContent === "job"`, 10*time.Second),
	)

	// Every visible control is reached by Tab from the top of the page.
	total := eval[int](t, ctx, `(() => {
		document.activeElement?.blur();
		window.__controls = [...document.querySelectorAll('a[href], button, input, select, textarea, [tabindex]:not([tabindex="-1"])')]
			.filter((e) => !e.disabled && e.getClientRects().length > 0);
		window.__reached = new Set();
		return window.__controls.length;
	})()`)
	if total < 10 {
		t.Fatalf("only %d visible controls found: the page is not what this test expects", total)
	}
	for range total + 5 {
		run(t, ctx, 5*time.Second, chromedp.KeyEvent(kb.Tab))
		eval[bool](t, ctx, `(() => { const i = window.__controls.indexOf(document.activeElement); if (i >= 0) window.__reached.add(i); return true; })()`)
	}
	if missed := eval[[]string](t, ctx, `window.__controls.filter((e, i) => !window.__reached.has(i)).map((e) => e.dataset.role || e.id || e.outerHTML.slice(0, 80))`); len(missed) > 0 {
		t.Errorf("%d of %d controls are not reachable by Tab: %q", len(missed), total, missed)
	}

	// Cancel with the keyboard alone: Tab from the top until the job's Cancel button has the
	// focus, then Enter. Fabric's job-instance GET has no Retry-After, so the engine waits its
	// default (20 s) between job checks: the cancelled status shows up within that.
	const onCancel = `(() => { const e = document.activeElement; return e?.dataset.role === "cancel" && e.closest('[data-role=card]')?.querySelector('[data-role=kind]')?.textContent === "job"; })()`
	eval[bool](t, ctx, `(document.activeElement?.blur(), true)`)
	focused := false
	for range total + 5 {
		run(t, ctx, 5*time.Second, chromedp.KeyEvent(kb.Tab))
		if eval[bool](t, ctx, onCancel) {
			focused = true
			break
		}
	}
	if !focused {
		t.Fatal("Tab never reached the job's Cancel button")
	}
	run(t, ctx, 30*time.Second,
		chromedp.KeyEvent(kb.Enter),
		waitJS(`document.querySelector('[data-role=card][data-status=Cancelled]') !== null`, 25*time.Second),
	)
	if cancel := eval[bool](t, ctx, `document.querySelector('[data-role=card][data-status=Cancelled] [data-role=cancel]').hidden`); !cancel {
		t.Error("a cancelled job still offers Cancel")
	}
	env.screenshot(t, ctx, "job cancelled")
}

// trackExisting: an operation started elsewhere (here: by a script, through the proxy) is
// tracked from the page by its Location URL, and by its bare id, and followed to its result.
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
	// Not an operation: a message, and no card.
	run(t, ctx, 10*time.Second,
		chromedp.SetValue(`[data-role=track-input]`, "not-an-operation"),
		chromedp.Click(`[data-role=track]`),
		waitJS(`document.querySelector('[data-role=messages][role=alert]').textContent.includes('Not tracked')`, 5*time.Second),
	)
	if n := eval[int](t, ctx, cardCount); n != 0 {
		t.Errorf("tracking %q made %d cards, want none", "not-an-operation", n)
	}
	run(t, ctx, 20*time.Second,
		chromedp.SetValue(`[data-role=track-input]`, location),
		chromedp.Click(`[data-role=track]`),
		waitJS(fmt.Sprintf(`document.querySelector('[data-role=card][data-id=%q]') !== null`, id), 10*time.Second),
		// The same operation by its id: still one card.
		chromedp.SetValue(`[data-role=track-input]`, id),
		chromedp.Click(`[data-role=track]`),
		waitJS(cardWithName("Started elsewhere", "Succeeded"), 15*time.Second),
	)
	if n := eval[int](t, ctx, cardCount); n != 1 {
		t.Errorf("%d cards, want 1 (the same operation tracked twice)", n)
	}
	if got := eval[string](t, ctx, `document.querySelector('[data-role=card] [data-role=result-type]').textContent`); got != "Lakehouse" {
		t.Errorf("result type %q, want Lakehouse", got)
	}
	env.screenshot(t, ctx, "tracked")
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
	if got := eval[string](t, ctx, `document.querySelector('[data-role=api-base]').value`); got != evilBase {
		t.Errorf("Settings show API base %q, want the proposed %q", got, evilBase)
	}
	if got := eval[string](t, ctx, `document.querySelector('[data-role=page-notice]')?.textContent ?? ""`); !strings.Contains(got, evilBase) || !strings.Contains(got, "Apply") {
		t.Errorf("page notice %q: want it to name the proposed API base and say to Apply", got)
	}
	if got := tokensSent(); len(got) != 0 {
		t.Fatalf("the linked API base received a token before Apply: %q", got)
	}
	env.screenshot(t, ctx, "proposed api base")

	// Apply without typing a token: the dev token of the configured proxy is not carried over.
	run(t, ctx, 10*time.Second, chromedp.Click(`[data-role=apply-settings]`))
	waitAcrossNavigation(t, ctx, `document.getElementById("api-base-label")?.textContent === `+fmt.Sprintf("%q", evilBase)+
		` && document.querySelector('[data-role=workspaces-status]')?.textContent.includes("NoToken")`, 20*time.Second)
	if got := tokensSent(); len(got) != 0 {
		t.Fatalf("a token was sent to the newly applied API base without being typed for it: %q", got)
	}
	if evilToken := eval[any](t, ctx, fmt.Sprintf(`sessionStorage.getItem(%q)`, "fabric-lro.token "+evil.URL)); evilToken != nil {
		t.Errorf("sessionStorage holds token %v for the linked origin: the configured API base's token was carried over", evilToken)
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
