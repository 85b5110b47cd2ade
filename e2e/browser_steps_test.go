package e2e

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/fabric-lro/fabric-lro/emulator"
)

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
