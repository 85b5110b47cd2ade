package e2e

import (
	"context"
	"crypto/tls"
	"encoding/json"
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

// TestBrowserSignIn: the page signs in with Microsoft through MSAL.js against the emulator's
// identity provider (HTTPS with a certificate made for the test; this Chromium trusts that
// key only), the tokens are refreshed silently, a revoked sign-in asks the user once and the
// waiting operations resume, and bad configuration says what to do. No token ends up in
// localStorage, in the page's URL or on the console.
func TestBrowserSignIn(t *testing.T) {
	requireE2E(t)
	root := repoRoot(t)
	for _, f := range []string{"web/app.wasm", "web/msal-browser.min.js", "web/msal-redirect-bridge.min.js", "web/signin.js", "web/signin-redirect.html"} {
		if _, err := os.Stat(filepath.Join(root, f)); err != nil {
			t.Fatalf("%s is missing: run ./build.sh build (%v)", f, err)
		}
	}
	chromium := os.Getenv("CHROMIUM")
	if chromium == "" {
		t.Fatal("CHROMIUM is not set: run ./build.sh test")
	}
	cert, err := emulator.NewTestCertificate("127.0.0.1")
	if err != nil {
		t.Fatal(err)
	}
	// Only this test's certificate is accepted, by its key: no certificate errors ignored.
	browser := startChromium(t, chromium, chromedp.Flag("ignore-certificate-errors-spki-list", cert.SPKIHash))

	emuURL, emu := startEmulator(t, emulator.Config{
		RetryAfter:        time.Second,
		OperationDuration: 8 * time.Second,
		Seed:              1,
		Identity:          &emulator.IdentityConfig{},
	})
	idp := httptest.NewUnstartedServer(emu.IdentityProvider())
	idp.TLS = &tls.Config{Certificates: []tls.Certificate{cert.Certificate}}
	idp.StartTLS()
	t.Cleanup(idp.Close)

	env := &browserEnv{emuURL: emuURL, browser: browser, artifacts: os.Getenv("FABRIC_LRO_ARTIFACTS")}
	var proxyV1 string
	env.pageURL = startSignInPageServer(t, root, func() map[string]any {
		return map[string]any{"apiBase": proxyV1, "signIn": map[string]any{
			"clientId": emulator.DefaultClientID, "tenantId": "organizations", "authorityHost": idp.URL, "renewalOffsetSeconds": 5}}
	})
	proxyV1 = startNativeProxy(t, emuURL, env.pageURL) + "/v1"
	s := &signInEnv{browserEnv: env, emu: emu}

	t.Run("sign in, token expires mid-operation, no prompt", s.silentRefresh)
	t.Run("revoked sign-in asks once, then operations resume", s.revoked)
	t.Run("bad configuration says what to do", s.badConfiguration)
	t.Run("embedding with load({msal})", s.embedding)
}

// embedPages are portal pages that embed the dashboard with load({msal}): with a sign-in
// configuration, and with the portal's own PublicClientApplication.
var embedPages = map[string]string{
	"config": `const lro = await load({ apiBase: cfg.apiBase, msal: { clientId: cfg.signIn.clientId, tenantId: "organizations", authorityHost: cfg.signIn.authorityHost } });
await lro.mount(document.getElementById("ops"), { forms: [] });
window.__lro = lro;
login.onclick = () => lro.signIn().then(() => { window.__account = lro.account(); }, (err) => { window.__account = { error: String(err) }; });`,
	"pca": `const msal = await loadMsal();
const pca = await msal.createStandardPublicClientApplication({
  auth: { clientId: cfg.signIn.clientId, authority: cfg.signIn.authorityHost + "/organizations", knownAuthorities: [new URL(cfg.signIn.authorityHost).host],
    redirectUri: location.origin + "/web/signin-redirect.html" },
  cache: { cacheLocation: "sessionStorage" },
});
login.onclick = () => pca.loginPopup({ scopes: ["https://api.fabric.microsoft.com/.default"] }).then(async (r) => {
  pca.setActiveAccount(r.account);
  const lro = await load({ apiBase: cfg.apiBase, msal: pca });
  await lro.mount(document.getElementById("ops"), { forms: [] });
  window.__lro = lro;
  window.__account = lro.account();
}, (err) => { window.__account = { error: String(err) }; });`,
}

// embedding: a portal signs in (through load({msal}) or its own MSAL instance), then creates
// a notebook through the JS API and waits for it; the dashboard shows its row.
func (s *signInEnv) embedding(t *testing.T) {
	for _, name := range []string{"config", "pca"} {
		t.Run(name, func(t *testing.T) {
			tb := s.newTab(t)
			run(t, tb.ctx, 60*time.Second,
				chromedp.Navigate(s.pageURL+"/pages/"+name),
				waitJS(`window.__ready === true`, 45*time.Second),
				chromedp.Click(`#login`),
				waitJS(`window.__account !== undefined && window.__lro !== undefined`, 60*time.Second),
			)
			if got := eval[map[string]any](t, tb.ctx, `window.__account`); got["name"] != "Emulator User" || got["username"] != "user@"+emulator.DefaultTenantDomain {
				t.Fatalf("account after sign-in: %v", got)
			}
			run(t, tb.ctx, 90*time.Second,
				do(`(window.__lro.createItem(`+jsString(emulator.DefaultWorkspaceID)+`, {type: "Notebook", displayName: "Embedded `+name+`"})
					.then((op) => window.__lro.wait(op.id)).then((f) => { window.__final = f.status; }, (err) => { window.__final = String(err); }), true)`),
				waitJS(`window.__final !== undefined`, 80*time.Second),
				waitJS(`$qa('[data-role=card][data-state=succeeded]').length === 1`, 10*time.Second),
			)
			if got := eval[string](t, tb.ctx, `window.__final`); got != "Succeeded" {
				t.Errorf("the embedded create ended %q, want Succeeded", got)
			}
			s.checkNoTokenLeaked(t, tb)
		})
	}
}

type signInEnv struct {
	*browserEnv
	emu *emulator.Server
}

// startSignInPageServer serves the dashboard (index.html, web/) and a config.json made by cfg.
func startSignInPageServer(t *testing.T, root string, cfg func() map[string]any) string {
	t.Helper()
	mux := http.NewServeMux()
	mux.HandleFunc("GET /{$}", func(w http.ResponseWriter, r *http.Request) {
		http.ServeFile(w, r, filepath.Join(root, "index.html"))
	})
	mux.HandleFunc("GET /config.json", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		json.NewEncoder(w).Encode(cfg())
	})
	mux.Handle("GET /web/", http.StripPrefix("/web/", http.FileServer(http.Dir(filepath.Join(root, "web")))))
	mux.HandleFunc("GET /pages/{name}", func(w http.ResponseWriter, r *http.Request) {
		page, ok := embedPages[r.PathValue("name")]
		if !ok {
			http.NotFound(w, r)
			return
		}
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		w.Write([]byte(`<!doctype html><meta charset="utf-8"><title>portal</title><button id="login">Sign in</button><div id="ops"></div>
<script type="module">
import { load } from "/web/fabric-lro.js";
import { loadMsal } from "/web/signin.js";
const cfg = await (await fetch("/config.json")).json();
const login = document.getElementById("login");
` + page + `
window.__ready = true;
</script>`))
	})
	ts := httptest.NewServer(mux)
	t.Cleanup(ts.Close)
	return ts.URL
}

// Page expressions of the sign-in bar (light DOM, above the dashboard).
const (
	signInState    = `document.querySelector('[data-role=signin]')?.dataset.state`
	signInShown    = `(() => { const b = document.querySelector('[data-role=sign-in]'); return !!b && !b.hidden; })()`
	signInMessage  = `document.querySelector('[data-role=signin-error]')`
	watchPrompting = `(() => { window.__prompts = 0; new MutationObserver(() => { if (document.querySelector('[data-role=signin]').dataset.state !== 'signed-in') window.__prompts++; })
		.observe(document.querySelector('[data-role=signin]'), {attributes: true, attributeFilter: ['data-state']}); return true; })()`
)

// signInTab is a fresh tab (env.tab) with the console's messages kept for the privacy check.
type signInTab struct {
	ctx     context.Context
	mu      sync.Mutex
	console []string
}

func (tb *signInTab) consoleText() string {
	tb.mu.Lock()
	defer tb.mu.Unlock()
	return strings.Join(tb.console, "\n")
}

func (s *signInEnv) newTab(t *testing.T) *signInTab {
	t.Helper()
	tb := &signInTab{ctx: s.tab(t)}
	go func() {
		for m, err := range chromedp.Console(tb.ctx) {
			if err != nil {
				return
			}
			tb.mu.Lock()
			tb.console = append(tb.console, m.String())
			tb.mu.Unlock()
		}
	}()
	return tb
}

// open loads the page and waits for the sign-in bar's Sign in button.
func (s *signInEnv) open(t *testing.T, tb *signInTab) {
	t.Helper()
	run(t, tb.ctx, 60*time.Second,
		chromedp.Navigate(s.pageURL+"/"),
		waitJS(signInShown, 45*time.Second),
	)
}

// signIn clicks Sign in (a real click: the popup needs the user's gesture) and waits until the
// user is signed in and the workspaces are listed.
func (s *signInEnv) signIn(t *testing.T, tb *signInTab) {
	t.Helper()
	run(t, tb.ctx, 90*time.Second,
		chromedp.Click(`[data-role=sign-in]`),
		waitJS(signInState+` === 'signed-in'`, 60*time.Second),
		waitJS(workspacesLoaded, 30*time.Second),
	)
	if got := eval[string](t, tb.ctx, `document.querySelector('[data-role=signin-status]').textContent`); !strings.Contains(got, "Signed in as Emulator User (user@"+emulator.DefaultTenantDomain+")") {
		t.Errorf("signed in, the bar says %q: want who is signed in", got)
	}
	if !eval[bool](t, tb.ctx, `!document.querySelector('[data-role=sign-out]').hidden`) {
		t.Error("signed in without a Sign out button")
	}
}

// control calls the emulator's identity control endpoint and returns its stats.
func (s *signInEnv) control(t *testing.T, method, path string) emulator.IdentityStats {
	t.Helper()
	var out emulator.IdentityControl
	if err := json.Unmarshal([]byte(s.emulatorControl(t, method, path, "")), &out); err != nil || out.Stats == nil {
		t.Fatalf("%s %s: %v", method, path, err)
	}
	return *out.Stats
}

// createTwoRunning creates two notebooks and waits until one is done and the other runs.
func createTwoRunning(t *testing.T, tb *signInTab, name string) {
	t.Helper()
	create(t, tb.ctx, name, 2)
	run(t, tb.ctx, 45*time.Second,
		waitJS(`$qa('[data-role=card][data-status=Succeeded]').length === 1`, 40*time.Second),
		waitJS(`$qa('[data-role=card][data-state=running]').length === 1`, 40*time.Second),
	)
}

// checkNoTokenLeaked: the access and refresh tokens MSAL holds (in sessionStorage, this tab
// only) appear nowhere else: not in localStorage, not in the page's URL, not on the console.
func (s *signInEnv) checkNoTokenLeaked(t *testing.T, tb *signInTab) {
	t.Helper()
	got := eval[map[string]any](t, tb.ctx, `(() => {
		const secrets = [];
		for (let i = 0; i < sessionStorage.length; i++) {
			try { const v = JSON.parse(sessionStorage.getItem(sessionStorage.key(i))); if (v && typeof v.secret === 'string' && v.secret.length > 20) secrets.push(v.secret); } catch {}
		}
		const local = [];
		for (let i = 0; i < localStorage.length; i++) local.push(localStorage.key(i) + '=' + localStorage.getItem(localStorage.key(i)));
		return {secrets, local: local.join('\n'), url: location.href, history: history.length};
	})()`)
	secrets, _ := got["secrets"].([]any)
	if len(secrets) == 0 {
		t.Fatalf("no token found in MSAL's sessionStorage cache: the check would prove nothing")
	}
	console := tb.consoleText()
	for _, sec := range secrets {
		sec := sec.(string)
		for where, text := range map[string]string{"localStorage": got["local"].(string), "the URL": got["url"].(string), "the console": console} {
			if strings.Contains(text, sec) {
				t.Errorf("a token MSAL holds is in %s", where)
			}
		}
	}
	// Nothing that looks like a JWT either, and no MSAL token cache entry in localStorage.
	for where, text := range map[string]string{"localStorage": got["local"].(string), "the URL": got["url"].(string), "the console": console} {
		if strings.Contains(text, "eyJ") {
			t.Errorf("%s holds something that looks like a JWT", where)
		}
	}
	if l := strings.ToLower(got["local"].(string)); strings.Contains(l, "accesstoken") || strings.Contains(l, "refreshtoken") || strings.Contains(l, "idtoken") {
		t.Errorf("localStorage holds an MSAL token cache entry")
	}
}

// silentRefresh: sign in through the popup, create the two notebooks, expire every access
// token while the second one runs: the engine's refresh (one, shared) gets a new token with
// the refresh token, and both complete without asking the user anything.
func (s *signInEnv) silentRefresh(t *testing.T) {
	tb := s.newTab(t)
	s.open(t, tb)
	if got := eval[string](t, tb.ctx, `document.querySelector('[data-role=signin-status]').textContent`); !strings.Contains(got, "Not signed in") {
		t.Errorf("before signing in the bar says %q", got)
	}
	s.signIn(t, tb)
	run(t, tb.ctx, 10*time.Second, do(watchPrompting))
	createTwoRunning(t, tb, "Signed")
	before := s.control(t, "POST", "/_emulator/identity/expire")
	run(t, tb.ctx, 90*time.Second, waitJS(`$qa('[data-role=card][data-state=succeeded]').length === 2`, 80*time.Second))
	after := s.control(t, "GET", "/_emulator/identity")
	if after.TokenExpired <= before.TokenExpired {
		t.Errorf("the emulator answered no 401 TokenExpired after the tokens expired (stats %+v): the test proved nothing", after)
	}
	if after.RefreshGrants < 1 {
		t.Errorf("no refresh token was redeemed (stats %+v): want a silent refresh", after)
	}
	if after.Authorizations != 1 {
		t.Errorf("%d interactive sign-ins, want 1: the user was asked again", after.Authorizations)
	}
	if n := eval[int](t, tb.ctx, `window.__prompts`); n != 0 || eval[string](t, tb.ctx, signInState) != "signed-in" {
		t.Errorf("the sign-in bar left 'signed-in' %d times: want no prompt", n)
	}
	s.screenshot(t, tb.ctx, "signed in both succeeded")
	s.checkNoTokenLeaked(t, tb)
}

// revoked: the refresh token is revoked (and the session at the identity provider ended) while
// an operation runs: after its token expires, the card and the bar ask the user to sign in
// again; after they do, the operation completes.
func (s *signInEnv) revoked(t *testing.T) {
	tb := s.newTab(t)
	s.open(t, tb)
	s.signIn(t, tb)
	createTwoRunning(t, tb, "Revoked")
	s.control(t, "POST", "/_emulator/identity/revoke")
	s.control(t, "POST", "/_emulator/identity/expire")
	run(t, tb.ctx, 90*time.Second,
		waitJS(signInState+` === 'needs-sign-in'`, 80*time.Second),
		waitJS(`$qa('[data-role=card][data-state=running]').some(c => c.querySelector('[data-role=status]').textContent.includes('sign in again'))`, 60*time.Second),
	)
	if got := eval[string](t, tb.ctx, `document.querySelector('[data-role=sign-in]').textContent`); got != "Sign in again" {
		t.Errorf("the bar's button says %q, want Sign in again", got)
	}
	s.screenshot(t, tb.ctx, "asks to sign in again")
	if n := eval[int](t, tb.ctx, `$qa('[data-role=card][data-state=succeeded]').length`); n != 1 {
		t.Fatalf("%d operations succeeded while signed out, want 1", n)
	}
	s.signIn(t, tb)
	run(t, tb.ctx, 90*time.Second, waitJS(`$qa('[data-role=card][data-state=succeeded]').length === 2`, 80*time.Second))
	st := s.control(t, "GET", "/_emulator/identity")
	if st.Authorizations != 2 || st.LoginRequired < 1 {
		t.Errorf("stats %+v: want 2 interactive sign-ins and a refused silent one", st)
	}
	s.checkNoTokenLeaked(t, tb)
}

// badConfiguration: a wrong client id, an unknown tenant and a blocked popup each give a
// message in the page that says what to do.
func (s *signInEnv) badConfiguration(t *testing.T) {
	cases := []struct {
		name     string
		clientID string
		tenant   string
		block    bool // the browser blocks the popup (window.open gives nothing)
		want     []string
	}{
		{name: "wrong client id", clientID: "11111111-2222-4333-8444-555555555555", tenant: "organizations",
			want: []string{"does not know the client id 11111111-2222-4333-8444-555555555555", "check the client id"}},
		{name: "unknown tenant", clientID: emulator.DefaultClientID, tenant: "fabrikam.onmicrosoft.com",
			want: []string{"tenant fabrikam.onmicrosoft.com was not found", "check the tenant"}},
		{name: "blocked popup", clientID: emulator.DefaultClientID, tenant: "organizations", block: true,
			want: []string{"blocked the sign-in window", "Allow pop-ups", "Redirect"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			tb := s.newTab(t)
			s.open(t, tb)
			// The user types the settings in the bar's form; Save reloads the page with them.
			run(t, tb.ctx, 10*time.Second, do(`(document.querySelector('[data-role=signin-settings]').open = true,
				$set('[data-role=signin-client-id]', `+jsString(tc.clientID)+`) && $set('[data-role=signin-tenant]', `+jsString(tc.tenant)+`)
				&& (document.querySelector('[data-role=signin-save]').click(), true))`))
			waitAcrossNavigation(t, tb.ctx, signInShown+` && document.querySelector('[data-role=signin-tenant]').value === `+jsString(tc.tenant), 45*time.Second)
			if tc.block {
				run(t, tb.ctx, 5*time.Second, do(`(window.open = () => null, true)`))
			}
			run(t, tb.ctx, 60*time.Second,
				chromedp.Click(`[data-role=sign-in]`),
				waitJS(`!`+signInMessage+`.hidden && `+signInMessage+`.textContent !== ''`, 50*time.Second),
			)
			msg := eval[string](t, tb.ctx, signInMessage+`.textContent`)
			for _, w := range tc.want {
				if !strings.Contains(msg, w) {
					t.Errorf("message %q does not say %q", msg, w)
				}
			}
			if eval[string](t, tb.ctx, signInState) == "signed-in" {
				t.Error("signed in with a bad configuration")
			}
			s.screenshot(t, tb.ctx, tc.name)
		})
	}
}

func jsString(s string) string {
	b, _ := json.Marshal(s)
	return string(b)
}
