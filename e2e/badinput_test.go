package e2e

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// hiddenWorkspace is a workspace id the emulator does not have: to the caller it is a
// workspace it cannot see.
const hiddenWorkspace = "0f0e0d0c-0b0a-4909-8807-060504030201"

// TestBadInput tries each kind of bad input issue 9 names, in the dashboard (or its JS API
// where the page has no field for it), against the native proxy and the Worker in workerd:
// an empty or wrong API base, a proxy that is down, a bad token, an unknown operation id, a
// malformed Location, an item name Fabric rejects and a workspace the user cannot see. Each
// shows, where it belongs (the Settings panel, the Track field, the row, the rejected
// promise of the JS API), a message that says what to do; afterwards a Create in the same
// tab still succeeds.
func TestBadInput(t *testing.T) {
	requireE2E(t)
	root := repoRoot(t)
	if _, err := os.Stat(filepath.Join(root, "web/app.wasm")); err != nil {
		t.Fatalf("web/app.wasm is missing: run ./build.sh build (%v)", err)
	}
	chromium := os.Getenv("CHROMIUM")
	if chromium == "" {
		t.Fatal("CHROMIUM is not set: run ./build.sh test")
	}
	browser := startChromium(t, chromium)

	// Page expressions that read the message of each place, "" while there is none.
	const (
		inSettings = `($q('[data-role=connection]')?.dataset.cause ? $q('[data-role=connection]').textContent : '')`
		inTrack    = `($q('[data-role=error-track]') && !$q('[data-role=error-track]').hidden ? $q('[data-role=error-track]').textContent : '')`
		inRow      = `(() => { const c = $q('[data-role=card][data-state=failed]'); return c ? (c.querySelector('[data-role=error-code]')?.textContent ?? '') + ': ' + (c.querySelector('[data-role=error-message]')?.textContent ?? '') : ''; })()`
		inJS       = `(window.__refused ?? '')`
	)
	// testConnection types an API base and a token in Settings and clicks Test connection.
	testConnection := func(apiBase, token string) func(*testing.T, *browserEnv, context.Context) {
		return func(t *testing.T, env *browserEnv, ctx context.Context) {
			run(t, ctx, 10*time.Second, do(`$click('[data-role=settings-summary]')`),
				do(fmt.Sprintf(`$set('[data-role=api-base]', %q) && $set('[data-role=token]', %q) && $click('[data-role=test-connection]')`, apiBase, token)))
		}
	}
	// track pastes ref in Track and clicks Track.
	track := func(ref string) func(*testing.T, *browserEnv, context.Context) {
		return func(t *testing.T, env *browserEnv, ctx context.Context) {
			run(t, ctx, 10*time.Second, do(`$click('[data-role=track-summary]')`),
				waitJS(`$q('[data-role=track-input]').checkVisibility()`, 5*time.Second),
				do(fmt.Sprintf(`$set('[data-role=track-input]', %q) && $click('[data-role=track]')`, ref)))
		}
	}

	for _, via := range browserProxies {
		t.Run(via.name, func(t *testing.T) {
			env := newBrowserEnv(t, root, browser, via.start)
			dead := fmt.Sprintf("http://127.0.0.1:%d/v1", freePort(t))
			for _, tt := range []struct {
				name  string
				do    func(*testing.T, *browserEnv, context.Context)
				where string   // page expression: the message shown, "" until it shows
				says  []string // what the message must say
			}{
				{name: "empty API base", do: testConnection("", "dev-token"), where: inSettings,
					says: []string{"The API base is empty", "ending in /v1"}},
				{name: "API base that is not a URL", do: testConnection("proxy.example", "dev-token"), where: inSettings,
					says: []string{"“proxy.example” is not an http(s) URL", "ending in /v1"}},
				{name: "proxy down", do: testConnection(dead, "dev-token"), where: inSettings,
					says: []string{"Nothing answers at", "start the proxy"}},
				{name: "bad token", do: func(t *testing.T, env *browserEnv, ctx context.Context) {
					env.emulatorControl(t, "PUT", "/_emulator/faults", `{"rules":[{"kind":"tokenExpired","method":"GET","pathPrefix":"/v1/workspaces","count":1}]}`)
					testConnection(env.proxyURL, "expired-token")(t, env, ctx)
				}, where: inSettings, says: []string{"TokenExpired", "paste a new token"}},
				{name: "not an operation", do: track("op-42"), where: inTrack,
					says: []string{"Not tracked: “op-42” is not an operation id", "Location URL"}},
				{name: "unknown operation id", do: track("3c060079-0d2f-474f-8341-0342561b6c4e"), where: inRow,
					says: []string{"OperationNotFound", "Use the Location or x-ms-operation-id"}},
				{name: "malformed Location", do: track("https://api.fabric.microsoft.com/v1/operations/%zz"), where: inRow,
					says: []string{"UntrustedLocation", "not a well-formed URL", "Paste the operation id"}},
				{name: "Location of another host", do: track("https://fabric.example.com/v1/operations/3c060079-0d2f-474f-8341-0342561b6c4e"), where: inRow,
					says: []string{"UntrustedLocation", "Paste the operation id"}},
				{name: "name Fabric rejects", do: func(t *testing.T, env *browserEnv, ctx context.Context) {
					create(t, ctx, "Taken", 1)
					run(t, ctx, 10*time.Second, waitJS(rowTitled("Taken", "succeeded"), 8*time.Second))
					create(t, ctx, "Taken", 1)
				}, where: inRow, says: []string{"ItemDisplayNameAlreadyInUse", "Choose another displayName"}},
				{name: "JS API without an API base", do: func(t *testing.T, env *browserEnv, ctx context.Context) {
					eval[bool](t, ctx, `(import('/web/fabric-lro.js').then((m) => m.load({apiBase: '', getToken: async () => 'dev-token'})).then(() => { window.__refused = 'loaded'; }, (e) => { window.__refused = e.name + ': ' + e.message; }), true)`)
				}, where: inJS, says: []string{"TypeError", "needs the proxy's /v1 URL"}},
				{name: "workspace the user cannot see", do: func(t *testing.T, env *browserEnv, ctx context.Context) {
					eval[bool](t, ctx, fmt.Sprintf(`(globalThis.fabricLRO.createItem(%q, {type: 'Notebook', displayName: 'Hidden'}).then(() => { window.__refused = 'created'; }, (e) => { window.__refused = e.message; }), true)`, hiddenWorkspace))
				}, where: inJS, says: []string{"WorkspaceNotFound", "Check the workspace id " + hiddenWorkspace, "pick a workspace from the dashboard's list"}},
			} {
				t.Run(tt.name, func(t *testing.T) {
					ctx := env.tab(t)
					env.emulatorControl(t, "PUT", "/_emulator/config", `{"createMode":"sync"}`)
					t.Cleanup(func() { env.emulatorControl(t, "DELETE", "/_emulator/faults", "") })
					env.openDashboard(t, ctx)
					tt.do(t, env, ctx)
					if tt.where == inRow { // the message is in the row's details
						run(t, ctx, 20*time.Second, waitJS(`$q('[data-role=card][data-state=failed]') !== null`, 15*time.Second))
						openRow(t, ctx, `[data-role=card][data-state=failed]`)
					}
					tctx, cancel := context.WithTimeout(ctx, 20*time.Second)
					_, err := chromedp.Run(tctx, waitJS(tt.where+` !== ''`, 15*time.Second))
					cancel()
					if err != nil {
						t.Fatalf("no message shows (%v); the rows: %q", err, eval[[]string](t, ctx, `$qa('[data-role=card]').map(c => c.dataset.state + ' ' + c.textContent)`))
					}
					got := eval[string](t, ctx, tt.where)
					t.Logf("the message: %s", got)
					for _, s := range tt.says {
						if !strings.Contains(got, s) {
							t.Errorf("the message is %q; want it to say %q", got, s)
						}
					}
					env.screenshot(t, ctx, "message")
					// The rest still works: a Create in the same tab succeeds.
					before := eval[int](t, ctx, rowCount)
					create(t, ctx, "Still works", 1)
					run(t, ctx, 20*time.Second, waitJS(rowTitled("Still works", "succeeded"), 15*time.Second))
					if n := eval[int](t, ctx, rowCount); n != before+1 {
						t.Errorf("%d rows after the Create, want %d", n, before+1)
					}
				})
			}
		})
	}
}
