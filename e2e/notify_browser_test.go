package e2e

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	cdppage "github.com/chromedp/cdproto/page"
	"github.com/chromedp/chromedp"
)

// fakeNoticesScript records what the page does with notifications and lets the test hide the
// page. Headless Chromium shows no notifications and keeps a tab visible, so the test wraps
// window.Notification (permission "default" until requestPermission, which it counts) and
// overrides document.visibilityState, dispatching visibilitychange as a browser does.
const fakeNoticesScript = `(() => {
	let hidden = false;
	Object.defineProperty(Document.prototype, "visibilityState", { get() { return hidden ? "hidden" : "visible"; }, configurable: true });
	Object.defineProperty(Document.prototype, "hidden", { get() { return hidden; }, configurable: true });
	window.__setHidden = (h) => { hidden = h; document.dispatchEvent(new Event("visibilitychange")); return true; };
	window.__notes = [];
	window.__asked = 0;
	class FakeNotification {
		constructor(title, options) { this.title = title; this.body = options?.body; this.tag = options?.tag; window.__notes.push(this); }
		close() { this.closed = true; }
	}
	FakeNotification.permission = "default";
	FakeNotification.requestPermission = () => { window.__asked++; FakeNotification.permission = "granted"; return Promise.resolve("granted"); };
	window.Notification = FakeNotification;
})();`

// TestBrowserNotify: operations that end while the tab is hidden are counted in its title
// until the user looks, and shown as one notification (permission asked only from the
// user's click on "Notify me when operations end", never on load); clicking the notification
// shows the row of the one that failed.
func TestBrowserNotify(t *testing.T) {
	requireE2E(t)
	root := repoRoot(t)
	chromium := os.Getenv("CHROMIUM")
	if chromium == "" {
		t.Fatal("CHROMIUM is not set: run ./build.sh test")
	}
	if _, err := os.Stat(filepath.Join(root, "web", "app.wasm")); err != nil {
		t.Fatalf("web/app.wasm is missing: run ./build.sh build (%v)", err)
	}
	browser := startChromium(t, chromium)
	env := newBrowserEnv(t, root, browser, startNativeProxy)
	ctx := env.tab(t)
	if _, err := chromedp.Call(ctx, cdppage.AddScriptToEvaluateOnNewDocument, cdppage.AddScriptToEvaluateOnNewDocumentParams{Source: fakeNoticesScript}); err != nil {
		t.Fatalf("add the notification recorder: %v", err)
	}
	env.emulatorControl(t, "PUT", "/_emulator/config", `{"createMode":"async"}`)
	env.openDashboard(t, ctx)
	title := eval[string](t, ctx, `document.title`)
	if n := eval[int](t, ctx, `window.__asked`); n != 0 {
		t.Fatalf("the page asked for notification permission %d times on load: only a click may", n)
	}
	run(t, ctx, 20*time.Second, do(`$click('[data-role=notify]')`), waitJS(`window.__asked === 1 && $q('[data-role=notify]').hidden`, 15*time.Second))

	run(t, ctx, 10*time.Second, do(`window.__setHidden(true)`))
	create(t, ctx, "Nightly fail", 1)
	create(t, ctx, "Nightly", 1)
	run(t, ctx, 40*time.Second, waitJS(rowTitled("Nightly fail", "failed")+" && "+rowTitled("Nightly", "succeeded"), 35*time.Second))
	if got, want := eval[string](t, ctx, `document.title`), "(2 finished, 1 failed) "+title; got != want {
		t.Errorf("title while hidden %q, want %q", got, want)
	}
	notes := eval[[]map[string]any](t, ctx, `window.__notes.map((n) => ({title: n.title, body: n.body, tag: n.tag}))`)
	if len(notes) != 2 || notes[1]["title"] != "2 operations ended, 1 failed" || notes[0]["tag"] != notes[1]["tag"] ||
		!strings.Contains(notes[0]["title"].(string)+notes[1]["body"].(string), "Nightly") {
		t.Errorf("notifications %v: want one per end, the same tag (each replaces the last), the second counting both", notes)
	}
	// The click focuses the page and shows the failed operation's row.
	run(t, ctx, 10*time.Second, do(`window.__notes.at(-1).onclick()`), do(`window.__setHidden(false)`),
		waitJS(`$focused()?.closest('[data-role=card]')?.querySelector('[data-role=label]').textContent.includes('Nightly fail')`, 5*time.Second))
	if got := eval[string](t, ctx, `document.title`); got != title {
		t.Errorf("title once the user looks %q, want %q", got, title)
	}
	// Ending while the user looks: no count, no notification.
	create(t, ctx, "Daytime", 1)
	run(t, ctx, 30*time.Second, waitJS(rowTitled("Daytime", "succeeded"), 25*time.Second))
	if n := eval[int](t, ctx, `window.__notes.length`); n != 2 || eval[string](t, ctx, `document.title`) != title {
		t.Errorf("an operation that ended while the page was visible made a notification or changed the title")
	}
}
