package e2e

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"

	"github.com/fabric-lro/fabric-lro/emulator"
)

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
