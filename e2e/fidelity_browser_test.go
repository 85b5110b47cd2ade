package e2e

import (
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
// emulator's Fabric answers, mounting a dashboard in #fidelity, and leaves what it saw in
// window.__fid (done, or err). %[1]q is the proxy's /v1 URL, %[2]q the workspace.
const fidelityScript = `(() => {
  const f = (window.__fid = { errors: {}, afterCancel: [] });
  (async () => {
    const API = %[1]q, WS = %[2]q;
    const { load } = await import("/web/fabric-lro.js");
    const lro = await load({ apiBase: API, getToken: async () => "dev-token", persist: false });
    const host = document.createElement("section");
    host.id = "fidelity";
    document.body.append(host);
    await lro.mount(host);
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
    const job = await lro.runJob(WS, itemId, "RunNotebook");
    const jobEnd = await lro.wait(job.id);
    f.job = { status: jobEnd.status, instance: jobEnd.result?.id ?? "", attempts: jobEnd.attempts };

    // Cancel once the instance is known: InProgress while cancelling, then Cancelled.
    const second = await lro.runJob(WS, itemId, "RunNotebook");
    await until(second.id, (s) => s.status === "NotStarted" || s.status === "InProgress");
    const off = lro.subscribe((s) => { if (s.id === second.id) f.afterCancel.push(s.status); });
    await lro.cancel(second.id);
    f.cancelled = (await lro.wait(second.id)).status;
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

    // Fabric's two time forms: while running and once done.
    const op = await lro.createItem(WS, { type: "Notebook", displayName: "Times" }); // the 2nd create: 202
    const running = await until(op.id, (s) => s.status === "Running" || s.status === "NotStarted");
    const done = await lro.wait(op.id);
    f.times = { running: running.createdTimeUtc, done: done.createdTimeUtc, status: done.status };

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
}

// TestBrowserMeetsFabricAnswers: the dashboard, through its JS API in Chromium and each proxy,
// meets the emulator's answers that real Fabric gives: a job with a list-form Location
// completes and shows; a cancel shows InProgress, then Cancelled; definition calls answer 200
// and 202, and the 202's operation shows done; operation times come in both forms; the
// errors InvalidJobType and CorruptedPayload reach the caller.
func TestBrowserMeetsFabricAnswers(t *testing.T) {
	requireE2E(t)
	root := repoRoot(t)
	for _, f := range []string{"index.html", "web/app.wasm", "web/wasm_exec.js", "web/fabric-lro.js"} {
		if _, err := os.Stat(filepath.Join(root, f)); err != nil {
			t.Fatalf("%s is missing: run ./build.sh build (%v)", f, err)
		}
	}
	chromium := os.Getenv("CHROMIUM")
	if chromium == "" {
		t.Fatal("CHROMIUM is not set: run ./build.sh test")
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
			ctx := env.tab(t)
			env.emulatorControl(t, "PUT", "/_emulator/config",
				`{"jobLocation":"list","jobDuration":"3s","jobRetryAfter":"1s","cancelDuration":"3s"}`)
			run(t, ctx, 90*time.Second,
				chromedp.Navigate(env.pageURL+"/"),
				waitJS(`document.querySelector('[data-role=card], [data-role=create-form]') !== null`, 20*time.Second),
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
			// The mounted dashboard shows each of them done.
			for _, status := range []string{"Completed", "Cancelled", "Succeeded"} {
				if !eval[bool](t, ctx, `document.querySelector('#fidelity [data-status=`+status+`]') !== null`) {
					t.Errorf("the dashboard shows no %s card", status)
				}
			}
			env.screenshot(t, ctx, "fidelity")
		})
	}
}
