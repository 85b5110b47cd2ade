package e2e

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

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
