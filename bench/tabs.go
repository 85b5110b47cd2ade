package main

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/fabric-lro/fabric-lro/emulator"
)

// benchTabs counts the requests the dashboard makes for N operations with one tab open and
// with two (tabs of one browser context: one group, one engine), alternating, in headless
// Chromium against the emulator through the native proxy. Half the operations are started
// from the first tab and half from the last. It also reports how much later than the first
// tab the second one showed each operation's end.
func benchTabs() error {
	const ops, rounds = 10, 3
	chromium, err := findChromium("tabs")
	if err != nil {
		return err
	}
	count := &requestCount{}
	emuURL, pageURL, closeServers, err := startTabsServers(count)
	if err != nil {
		return err
	}
	defer closeServers()
	browser, stop, err := startBrowser(chromium)
	if err != nil {
		return err
	}
	defer stop()

	polls := map[int][]float64{}
	creates := map[int][]int{}
	var lags []time.Duration
	for range rounds {
		for _, n := range []int{1, 2} {
			if _, err := http.Post(emuURL+"/_emulator/reset", "", nil); err != nil {
				return err
			}
			count.take()
			lag, err := tabsRun(browser, pageURL, n, ops)
			if err != nil {
				return fmt.Errorf("%d tab(s): %w", n, err)
			}
			got := count.take()
			if got.early != 0 {
				return fmt.Errorf("%d tab(s): %d polls sooner than Retry-After", n, got.early)
			}
			polls[n] = append(polls[n], float64(got.polls))
			creates[n] = append(creates[n], got.creates)
			if n == 2 {
				lags = append(lags, lag)
			}
		}
	}
	return reportTabs(ops, rounds, polls, creates, lags)
}

// startTabsServers starts the emulator (its requests counted by count, polls sooner than
// Retry-After refused), the page server and the native proxy between them.
func startTabsServers(count *requestCount) (emuURL, pageURL string, closeAll func(), err error) {
	emu := httptest.NewServer(count.wrap(emulator.New(emulator.Config{
		RetryAfter: 2 * time.Second, OperationDuration: 6 * time.Second, CreateMode: emulator.CreateAsync, StrictRetryAfter: true,
	})))
	var proxyV1 string
	page := httptest.NewServer(pageServer(func() string { return proxyV1 }))
	px, err := startNativeProxy(emu.URL, page.URL)
	if err != nil {
		page.Close()
		emu.Close()
		return "", "", nil, err
	}
	proxyV1 = px.URL + "/v1"
	return emu.URL, page.URL, func() { px.Close(); page.Close(); emu.Close() }, nil
}

// reportTabs prints the section's table and fails when two tabs cost more than one, or the
// second tab lagged.
func reportTabs(ops, rounds int, polls map[int][]float64, creates map[int][]int, lags []time.Duration) error {
	one, two := medianF(polls[1]), medianF(polls[2])
	printf("%d operations of 6 s (Retry-After 2 s), half started in each tab; requests counted at the emulator, median of %d runs each, alternating\n\n", ops, rounds)
	printf("| tabs | creates | polls (results included) | polls per operation | ratio |\n| --- | ---: | ---: | ---: | ---: |\n")
	printf("| one tab | %d | %.0f | %.2f | 1.00 |\n", creates[1][0], one, one/float64(ops))
	printf("| two tabs | %d | %.0f | %.2f | %.2f |\n\n", creates[2][0], two, two/float64(ops), two/one)
	printf("polls sooner than Retry-After: 0 in every run. The second tab showed each operation's end at most %v after the first (median of the runs' largest).\n", median(lags))
	if two > one*1.25 {
		return fmt.Errorf("two tabs made %.0f polls where one tab made %.0f: they must share one engine", two, one)
	}
	if median(lags) > time.Second {
		return fmt.Errorf("the second tab showed operations' ends %v after the first: want within a second", median(lags))
	}
	return nil
}

// tabsRun opens n tabs of the dashboard in a new browser context, starts ops operations
// through the JS API (half in the first tab, half in the last), waits until every tab shows
// them all succeeded, and returns how much later than the first tab another saw an end.
func tabsRun(browser context.Context, pageURL string, n, ops int) (time.Duration, error) {
	owner, cancelOwner := chromedp.NewContext(browser, chromedp.WithNewBrowserContext())
	defer cancelOwner()
	if err := chromedp.Do(owner); err != nil {
		return 0, err
	}
	id := chromedp.FromContext(owner).BrowserContextID
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	var tabs []context.Context
	for range n {
		tab, cancelTab := chromedp.NewContext(browser, chromedp.WithExistingBrowserContext(id))
		defer cancelTab()
		if err := chromedp.Do(tab); err != nil {
			return 0, err
		}
		stop := context.AfterFunc(ctx, cancelTab)
		defer stop()
		if err := chromedp.Do(tab, chromedp.Navigate(pageURL+"/"),
			chromedp.Poll[chromedp.Void](`window.fabricLRO !== undefined`, chromedp.WithPollingInterval(100*time.Millisecond)),
			chromedp.Evaluate[chromedp.Void](`(window.__done = {}, fabricLRO.subscribe((s) => { if (s.status === 'Succeeded') window.__done[s.id] ??= Date.now(); }), true)`),
		); err != nil {
			return 0, err
		}
		tabs = append(tabs, tab)
	}
	for i := range ops {
		tab := tabs[0]
		if i >= ops/2 {
			tab = tabs[n-1]
		}
		js := fmt.Sprintf(`fabricLRO.createItem(%q, { type: "Notebook", displayName: "Bench %d" }), true`, emulator.DefaultWorkspaceID, i)
		if err := chromedp.Do(tab, chromedp.Evaluate[chromedp.Void](js)); err != nil {
			return 0, err
		}
	}
	done := fmt.Sprintf(`Object.keys(window.__done).length === %d`, ops)
	var ends []map[string]float64
	for _, tab := range tabs {
		if err := chromedp.Do(tab, chromedp.Poll[chromedp.Void](done, chromedp.WithPollingInterval(100*time.Millisecond))); err != nil {
			return 0, fmt.Errorf("waiting for %d operations to succeed: %w", ops, err)
		}
		got, err := chromedp.Run(tab, chromedp.Evaluate[map[string]float64](`window.__done`))
		if err != nil {
			return 0, fmt.Errorf("waiting for %d operations to succeed: %w", ops, err)
		}
		ends = append(ends, got)
	}
	var lag time.Duration
	for _, e := range ends[1:] {
		for id, at := range e {
			lag = max(lag, time.Duration(at-ends[0][id])*time.Millisecond)
		}
	}
	return lag, nil
}

// pageServer serves the dashboard as cmd/webserve does: index.html, web/, and config.json
// with the proxy's /v1 URL and the emulator's dev token.
func pageServer(apiBase func() string) http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /{$}", func(w http.ResponseWriter, r *http.Request) { http.ServeFile(w, r, "index.html") })
	mux.HandleFunc("GET /config.json", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		json.NewEncoder(w).Encode(map[string]string{"apiBase": apiBase(), "devToken": "dev-token"})
	})
	files := http.StripPrefix("/web/", http.FileServer(http.Dir("web")))
	mux.HandleFunc("GET /web/", func(w http.ResponseWriter, r *http.Request) {
		if strings.HasSuffix(r.URL.Path, ".wasm") {
			w.Header().Set("Content-Type", "application/wasm")
		}
		files.ServeHTTP(w, r)
	})
	return mux
}

// requestCount counts the operations' requests at the emulator: creates, polls (result
// fetches included) and early polls (429 from the strict emulator).
type requestCount struct {
	mu                    sync.Mutex
	creates, polls, early int
}

type requestCounts struct{ creates, polls, early int }

func (c *requestCount) wrap(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		rec := &codeWriter{ResponseWriter: w, code: http.StatusOK}
		h.ServeHTTP(rec, r)
		c.mu.Lock()
		defer c.mu.Unlock()
		switch {
		case r.Method == "POST" && strings.HasSuffix(r.URL.Path, "/items"):
			c.creates++
		case r.Method == "GET" && strings.HasPrefix(r.URL.Path, "/v1/operations/"):
			c.polls++
			if rec.code == http.StatusTooManyRequests {
				c.early++
			}
		}
	})
}

// take returns the counts and sets them to zero.
func (c *requestCount) take() requestCounts {
	c.mu.Lock()
	defer c.mu.Unlock()
	out := requestCounts{c.creates, c.polls, c.early}
	c.creates, c.polls, c.early = 0, 0, 0
	return out
}

type codeWriter struct {
	http.ResponseWriter
	code int
}

func (w *codeWriter) WriteHeader(code int) {
	w.code = code
	w.ResponseWriter.WriteHeader(code)
}

func medianF(v []float64) float64 {
	s := slices.Clone(v)
	slices.Sort(s)
	if len(s) == 0 {
		return 0
	}
	return s[len(s)/2]
}
