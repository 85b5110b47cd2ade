package e2e

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/fabric-lro/fabric-lro/emulator"
	"github.com/fabric-lro/fabric-lro/proxy"
)

// chaosPage is a portal page that embeds the whole dashboard through the JS API, with the
// token source a portal's sign-in gives: a new token whenever the engine asks for a fresh one
// (the emulator's tokens expire mid-run). The API is window.fabricLRO.
func chaosPage(proxyV1 string) string {
	return `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Chaos</title></head><body>
		<div id="fabric-ops"></div>
		<script type="module">
			import { load } from "/web/fabric-lro.js";
			let token = "chaos-" + crypto.randomUUID();
			const lro = await load({ apiBase: "` + proxyV1 + `", getToken: async (how) => {
				if (how?.refresh) token = "chaos-" + crypto.randomUUID();
				return token;
			} });
			await lro.mount(document.getElementById("fabric-ops"));
			window.fabricLRO = lro;
			window.chaosReady = true;
		</script></body></html>`
}

// chaosLabeler names each start for the chaos monitor (x-ms-chaos-label), which a browser
// cannot send: a create by its displayName, a job run by its item (one run per item). It
// also notes when the emulator first saw each of the page's bearer tokens.
type chaosLabeler struct {
	mu     sync.Mutex
	tokens map[string]time.Time
	next   http.Handler
}

// firstTokenAfter is when the emulator first saw a token it had not seen before at.
func (l *chaosLabeler) firstTokenAfter(at time.Time) time.Time {
	l.mu.Lock()
	defer l.mu.Unlock()
	var first time.Time
	for _, seen := range l.tokens {
		if seen.After(at) && (first.IsZero() || seen.Before(first)) {
			first = seen
		}
	}
	return first
}

func (l *chaosLabeler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if a := r.Header.Get("Authorization"); strings.HasPrefix(a, "Bearer chaos-") && a != "Bearer chaos-truth" {
		l.mu.Lock()
		if _, ok := l.tokens[a]; !ok {
			l.tokens[a] = time.Now()
		}
		l.mu.Unlock()
	}
	if r.Method == http.MethodPost {
		switch p := r.URL.Path; {
		case strings.HasSuffix(p, "/items"):
			body, _ := io.ReadAll(r.Body)
			r.Body = io.NopCloser(bytes.NewReader(body))
			var it struct{ DisplayName string }
			if json.Unmarshal(body, &it) == nil && it.DisplayName != "" {
				r.Header.Set("x-ms-chaos-label", it.DisplayName)
			}
		case strings.Contains(p, "/jobs/") && strings.HasSuffix(p, "/instances"):
			if _, rest, ok := strings.Cut(p, "/items/"); ok {
				r.Header.Set("x-ms-chaos-label", "job on "+strings.SplitN(rest, "/", 2)[0])
			}
		}
	}
	l.next.ServeHTTP(w, r)
}

// pageStart is what the page's createItem or runJob said.
type pageStart struct {
	OK    bool   `json:"ok"`
	ID    string `json:"id"`
	Error string `json:"error"`
}

// pageOp is one operation as the page shows it after the run: the JS API's snapshot and its
// rows.
type pageOp struct {
	ID, Label, Status string
	Done              bool
	ErrorCode         string
	ResultName        string
	Rows              int    // rows with this id
	RowStatus         string // the row's data-status
	RowState          string // the row's data-state
}

// TestChaosBrowser is the third path of the chaos run: the dashboard in headless Chromium
// through the native proxy, under TestChaos's seeded fault mix (the emulator's, and the
// monitor's zero and past Retry-After), with tokens that expire mid-run. The page starts N
// operations and jobs (FABRIC_LRO_CHAOS_N) through its JS API, is reloaded while they run,
// and must show every call that started in the state the emulator has, once; no poll early,
// no start sent twice. It prints the summary table.
func TestChaosBrowser(t *testing.T) {
	requireE2E(t)
	chromium := os.Getenv("CHROMIUM")
	if chromium == "" {
		t.Fatal("CHROMIUM is not set: run ./build.sh test")
	}
	n := chaosSetting(t, "FABRIC_LRO_CHAOS_N", 20)
	seed := uint64(chaosSetting(t, "FABRIC_LRO_CHAOS_SEED", 1))
	root := repoRoot(t)
	browser := startChromium(t, chromium)

	// fetch in the browser has no timeout: every answer reaches the page, and binds it.
	const slowPast = 3 * time.Second // the slow answers take this + 1.5 s
	mon := newChaosMonitor(seed)
	mon.clientTimeout = time.Hour
	var emuLog syncBuffer
	regional := httptest.NewUnstartedServer(nil)
	emu := emulator.New(emulator.Config{
		Seed: seed, RetryAfter: time.Second, OperationDuration: 4 * time.Second, JobDuration: 4 * time.Second,
		TokenTTL: 5 * time.Second, RegionalBaseURL: "http://" + regional.Listener.Addr().String(),
		Logf: func(format string, args ...any) { fmt.Fprintf(&emuLog, format+"\n", args...) },
	})
	labeler := &chaosLabeler{tokens: map[string]time.Time{}, next: mon.wrap(emu)}
	regional.Config.Handler = labeler
	regional.Start()
	t.Cleanup(regional.Close)
	upstream := httptest.NewServer(labeler)
	t.Cleanup(upstream.Close)

	var proxyV1 atomic.Value
	proxyV1.Store("")
	apiBase := func() string { return proxyV1.Load().(string) }
	pageURL := startPageServer(t, root, apiBase, func(name string) (string, bool) {
		return chaosPage(apiBase()), name == "chaos.html"
	})
	px := startRestartableProxy(t, proxy.Config{Upstream: upstream.URL, AllowedOrigins: []string{pageURL},
		RedirectHosts: []string{"http://" + regional.Listener.Addr().String()}})
	proxyV1.Store(px.url() + "/v1")
	env := &browserEnv{emuURL: upstream.URL, browser: browser, artifacts: os.Getenv("FABRIC_LRO_ARTIFACTS")}
	ctx := env.tab(t) // resets the emulator: before anything is made in it

	// Creates go to their own workspace, so that the create mix (regional Locations,
	// Locations without /v1) applies to them and the job-start mix to job runs, as in TestChaos.
	setMode := func(mode string) {
		if resp, body := call(t, "PUT", upstream.URL+"/_emulator/config", "", `{"createMode":"`+mode+`"}`, nil); resp.StatusCode != http.StatusOK {
			t.Fatalf("emulator config: %d %s", resp.StatusCode, body)
		}
	}
	setMode("sync")
	resp, body := call(t, "POST", upstream.URL+"/v1/workspaces", "", `{"displayName":"chaos creates"}`, authz)
	var cws struct{ ID string }
	if resp.StatusCode != http.StatusCreated || json.Unmarshal(body, &cws) != nil || cws.ID == "" {
		t.Fatalf("creating the workspace of the creates: %d %s", resp.StatusCode, body)
	}
	jws, createWS := "/v1/workspaces/"+emulator.DefaultWorkspaceID, "/v1/workspaces/"+cws.ID

	// Call i: an operation, or every fourth a job on an item of its own; one in five fails.
	type started struct {
		label, kind string
		row         string // the row's label
		target      string // a job's item
		page        pageStart
	}
	calls := make([]started, n)
	for i := range calls {
		c := started{label: fmt.Sprintf("chaos %d", i), kind: "operation"}
		if i%5 == 0 {
			c.label = fmt.Sprintf("chaos fail %d", i)
		}
		c.row = "Create Notebook “" + c.label + "”"
		if i%4 == 3 {
			desc := ""
			if i%5 == 0 {
				desc = "its jobs fail"
			}
			resp, body := call(t, "POST", upstream.URL+jws+"/items", "", fmt.Sprintf(`{"type":"Notebook","displayName":"chaos job target %d","description":%q}`, i, desc), authz)
			var it struct{ ID string }
			if resp.StatusCode != http.StatusCreated || json.Unmarshal(body, &it) != nil || it.ID == "" {
				t.Fatalf("creating a job target: %d %s", resp.StatusCode, body)
			}
			c.kind, c.target, c.row = "job", it.ID, c.label
		}
		calls[i] = c
	}
	setMode("alternate")
	var rules []emulator.FaultRule
	for _, r := range chaosFaults(jws, slowPast) {
		if r.Method == "POST" && r.PathPrefix == jws+"/notebooks" {
			r.PathPrefix = createWS + "/items"
		}
		rules = append(rules, r)
	}
	if err := emu.SetFaults(rules...); err != nil {
		t.Fatal(err)
	}

	run(t, ctx, 40*time.Second,
		chromedp.Navigate(pageURL+"/pages/chaos.html"),
		waitJS(`window.chaosReady === true`, 30*time.Second))
	mon.mu.Lock()
	mon.inject = true
	mon.mu.Unlock()

	// Start every call at once through the JS API; what each promise said is kept in the page.
	type jsCall struct {
		Label  string `json:"label"`
		Kind   string `json:"kind"`
		Target string `json:"target"`
	}
	var list []jsCall
	for _, c := range calls {
		list = append(list, jsCall{Label: c.label, Kind: c.kind, Target: c.target})
	}
	js, _ := json.Marshal(list)
	eval[bool](t, ctx, fmt.Sprintf(`(() => {
		window.__starts = {};
		for (const c of %s) {
			const p = c.kind === "job"
				? fabricLRO.runJob(%q, c.target, "DefaultJob", {label: c.label})
				: fabricLRO.createItem(%q, {type: "Notebook", displayName: c.label});
			p.then((s) => { window.__starts[c.label] = {ok: true, id: s.id}; },
				(e) => { window.__starts[c.label] = {ok: false, error: String(e?.errorCode ?? "") + ": " + String(e?.message ?? e)}; });
		}
		return true;
	})()`, js, emulator.DefaultWorkspaceID, cws.ID))
	run(t, ctx, time.Duration(60+n/2)*time.Second, waitJS(fmt.Sprintf(`Object.keys(window.__starts).length === %d`, n), time.Duration(55+n/2)*time.Second))
	starts := eval[map[string]pageStart](t, ctx, `window.__starts`)
	for i := range calls {
		calls[i].page = starts[calls[i].label]
	}

	// Mid-run: the page reloads. It must pick every started call up again from localStorage.
	running := eval[int](t, ctx, `$qa('[data-role=card][data-state=running]').length`)
	reloadAt := time.Now()
	run(t, ctx, 40*time.Second, chromedp.Reload(), waitJS(`window.chaosReady === true`, 30*time.Second))
	// The reloaded page signs in anew: its first request carries a token not seen before.
	// No answer sent before that request reached the reloaded page.
	reloaded := labeler.firstTokenAfter(reloadAt)

	var ids []string
	for _, c := range calls {
		if c.page.OK {
			ids = append(ids, c.page.ID)
		}
	}
	idsJS, _ := json.Marshal(ids)
	// Final: the row says succeeded, failed or cancelled (a succeeded operation whose result is
	// still being fetched is not yet succeeded), and the snapshot waits for nothing more.
	final := fmt.Sprintf(`(() => { const idle = new Set(fabricLRO.operations().filter((s) => s.waiting === null).map((s) => s.id));
		return %s.every((id) => idle.has(id) && ['succeeded', 'failed', 'cancelled'].includes($q('[data-role=card][data-id="' + id + '"]')?.dataset.state)); })()`, idsJS)
	tctx, cancel := context.WithTimeout(ctx, time.Duration(90+n)*time.Second)
	err := chromedp.Do(tctx, waitJS(final, time.Duration(90+n)*time.Second))
	cancel()
	if err != nil {
		t.Errorf("not every started call reached a final state in the page: %v", err)
	}
	shown := eval[[]pageOp](t, ctx, `fabricLRO.operations().map((s) => {
		const rows = $qa('[data-role=card]').filter((c) => c.dataset.id === s.id);
		return {ID: s.id, Label: s.label, Status: s.status ?? "", ErrorCode: s.error?.errorCode ?? "",
			ResultName: s.result?.displayName ?? "", Rows: rows.length,
			RowStatus: rows[0]?.dataset.status ?? "", RowState: rows[0]?.dataset.state ?? "",
			Done: s.waiting === null && ['succeeded', 'failed', 'cancelled'].includes(rows[0]?.dataset.state)};
	})`)
	rowLabels := eval[[]string](t, ctx, `$qa('[data-role=card] [data-role=label]').map((e) => e.textContent)`)

	// The emulator's truth, with the faults off.
	fired, truth := stopFaults(t, emu, mon, upstream.URL)
	items := itemNames(truth, createWS+"/items", upstream.URL)

	byID := map[string][]pageOp{}
	for _, s := range shown {
		byID[s.ID] = append(byID[s.ID], s)
	}
	var matched, startFailed, outcomeUnknown, lost, wrong, twice, dup int
	for _, c := range calls {
		mon.mu.Lock()
		posts := slices.Clone(mon.starts[map[bool]string{true: "job on " + c.target, false: c.label}[c.kind == "job"]])
		mon.mu.Unlock()
		if effective := effectiveStarts(posts); effective > 1 {
			dup++
			t.Errorf("%s: the start was sent %d times (%v)", c.label, effective, posts)
		}
		if !c.page.OK {
			// A POST that failed with a 5xx or on the network is not retried: the promise
			// rejects, saying it may have taken effect.
			faulted := slices.ContainsFunc(posts, func(st int) bool { return st == 0 || st >= 500 })
			if !faulted || !strings.Contains(c.page.Error, "may have taken effect") {
				t.Errorf("%s: the start failed without a fault, or without saying it may have taken effect: %q (statuses %v)", c.label, c.page.Error, posts)
				lost++
				continue
			}
			startFailed++
			if items[c.label] > 0 {
				outcomeUnknown++
			}
			continue
		}
		ops := byID[c.page.ID]
		if len(ops) == 0 || !ops[0].Done || ops[0].Rows == 0 {
			lost++
			t.Errorf("%s (%s %s): not shown in a final state after the reload: %+v", c.label, c.kind, c.page.ID, ops)
			continue
		}
		if len(ops) > 1 || ops[0].Rows > 1 {
			twice++
			t.Errorf("%s: shown %d times (%d rows)", c.label, len(ops), ops[0].Rows)
		}
		f := ops[0]
		var want, wantErr string
		switch {
		case c.kind == "job":
			v := truth(jws + "/items/" + c.target + "/jobs/instances/" + f.ID)
			want, _ = v["status"].(string)
			if fr, ok := v["failureReason"].(map[string]any); ok {
				wantErr, _ = fr["errorCode"].(string)
			}
		case slices.Contains(posts, http.StatusCreated): // created at once
			want = "Succeeded"
			if items[c.label] != 1 {
				want = "not in the workspace"
			}
		default:
			v := truth("/v1/operations/" + f.ID)
			want, _ = v["status"].(string)
			if e, ok := v["error"].(map[string]any); ok {
				wantErr, _ = e["errorCode"].(string)
			}
		}
		got := f.Status
		if slices.Contains(posts, http.StatusCreated) && got == "" {
			got = "Succeeded"
		}
		okRow := f.RowStatus == f.Status
		okResult := c.kind == "job" || want != "Succeeded" || f.ResultName == c.label
		if got != want || f.ErrorCode != wantErr || !okResult || !okRow {
			wrong++
			t.Errorf("%s (%s %s): the page shows %s %s (row %q, result %q); the emulator has %s %s", c.label, c.kind, f.ID, got, f.ErrorCode, f.RowStatus, f.ResultName, want, wantErr)
			continue
		}
		matched++
	}
	for _, c := range calls {
		if k := countOf(rowLabels, c.row); k > 1 {
			twice++
			t.Errorf("%d rows are titled %q", k, c.row)
		}
	}
	for name, k := range items {
		if k > 1 {
			dup++
			t.Errorf("the workspace holds %d items named %q", k, name)
		}
	}

	earlyPolls, injected, requests, _ := mon.tally(fired)
	// An answer sent while the page was going away may never have reached it; the reloaded
	// page then goes by the state it had saved. Such polls (bound by an answer sent from a
	// second before the reload until the reloaded page's first request) are counted apart.
	var early, cut int
	for _, e := range earlyPolls {
		if e.arrival.After(reloadAt) && e.allowed.sentAt.After(reloadAt.Add(-time.Second)) && e.allowed.sentAt.Before(reloaded) {
			cut++
			continue
		}
		early++
		t.Errorf("early poll: %s arrived %v before its Retry-After allowed (answer sent %v before)", e.what, e.allowed.notBefore.Sub(e.arrival), e.arrival.Sub(e.allowed.sentAt))
	}
	injected["page reload (calls still running)"] = running
	labeler.mu.Lock()
	injected["token expired mid-run (new token fetched)"] = len(labeler.tokens) - 2 // one per page load
	labeler.mu.Unlock()

	chaosSummary(t, "browser", "dashboard (Chromium) -> native proxy -> emulator", n, seed, requests, injected,
		fmt.Sprintf("| final states matched | %d |\n", matched),
		fmt.Sprintf("| starts failed by a fault, reported (item created anyway) | %d (%d) |\n", startFailed, outcomeUnknown),
		fmt.Sprintf("| lost | %d |\n| wrong final state | %d |\n| shown twice | %d |\n", lost, wrong, twice),
		fmt.Sprintf("| early polls | %d |\n| polls after an answer the reload cut off (not counted as early) | %d |\n", early, cut),
		fmt.Sprintf("| duplicates | %d |\n", dup))
	if running == 0 {
		t.Errorf("every call had finished before the reload: the reload proves nothing")
	}
	chaosVerdict(t, n, matched, startFailed, emuLog.String(), px.log())
}

func countOf(list []string, s string) int {
	k := 0
	for _, v := range list {
		if v == s {
			k++
		}
	}
	return k
}
