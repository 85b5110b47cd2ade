package e2e

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/fabric-lro/fabric-lro/emulator"
)

// TestBusyDashboardScreenshot takes docs/dashboard-busy.png, the README's picture of a busy
// dashboard: 240 operations saved by earlier visits (succeeded, failed, and cancelled jobs)
// and 12 created now that keep running, in headless Chromium against the emulator. It runs
// only when asked, so the picture changes only on purpose:
//
//	./build.sh build && FABRIC_LRO_E2E=1 FABRIC_LRO_UPDATE_DOCS=1 CHROMIUM=/usr/bin/chromium \
//	  WORKERD=$PWD/node_modules/.bin/workerd go test ./e2e -run TestBusyDashboardScreenshot
func TestBusyDashboardScreenshot(t *testing.T) {
	requireE2E(t)
	if os.Getenv("FABRIC_LRO_UPDATE_DOCS") != "1" {
		t.Skip("set FABRIC_LRO_UPDATE_DOCS=1 to take docs/dashboard-busy.png again")
	}
	root := repoRoot(t)
	browser := startChromium(t, os.Getenv("CHROMIUM"))
	env := newBrowserEnv(t, root, browser, startNativeProxy)
	ctx := env.tab(t)
	run(t, ctx, 20*time.Second, chromedp.Navigate(env.pageURL+"/web/fabric-lro.css")) // the origin, to reach its localStorage
	eval[bool](t, ctx, fmt.Sprintf(`(() => {
		const names = ["Sales", "Finance", "Churn", "Forecast", "Inventory", "Marketing", "Payroll", "Returns"];
		const list = [];
		for (let i = 0; i < 240; i++) {
			const id = '00000000-0000-4000-8000-' + String(i).padStart(12, '0');
			const name = names[i %% names.length] + " " + (i + 1);
			// Within the last day: finished operations older than keepFinishedDays are dropped on load.
			const start = new Date(Date.now() - 86400e3 + i * 97000);
			const end = new Date(start.getTime() + 20000 + (i %% 7) * 9000);
			const job = i %% 5 === 2, failed = i %% 11 === 4, cancelled = job && i %% 3 === 0;
			const st = {v: 'fabric-lro/1', kind: job ? 'job' : 'operation', id, done: true,
				url: %q + (job ? '/workspaces/%s/items/item-' + i + '/jobs/instances/' + id : '/operations/' + id),
				status: cancelled ? 'Cancelled' : failed ? 'Failed' : job ? 'Completed' : 'Succeeded',
				createdTimeUtc: start.toISOString(), lastUpdatedTimeUtc: end.toISOString(),
				result: failed || job ? undefined : {id: 'item-' + i, type: 'Notebook', displayName: name, workspaceId: %q},
				error: cancelled ? {errorCode: 'JobCancelled', message: 'The job was cancelled.'} :
					failed ? {errorCode: 'OperationFailed', message: 'The notebook definition is not valid.', requestId: 'f3c0e1a2-' + i} : undefined};
			list.push({id, label: job ? 'Run notebook “' + name + '”' : 'Create Notebook “' + name + '”', token: JSON.stringify(st)});
		}
		localStorage.setItem(%q, JSON.stringify(list));
		return true;
	})()`, env.proxyURL, emulator.DefaultWorkspaceID, emulator.DefaultWorkspaceID, "fabric-lro/operations "+env.proxyURL))
	env.emulatorControl(t, "PUT", "/_emulator/config", `{"createMode":"async","operationDuration":"10m","retryAfter":"5s"}`)
	env.openDashboard(t, ctx)
	run(t, ctx, 20*time.Second, do(`(() => {
		window.__created = 0;
		for (let i = 1; i <= 12; i++) fabricLRO.createItem(`+fmt.Sprintf("%q", emulator.DefaultWorkspaceID)+`, {type: "Notebook", displayName: "Nightly report " + i})
			.then(() => window.__created++, (e) => window.__createError = String(e));
		return true;
	})()`))
	tctx, cancel := context.WithTimeout(ctx, 90*time.Second)
	defer cancel()
	if err := chromedp.Do(tctx, waitJS(`$qa('[data-role=card][data-state=running]').length === 12 && $qa('[data-role=card]').length === 252`, 85*time.Second)); err != nil {
		t.Fatalf("%v: %v", err, eval[any](t, ctx, `[window.__created, window.__createError, $qa('[data-role=card]').length, $qa('[data-role=card][data-state=running]').length]`))
	}
	run(t, ctx, 10*time.Second, do(`(() => { const f = $qa('[data-role=card][data-state=failed]')[0]; f.querySelector('[data-role=toggle]').click(); return true; })()`),
		waitJS(`$qa('[data-role=details]').some(d => !d.hidden)`, 5*time.Second))
	run(t, ctx, 10*time.Second, chromedp.EmulateViewport(1280, 1500), do(`window.scrollTo(0, 0) || true`))
	png, err := chromedp.Run(ctx, chromedp.CaptureScreenshot())
	if err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(root, "docs", "dashboard-busy.png")
	if err := os.WriteFile(out, png, 0o644); err != nil {
		t.Fatal(err)
	}
	t.Logf("wrote %s (%d bytes)", out, len(png))
}
