package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/fabric-lro/fabric-lro/emulator"
	"github.com/fabric-lro/fabric-lro/proxy"
)

// scaleOps is how many operations the scale section watches at once: half created through
// the JS API, half created elsewhere and tracked by id.
const scaleOps = 1000

// scaleBudget is the page's request budget (requestsPerSecond).
const scaleBudget = 40

// benchScale watches scaleOps operations in one tab of headless Chromium, with the dashboard
// mounted, against the emulator through the native proxy: the longest main-thread task (a
// longtask PerformanceObserver: wall time, on this shared machine), the request rate at the
// emulator against the budget, the time until every operation ended, and the wasm and JS
// heap memory at the end.
func benchScale() error {
	chromium := os.Getenv("CHROMIUM")
	if chromium == "" {
		return errors.New("CHROMIUM is not set: ./build.sh bench sets it (Chromium from Debian)")
	}
	root, _ := os.Getwd()
	if _, err := os.Stat(filepath.Join(root, "web", "app.wasm")); err != nil {
		return fmt.Errorf("web/app.wasm is missing: ./build.sh bench builds it (%w)", err)
	}
	var mu sync.Mutex
	var requests []time.Time
	emu := httptest.NewServer(emulator.New(emulator.Config{
		RetryAfter: 2 * time.Second, OperationDuration: 3 * time.Second, CreateMode: emulator.CreateAsync, Seed: 1,
		Logf: func(format string, args ...any) {
			if strings.Contains(fmt.Sprintf(format, args...), "/v1/") {
				mu.Lock()
				requests = append(requests, time.Now())
				mu.Unlock()
			}
		},
	}))
	defer emu.Close()

	var pageURL, proxyV1 string
	mux := http.NewServeMux()
	files := http.StripPrefix("/web/", http.FileServer(http.Dir(filepath.Join(root, "web"))))
	mux.HandleFunc("GET /web/", func(w http.ResponseWriter, r *http.Request) {
		if strings.HasSuffix(r.URL.Path, ".wasm") {
			w.Header().Set("Content-Type", "application/wasm")
		}
		files.ServeHTTP(w, r)
	})
	mux.HandleFunc("GET /scale.html", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		fmt.Fprint(w, scaleBenchPage(pageURL, proxyV1))
	})
	web := httptest.NewServer(mux)
	defer web.Close()
	pageURL = web.URL
	p, err := proxy.New(proxy.Config{Upstream: emu.URL, AllowedOrigins: []string{web.URL}, Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if err != nil {
		return err
	}
	px := httptest.NewServer(p)
	defer px.Close()
	proxyV1 = px.URL + "/v1"

	// The other half: created by another program, tracked by id.
	ids := make([]string, scaleOps/2)
	for i := range ids {
		req, _ := http.NewRequest("POST", emu.URL+"/v1/workspaces/"+emulator.DefaultWorkspaceID+"/items",
			strings.NewReader(fmt.Sprintf(`{"type":"Notebook","displayName":"Elsewhere %d"}`, i)))
		req.Header.Set("Authorization", "Bearer elsewhere")
		req.Header.Set("Content-Type", "application/json")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			return err
		}
		resp.Body.Close()
		ids[i] = resp.Header.Get("x-ms-operation-id")
	}
	mu.Lock()
	requests = nil
	mu.Unlock()

	ctx, stop, err := startBrowser(chromium, chromedp.Flag("enable-precise-memory-info", true))
	if err != nil {
		return err
	}
	defer stop()
	ctx, cancelTimeout := context.WithTimeout(ctx, 15*time.Minute)
	defer cancelTimeout()
	if err := chromedp.Do(ctx, chromedp.Navigate(web.URL+"/scale.html"),
		chromedp.Poll[chromedp.Void](`window.ready === true`, chromedp.WithPollingTimeout(60*time.Second))); err != nil {
		return fmt.Errorf("open the page: %w", err)
	}
	idList, _ := json.Marshal(ids)
	if err := chromedp.Do(ctx, chromedp.Evaluate[chromedp.Void](fmt.Sprintf(`window.startAll(%q, %d, %s)`, emulator.DefaultWorkspaceID, scaleOps-len(ids), idList)),
		chromedp.Poll[chromedp.Void](`window.scale.finals !== null || window.scale.failed !== null`, chromedp.WithPollingInterval(time.Second), chromedp.WithPollingTimeout(14*time.Minute))); err != nil {
		return fmt.Errorf("run %d operations: %w", scaleOps, err)
	}
	type result struct {
		Failed    *string   `json:"failed"`
		Finals    []string  `json:"finals"`
		Ms        float64   `json:"ms"`
		CallMs    float64   `json:"callMs"`
		LongTasks []float64 `json:"longTasks"`
		Rows      int       `json:"rows"`
		Running   int       `json:"running"`
		WasmBytes float64   `json:"wasmBytes"`
		JSHeap    float64   `json:"jsHeap"`
	}
	r, err := chromedp.Run(ctx, chromedp.Evaluate[result](`(() => {
		const root = document.getElementById("fabric-ops").shadowRoot;
		return { ...window.scale, longTasks: window.longTasks, rows: root.querySelectorAll("[data-role=card]").length,
			running: root.querySelectorAll("[data-role=card][data-state=running]").length,
			wasmBytes: window.__wasmMemory?.buffer.byteLength ?? 0, jsHeap: performance.memory?.usedJSHeapSize ?? 0 };
	})()`))
	if err != nil {
		return err
	}
	if r.Failed != nil {
		return fmt.Errorf("a call failed: %s", *r.Failed)
	}
	ended := 0
	for _, s := range r.Finals {
		if s == "Succeeded" || s == "Failed" {
			ended++
		}
	}
	mu.Lock()
	reqs := append([]time.Time(nil), requests...)
	mu.Unlock()
	sort.Slice(reqs, func(i, j int) bool { return reqs[i].Before(reqs[j]) })
	busiest, j := 0, 0
	for i := range reqs {
		for reqs[i].Sub(reqs[j]) >= time.Second {
			j++
		}
		busiest = max(busiest, i-j+1)
	}
	rate := 0.0
	if len(reqs) > 1 {
		rate = float64(len(reqs)-1) / reqs[len(reqs)-1].Sub(reqs[0]).Seconds()
	}
	sort.Float64s(r.LongTasks)
	longest, median := 0.0, 0.0
	if n := len(r.LongTasks); n > 0 {
		longest, median = r.LongTasks[n-1], r.LongTasks[n/2]
	}
	printf("%d operations watched at once in one tab of headless Chromium, the dashboard mounted (%d created through the JS API, %d created elsewhere and tracked by id; the emulator's Retry-After 2 s, operations of 3 s), through the native proxy:\n\n",
		scaleOps, scaleOps-len(ids), len(ids))
	printf("| measure | value |\n| --- | --- |\n")
	printf("| operations ended, and their rows showing it | %d of %d ended; %d rows, %d still shown running |\n", ended, scaleOps, r.Rows, r.Running)
	printf("| time until every operation ended | %.1f s |\n", r.Ms/1000)
	printf("| the page's %d calls issued in one loop | %.0f ms |\n", scaleOps, r.CallMs)
	printf("| requests at the emulator | %d, %.1f a second on average; at most %d in one second (budget %d a second, burst 20) |\n", len(reqs), rate, busiest, scaleBudget)
	printf("| main-thread tasks over 50 ms (longtask observer, wall time) | %d; longest %.0f ms, median of those %.0f ms |\n", len(r.LongTasks), longest, median)
	printf("| wasm linear memory at the end | %.1f MB |\n", r.WasmBytes/1e6)
	printf("| JS heap used at the end | %.1f MB |\n", r.JSHeap/1e6)
	printf("\nWall time on a shared 2-core machine: a task is lengthened whenever the renderer waits for a core. The Chromium test (TestBrowserScale, 200 operations) bounds each task's thread time instead.\n")
	return nil
}

// scaleBenchPage embeds the dashboard (the list alone) through the JS API, records long tasks
// and the module's memory, and defines startAll(workspace, n, ids).
func scaleBenchPage(pageURL, proxyV1 string) string {
	return `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Scale</title></head><body>
<div id="fabric-ops"></div>
<script>
window.longTasks = [];
new PerformanceObserver((l) => { for (const e of l.getEntries()) window.longTasks.push(e.duration); }).observe({type: "longtask", buffered: true});
const instantiate = WebAssembly.instantiateStreaming;
WebAssembly.instantiateStreaming = async (...args) => { const r = await instantiate(...args); window.__wasmMemory = r.instance.exports.mem; return r; };
</script>
<script type="module">
import { load } from "` + pageURL + `/web/fabric-lro.js";
const lro = await load({ apiBase: "` + proxyV1 + `", getToken: async () => "dev-token", requestsPerSecond: ` + fmt.Sprint(scaleBudget) + ` });
await lro.mount(document.getElementById("fabric-ops"), { forms: [] });
window.scale = { finals: null, failed: null };
window.startAll = (ws, n, ids) => {
	const t0 = performance.now();
	const calls = [];
	for (let i = 0; i < n; i++) calls.push(lro.createItem(ws, { type: "Notebook", displayName: (i % 10 === 9 ? "Scale fail " : "Scale ") + i }));
	for (const id of ids) calls.push(lro.track(id));
	window.scale.callMs = performance.now() - t0;
	(async () => {
		try {
			const first = await Promise.all(calls);
			const finals = await Promise.all(first.map((s) => lro.wait(s.id)));
			window.scale.finals = finals.map((s) => s.status);
			window.scale.ms = performance.now() - t0;
		} catch (err) {
			window.scale.failed = String(err?.message ?? err);
		}
	})();
	return true;
};
window.ready = true;
</script></body></html>`
}
