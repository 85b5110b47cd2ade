package main

import (
	"context"
	"encoding/json"
	"fmt"
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
	"github.com/fabric-lro/fabric-lro/internal/scalepage"
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
	chromium, err := findChromium("scale")
	if err != nil {
		return err
	}
	root, _ := os.Getwd()
	if _, err := os.Stat(filepath.Join(root, "web", "app.wasm")); err != nil {
		return fmt.Errorf("web/app.wasm is missing: ./build.sh bench builds it (%w)", err)
	}
	s, err := startScaleServers(root)
	if err != nil {
		return err
	}
	defer s.close()
	ids, err := s.createElsewhere(scaleOps / 2)
	if err != nil {
		return err
	}
	r, err := runScalePage(chromium, s.pageURL+"/scale.html", ids)
	if err != nil {
		return err
	}
	if r.Failed != nil {
		return fmt.Errorf("a call failed: %s", *r.Failed)
	}
	printScale(r, len(ids), s.received())
	return nil
}

// scaleServers are the emulator (recording when each API request arrived), the native proxy
// and a server for web/ and the scale page.
type scaleServers struct {
	emu, web, proxy *httptest.Server
	pageURL         string
	mu              sync.Mutex
	requests        []time.Time
}

func startScaleServers(root string) (*scaleServers, error) {
	s := &scaleServers{}
	s.emu = httptest.NewServer(emulator.New(emulator.Config{
		RetryAfter: 2 * time.Second, OperationDuration: 3 * time.Second, CreateMode: emulator.CreateAsync, Seed: 1,
		Logf: func(format string, args ...any) {
			if strings.Contains(fmt.Sprintf(format, args...), "/v1/") {
				s.mu.Lock()
				s.requests = append(s.requests, time.Now())
				s.mu.Unlock()
			}
		},
	}))
	var proxyV1 string
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
		fmt.Fprint(w, scalepage.Page(s.pageURL+"/web/fabric-lro.js", proxyV1, scaleBudget))
	})
	s.web = httptest.NewServer(mux)
	s.pageURL = s.web.URL
	px, err := startNativeProxy(s.emu.URL, s.web.URL)
	if err != nil {
		s.close()
		return nil, err
	}
	s.proxy = px
	proxyV1 = px.URL + "/v1"
	return s, nil
}

func (s *scaleServers) close() {
	for _, srv := range []*httptest.Server{s.proxy, s.web, s.emu} {
		if srv != nil {
			srv.Close()
		}
	}
}

// createElsewhere starts n creates directly at the emulator, as another program would, and
// returns their operation ids; those requests are not counted as the page's.
func (s *scaleServers) createElsewhere(n int) ([]string, error) {
	ids, err := scalepage.CreateElsewhere(s.emu.URL, emulator.DefaultWorkspaceID, n)
	s.mu.Lock()
	s.requests = nil
	s.mu.Unlock()
	return ids, err
}

// received is when each of the page's requests reached the emulator.
func (s *scaleServers) received() []time.Time {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]time.Time(nil), s.requests...)
}

// scaleResult is what the scale page reports at the end.
type scaleResult struct {
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

// runScalePage opens the page in Chromium, starts scaleOps-len(ids) creates and tracks ids,
// and waits until every operation ended.
func runScalePage(chromium, pageURL string, ids []string) (scaleResult, error) {
	ctx, stop, err := startBrowser(chromium, chromedp.Flag("enable-precise-memory-info", true))
	if err != nil {
		return scaleResult{}, err
	}
	defer stop()
	ctx, cancelTimeout := context.WithTimeout(ctx, 15*time.Minute)
	defer cancelTimeout()
	if err := chromedp.Do(ctx, chromedp.Navigate(pageURL),
		chromedp.Poll[chromedp.Void](`window.ready === true`, chromedp.WithPollingTimeout(60*time.Second))); err != nil {
		return scaleResult{}, fmt.Errorf("open the page: %w", err)
	}
	idList, _ := json.Marshal(ids)
	if err := chromedp.Do(ctx, chromedp.Evaluate[chromedp.Void](fmt.Sprintf(`window.startAll(%q, %d, %s)`, emulator.DefaultWorkspaceID, scaleOps-len(ids), idList)),
		chromedp.Poll[chromedp.Void](`window.scale.finals !== null || window.scale.failed !== null`, chromedp.WithPollingInterval(time.Second), chromedp.WithPollingTimeout(14*time.Minute))); err != nil {
		return scaleResult{}, fmt.Errorf("run %d operations: %w", scaleOps, err)
	}
	return chromedp.Run(ctx, chromedp.Evaluate[scaleResult](`(() => {
		const root = document.getElementById("fabric-ops").shadowRoot;
		return { ...window.scale, longTasks: window.longTasks, rows: root.querySelectorAll("[data-role=card]").length,
			running: root.querySelectorAll("[data-role=card][data-state=running]").length,
			wasmBytes: window.__wasmMemory?.buffer.byteLength ?? 0, jsHeap: performance.memory?.usedJSHeapSize ?? 0 };
	})()`))
}

// printScale prints the section's table.
func printScale(r scaleResult, tracked int, reqs []time.Time) {
	ended := 0
	for _, s := range r.Finals {
		if s == "Succeeded" || s == "Failed" {
			ended++
		}
	}
	busiest, rate := scalepage.Busiest(reqs)
	sort.Float64s(r.LongTasks)
	longest, median := 0.0, 0.0
	if n := len(r.LongTasks); n > 0 {
		longest, median = r.LongTasks[n-1], r.LongTasks[n/2]
	}
	printf("%d operations watched at once in one tab of headless Chromium, the dashboard mounted (%d created through the JS API, %d created elsewhere and tracked by id; the emulator's Retry-After 2 s, operations of 3 s), through the native proxy:\n\n",
		scaleOps, scaleOps-tracked, tracked)
	printf("| measure | value |\n| --- | --- |\n")
	printf("| operations ended, and their rows showing it | %d of %d ended; %d rows, %d still shown running |\n", ended, scaleOps, r.Rows, r.Running)
	printf("| time until every operation ended | %.1f s |\n", r.Ms/1000)
	printf("| the page's %d calls issued in one loop | %.0f ms |\n", scaleOps, r.CallMs)
	printf("| requests at the emulator | %d, %.1f a second on average; at most %d in one second (budget %d a second, burst 20) |\n", len(reqs), rate, busiest, scaleBudget)
	printf("| main-thread tasks over 50 ms (longtask observer, wall time) | %d; longest %.0f ms, median of those %.0f ms |\n", len(r.LongTasks), longest, median)
	printf("| wasm linear memory at the end | %.1f MB |\n", r.WasmBytes/1e6)
	printf("| JS heap used at the end | %.1f MB |\n", r.JSHeap/1e6)
	printf("\nWall time on a shared 2-core machine: a task is lengthened whenever the renderer waits for a core. The Chromium test (TestBrowserScale, 200 operations) bounds each task's thread time instead.\n")
}
