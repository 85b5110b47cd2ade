package e2e

import (
	"context"
	"encoding/json"
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

// fidelityScript drives the dashboard's JS API (web/fabric-lro.js) in the page against the
// emulator's Fabric answers, mounting a dashboard (the list alone, in the shadow root of
// #fidelity), and leaves what it saw in window.__fid (done, or err), with the ids of the
// operations the dashboard must show ended in ids. %[1]q is the proxy's /v1 URL, %[2]q the
// workspace.
const fidelityScript = `(() => {
  const f = (window.__fid = { errors: {}, afterCancel: [], ids: {} });
  (async () => {
    const API = %[1]q, WS = %[2]q;
    const { load } = await import("/web/fabric-lro.js");
    const lro = await load({ apiBase: API, getToken: async () => "dev-token", persist: false });
    const host = document.createElement("section");
    host.id = "fidelity";
    document.body.append(host);
    await lro.mount(host, { forms: [] });
    // until resolves with the first snapshot of id that satisfies pred.
    const until = (id, pred) => new Promise((resolve) => {
      const now = lro.operations().find((s) => s.id === id);
      if (now && pred(now)) return resolve(now);
      const off = lro.subscribe((s) => { if (s.id === id && pred(s)) { off(); resolve(s); } });
    });
    const auth = { Authorization: "Bearer dev-token" };

    const created = await lro.wait((await lro.createItem(WS, { type: "Notebook", displayName: "Fidelity host" })).id);
    const itemId = created.result.id;

    // A job whose 202 Location is the list form: found in the list, followed to its end.
    const job = await lro.runJob(WS, itemId, "RunNotebook", { label: "List-form run" });
    const jobEnd = await lro.wait(job.id);
    f.job = { status: jobEnd.status, instance: jobEnd.result?.id ?? "", attempts: jobEnd.attempts };
    f.ids.job = jobEnd.id;

    // Cancel once the instance is known: InProgress while cancelling, then Cancelled.
    const second = await lro.runJob(WS, itemId, "RunNotebook", { label: "Cancelled run" });
    await until(second.id, (s) => s.status === "NotStarted" || s.status === "InProgress");
    const off = lro.subscribe((s) => { if (s.id === second.id) f.afterCancel.push(s.status); });
    await lro.cancel(second.id);
    const cancelled = await lro.wait(second.id);
    f.cancelled = cancelled.status;
    f.ids.cancelled = cancelled.id;
    off();

    // Definition calls: the 1st answers 200 at once, the 2nd 202; that operation is tracked.
    const item = API + "/workspaces/" + WS + "/items/" + itemId;
    const got = await fetch(item + "/getDefinition", { method: "POST", headers: auth });
    f.getDefinition = got.status + " " + ((await got.json()).definition?.parts?.length ?? 0) + " parts";
    const upd = await fetch(item + "/updateDefinition", { method: "POST", headers: { ...auth, "Content-Type": "application/json" },
      body: JSON.stringify({ definition: { parts: [{ path: "notebook-content.py", payload: btoa("print(1)"), payloadType: "InlineBase64" }] } }) });
    const opId = upd.headers.get("x-ms-operation-id");
    f.updateDefinition = upd.status + " " + (opId ? "operation" : "none");
    const tracked = await lro.wait((await lro.track(opId)).id);
    f.tracked = { status: tracked.status, result: tracked.result };
    f.ids.tracked = tracked.id;

    // Fabric's two time forms: while running and once done.
    const op = await lro.createItem(WS, { type: "Notebook", displayName: "Times" }); // the 2nd create: 202
    const running = await until(op.id, (s) => s.status === "Running" || s.status === "NotStarted");
    const done = await lro.wait(op.id);
    f.times = { running: running.createdTimeUtc, done: done.createdTimeUtc, status: done.status };
    f.ids.times = done.id;

    // Fabric's errors reach the caller with errorCode and requestId.
    for (const [name, start] of [
      ["jobType", () => lro.runJob(WS, itemId, "Defragment")],
      ["payload", () => lro.createItem(WS, { type: "Notebook", displayName: "Corrupt",
        definition: { parts: [{ path: "notebook-content.py", payload: "IyBG..cut", payloadType: "InlineBase64" }] } })],
    ]) {
      try { await start(); f.errors[name] = "no error"; }
      catch (e) { f.errors[name] = e.errorCode + (e.requestId ? " with requestId" : " without requestId"); }
    }
    f.done = true;
  })().catch((e) => { f.err = String(e?.errorCode ?? "") + " " + String(e?.message ?? e); });
  return true;
})()`

// fidelityResult is what fidelityScript leaves in window.__fid.
type fidelityResult struct {
	Done bool   `json:"done"`
	Err  string `json:"err"`
	Job  struct {
		Status   string `json:"status"`
		Instance string `json:"instance"`
		Attempts int    `json:"attempts"`
	} `json:"job"`
	AfterCancel      []string `json:"afterCancel"`
	Cancelled        string   `json:"cancelled"`
	GetDefinition    string   `json:"getDefinition"`
	UpdateDefinition string   `json:"updateDefinition"`
	Tracked          struct {
		Status string          `json:"status"`
		Result json.RawMessage `json:"result"`
	} `json:"tracked"`
	Times struct {
		Running, Done, Status string
	} `json:"times"`
	Errors map[string]string `json:"errors"`
	IDs    map[string]string `json:"ids"` // the operations the dashboard shows ended, by fidelityRows' names
}

// fidelityRows are the operations of fidelityScript (by their name in window.__fid.ids) and
// how the mounted dashboard must show each once ended: its row's data-status (Fabric's
// status), data-state (the summary's), and the words in it.
var fidelityRows = []struct {
	name, status, state, words string
}{
	{name: "job", status: "Completed", state: "succeeded", words: "List-form run"},
	{name: "cancelled", status: "Cancelled", state: "cancelled", words: "Cancelled run"},
	{name: "tracked", status: "Succeeded", state: "succeeded", words: "Succeeded"},
	{name: "times", status: "Succeeded", state: "succeeded", words: "“Times”"},
}

// fidelityRow is a page expression: the row of the operation window.__fid.ids[name] in the
// dashboard mounted in #fidelity (in its shadow root), or null.
func fidelityRow(name string) string {
	return fmt.Sprintf(`document.getElementById('fidelity').shadowRoot?.querySelector('[data-role=card][data-id="' + window.__fid.ids[%q] + '"]') ?? null`, name)
}

// TestBrowserMeetsFabricAnswers: the dashboard, through its JS API in Chromium and each proxy,
// meets the emulator's answers that real Fabric gives: a job with a list-form Location
// completes and its row shows Completed; a cancel shows InProgress, then Cancelled, and so does
// its row; definition calls answer 200 and 202, and the 202's operation's row shows Succeeded;
// operation times come in both forms; the errors InvalidJobType and CorruptedPayload reach
// the caller.
func TestBrowserMeetsFabricAnswers(t *testing.T) {
	requireE2E(t)
	root := repoRoot(t)
	for _, f := range []string{"index.html", "web/app.wasm", "web/wasm_exec.js", "web/fabric-lro.js", "web/fabric-lro.css"} {
		if _, err := os.Stat(filepath.Join(root, f)); err != nil {
			t.Fatalf("%s is missing: run ./build.sh build (%v)", f, err)
		}
	}
	chromium := os.Getenv("CHROMIUM")
	if chromium == "" {
		t.Fatal("CHROMIUM is not set: run ./build.sh test")
	}
	browser := startChromium(t, chromium)
	for _, via := range browserProxies {
		t.Run(via.name, func(t *testing.T) {
			env := newBrowserEnv(t, root, browser, via.start)
			ctx := env.tab(t)
			env.emulatorControl(t, "PUT", "/_emulator/config",
				`{"jobLocation":"list","jobDuration":"3s","jobRetryAfter":"1s","cancelDuration":"3s"}`)
			env.openDashboard(t, ctx)
			run(t, ctx, 90*time.Second,
				chromedp.Evaluate[chromedp.Void](fmt.Sprintf(fidelityScript, env.proxyURL, emulator.DefaultWorkspaceID)),
				waitJS(`window.__fid.done === true || window.__fid.err !== undefined`, 75*time.Second),
			)
			var got fidelityResult
			if err := json.Unmarshal([]byte(eval[string](t, ctx, `JSON.stringify(window.__fid)`)), &got); err != nil {
				t.Fatal(err)
			}
			if got.Err != "" {
				t.Fatalf("the page's script failed: %s (so far: %+v)", got.Err, got)
			}
			t.Logf("the page saw: %+v", got)
			if got.Job.Status != "Completed" || !guid.MatchString(got.Job.Instance) || got.Job.Attempts < 4 {
				t.Errorf("list-form job: %+v, want Completed with its instance, polled every Retry-After (1 s)", got.Job)
			}
			if n := len(got.AfterCancel); got.Cancelled != "Cancelled" || n < 2 || got.AfterCancel[n-1] != "Cancelled" ||
				!strings.Contains(strings.Join(got.AfterCancel[:n-1], ","), "InProgress") {
				t.Errorf("cancel: statuses %q then %q, want InProgress while cancelling, then Cancelled", got.AfterCancel, got.Cancelled)
			}
			if got.GetDefinition != "200 1 parts" && got.GetDefinition != "200 2 parts" {
				t.Errorf("1st definition call: %q, want 200 with the definition", got.GetDefinition)
			}
			if got.UpdateDefinition != "202 operation" || got.Tracked.Status != "Succeeded" || string(got.Tracked.Result) != "null" {
				t.Errorf("2nd definition call: %q, tracked %+v; want 202, an operation that succeeds without result", got.UpdateDefinition, got.Tracked)
			}
			if !regexp.MustCompile(`\.\d{3}Z$`).MatchString(got.Times.Running) || !regexp.MustCompile(`\.\d{7}$`).MatchString(got.Times.Done) {
				t.Errorf("times %+v, want 2023-11-13T22:24:40.477Z's form while running, 2023-11-13T22:25:06.1193103's once done", got.Times)
			}
			for name, want := range map[string]string{"jobType": "InvalidJobType with requestId", "payload": "CorruptedPayload with requestId"} {
				if got.Errors[name] != want {
					t.Errorf("error %s: %q, want %q", name, got.Errors[name], want)
				}
			}
			// The mounted dashboard shows each of them ended, as its row (rendering may trail
			// the engine's last snapshot: wait for it, bounded).
			for _, row := range fidelityRows {
				shown := fmt.Sprintf(`((r) => r !== null && !r.hidden && r.dataset.status === %q && r.dataset.state === %q && r.textContent.includes(%q))(%s)`,
					row.status, row.state, row.words, fidelityRow(row.name))
				tctx, cancel := context.WithTimeout(ctx, 10*time.Second)
				err := chromedp.Do(tctx, waitJS(shown, 10*time.Second))
				cancel()
				if err != nil {
					seen := eval[string](t, ctx, fmt.Sprintf(`((r) => r === null ? "no row" : JSON.stringify({hidden: r.hidden, status: r.dataset.status, state: r.dataset.state, text: r.textContent}))(%s)`, fidelityRow(row.name)))
					t.Errorf("the dashboard's row of the %s operation (%s): %s; want it shown %s (%s) with %q", row.name, got.IDs[row.name], seen, row.status, row.state, row.words)
				}
			}
			// Opened, the list-form job's row names its instance and counts its checks.
			open := fmt.Sprintf(`((r) => (r.querySelector('[data-role=toggle]').click(), true))(%s)`, fidelityRow("job"))
			opened := fmt.Sprintf(`((r) => r.querySelector('[data-role=details]')?.hidden === false)(%s)`, fidelityRow("job"))
			run(t, ctx, 10*time.Second, do(open), waitJS(opened, 5*time.Second))
			details := eval[map[string]string](t, ctx, fmt.Sprintf(`((r) => ({id: r.querySelector('[data-role=id]').textContent,
				checks: r.querySelector('[data-role=attempts]').textContent}))(%s)`, fidelityRow("job")))
			if details["id"] != got.Job.Instance || details["checks"] != fmt.Sprintf("%d checks", got.Job.Attempts) {
				t.Errorf("the list-form job's details: %v; want its instance %s and %d checks", details, got.Job.Instance, got.Job.Attempts)
			}
			env.screenshot(t, ctx, "fidelity")
		})
	}
}
