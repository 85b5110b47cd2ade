//go:build !js

package nethttp_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"testing/synctest"
	"time"

	"github.com/fabric-lro/fabric-lro/emulator"
	"github.com/fabric-lro/fabric-lro/lro"
	"github.com/fabric-lro/fabric-lro/lro/nethttp"
)

// TestEmulator runs the engine end to end against the Fabric emulator through net/http, in a
// synctest bubble: the emulator's operations and jobs run in fake time.
func TestEmulator(t *testing.T) {
	ws := "/v1/workspaces/" + emulator.DefaultWorkspaceID
	type call struct {
		method, path, body string
	}
	tests := []struct {
		name  string
		cfg   emulator.Config
		setup []call // done first, each must answer 2xx and end (201 or succeeded)
		start call
		// cancel asks to cancel the job right after the start.
		cancel bool
		// regional serves the emulator on a second host too, Config.RegionalBaseURL, trusted
		// through Options.TrustedHosts unless distrust is set.
		regional   bool
		distrust   bool
		token      lro.TokenSource
		wantResult string // substring of the result; "-" means no result
		wantCode   string
		wantIs     error
		wantCount  int      // requests of the call itself (start, polls, result); 0: do not check
		wantPaths  []string // substrings that must appear in order among the requests
		wantNot    string   // a substring no request may contain
	}{
		{
			name:       "create notebook answered 201",
			cfg:        emulator.Config{CreateMode: emulator.CreateSync},
			start:      call{"POST", ws + "/notebooks", `{"displayName":"Notebook 1"}`},
			wantResult: `"displayName":"Notebook 1"`,
			wantCount:  1,
		},
		{
			name:       "create notebook answered 202, polled to its result",
			cfg:        emulator.Config{CreateMode: emulator.CreateAsync},
			start:      call{"POST", ws + "/notebooks", `{"displayName":"Notebook 2"}`},
			wantResult: `"displayName":"Notebook 2"`,
			wantCount:  1 + 3 + 1, // Retry-After 2 s, 6 s to run: polls at 2, 4, 6 s, then the result
			wantPaths:  []string{"POST", "GET /v1/operations/", "/result 200"},
		},
		{
			name:       "strict Retry-After: an operation is never polled early",
			cfg:        emulator.Config{CreateMode: emulator.CreateAsync, StrictRetryAfter: true},
			start:      call{"POST", ws + "/notebooks", `{"displayName":"Strict"}`},
			wantResult: `"displayName":"Strict"`,
			wantCount:  1 + 3 + 1,
			wantNot:    " 429",
		},
		{
			name:       "strict Retry-After: a job is never polled early",
			cfg:        emulator.Config{CreateMode: emulator.CreateSync, StrictRetryAfter: true},
			setup:      []call{{"POST", ws + "/items", `{"displayName":"Nightly","type":"Notebook"}`}},
			start:      call{"POST", ws + "/items/{item}/jobs/RunNotebook/instances", ""},
			wantResult: `"status":"Completed"`,
			wantCount:  1 + 3, // Retry-After 2 s from the 202, 6 s to run
			wantNot:    " 429",
		},
		{
			name:      "failed operation",
			cfg:       emulator.Config{CreateMode: emulator.CreateAsync},
			start:     call{"POST", ws + "/items", `{"displayName":"Will fail","type":"Notebook"}`},
			wantCode:  "*",
			wantCount: 1 + 3,
			wantNot:   "/result",
		},
		{
			name:       "operation without result: no /result call",
			cfg:        emulator.Config{CreateMode: emulator.CreateAsync},
			setup:      []call{{"POST", ws + "/items", `{"displayName":"Target","type":"Notebook","id":"x"}`}},
			start:      call{"POST", ws + "/items/{item}/updateDefinition", `{"definition":{"parts":[{"path":"notebook-content.py","payload":"eA==","payloadType":"InlineBase64"}]}}`},
			wantResult: "-",
			wantCount:  1 + 3,
			wantNot:    "/result",
		},
		{
			name:       "job with a list-form Location (RunOnDemandItemJob3.json): found in the list, then followed",
			cfg:        emulator.Config{CreateMode: emulator.CreateSync, JobLocation: emulator.JobLocationList, StrictRetryAfter: true},
			setup:      []call{{"POST", ws + "/items", `{"displayName":"Nightly","type":"Notebook"}`}},
			start:      call{"POST", ws + "/items/{item}/jobs/Execute/instances", ""},
			wantResult: `"status":"Completed"`,
			wantCount:  1 + 3, // the list at 2 s, the instance at 4 and 6 s
			wantPaths:  []string{"/jobs/Execute/instances 202", "/jobs/instances?jobType=Execute 200", "/jobs/instances/"},
			wantNot:    " 429",
		},
		{
			name: "job polls paced by the Retry-After of the job instance GET, not the engine's fallback",
			cfg: emulator.Config{CreateMode: emulator.CreateSync, JobRetryAfter: 5 * time.Second, JobDuration: 40 * time.Second, StrictRetryAfter: true,
				Faults: []emulator.FaultRule{{Kind: emulator.FaultNoRetryAfter, Method: "POST", PathPrefix: "/v1/workspaces/"}}},
			setup:      []call{{"POST", ws + "/items", `{"displayName":"Nightly","type":"Notebook"}`}},
			start:      call{"POST", ws + "/items/{item}/jobs/RunNotebook/instances", ""},
			wantResult: `"status":"Completed"`,
			wantCount:  1 + 5, // the 202 lost its Retry-After: 1st poll after the default 20 s, then every 5 s: 25, 30, 35, 40
			wantNot:    " 429",
		},
		{
			name:      "cancel: the job stays InProgress while cancelling, polling goes on until Cancelled",
			cfg:       emulator.Config{CreateMode: emulator.CreateSync, JobDuration: time.Minute, CancelDuration: 10 * time.Second, StrictRetryAfter: true},
			setup:     []call{{"POST", ws + "/items", `{"displayName":"Nightly","type":"Notebook"}`}},
			start:     call{"POST", ws + "/items/{item}/jobs/RunNotebook/instances", ""},
			cancel:    true,
			wantCode:  string(lro.CodeJobCancelled),
			wantIs:    lro.CodeJobCancelled,
			wantCount: 1 + 1 + 5, // start, cancel, polls at 2, 4, 6, 8 (InProgress) and 10 s (Cancelled)
			wantPaths: []string{"/jobs/RunNotebook/instances 202", "/cancel 202", "/jobs/instances/"},
			wantNot:   " 429",
		},
		{
			name:       "getDefinition answered 200 with the definition (GetItemDefinition.json)",
			cfg:        emulator.Config{}, // alternate: the 1st definition call answers 200, the 2nd 202
			setup:      []call{{"POST", ws + "/items", `{"displayName":"Target","type":"Notebook"}`}},
			start:      call{"POST", ws + "/items/{item}/getDefinition", ""},
			wantResult: `"path":"notebook-content.py"`,
			wantCount:  1,
		},
		{
			name:       "updateDefinition answered 200 without a body (UpdateItemDefinition.json)",
			cfg:        emulator.Config{CreateMode: emulator.CreateSync},
			setup:      []call{{"POST", ws + "/items", `{"displayName":"Target","type":"Notebook"}`}},
			start:      call{"POST", ws + "/items/{item}/updateDefinition", `{"definition":{"parts":[{"path":"notebook-content.py","payload":"eA==","payloadType":"InlineBase64"}]}}`},
			wantResult: "-",
			wantCount:  1,
		},
		{
			name:       "a lakehouse's updateDefinition answered 200 with the item (UpdateLakehouseDefinition.json)",
			cfg:        emulator.Config{CreateMode: emulator.CreateSync},
			setup:      []call{{"POST", ws + "/lakehouses", `{"displayName":"Lake"}`}},
			start:      call{"POST", ws + "/lakehouses/{item}/updateDefinition", `{"definition":{"parts":[{"path":"lakehouse.metadata.json","payload":"e30=","payloadType":"InlineBase64"}]}}`},
			wantResult: `"type":"Lakehouse"`,
			wantCount:  1,
		},
		{
			name:       "job to Completed",
			cfg:        emulator.Config{CreateMode: emulator.CreateSync},
			setup:      []call{{"POST", ws + "/items", `{"displayName":"Nightly","type":"Notebook"}`}},
			start:      call{"POST", ws + "/items/{item}/jobs/RunNotebook/instances", ""},
			wantResult: `"status":"Completed"`,
			wantPaths:  []string{"/jobs/RunNotebook/instances 202", "/jobs/instances/"},
		},
		{
			name:     "job cancelled",
			cfg:      emulator.Config{CreateMode: emulator.CreateSync},
			setup:    []call{{"POST", ws + "/items", `{"displayName":"Nightly","type":"Notebook"}`}},
			start:    call{"POST", ws + "/items/{item}/jobs/RunNotebook/instances", ""},
			cancel:   true,
			wantCode: string(lro.CodeJobCancelled),
			wantIs:   lro.CodeJobCancelled,
		},
		{
			name:       "throttling: 429s are waited out and the call completes",
			cfg:        emulator.Config{CreateMode: emulator.CreateAsync, ThrottleLimit: 2, ThrottleWindow: 5 * time.Second},
			start:      call{"POST", ws + "/notebooks", `{"displayName":"Throttled"}`},
			wantResult: `"displayName":"Throttled"`,
			wantPaths:  []string{"POST", " 429", "/result 200"},
		},
		{
			name: "injected 503, 500 and 429 faults",
			cfg: emulator.Config{CreateMode: emulator.CreateAsync, Faults: []emulator.FaultRule{
				{Kind: emulator.FaultUnavailable, Method: "GET", PathPrefix: "/v1/operations/", Count: 1},
				{Kind: emulator.FaultInternalError, Method: "GET", PathPrefix: "/v1/operations/", After: 1, Count: 1},
				{Kind: emulator.FaultThrottle, Method: "GET", PathPrefix: "/v1/operations/", After: 2, Count: 1},
			}},
			start:      call{"POST", ws + "/notebooks", `{"displayName":"Faulty"}`},
			wantResult: `"displayName":"Faulty"`,
			wantPaths:  []string{"POST", " 503", " 500", " 429", "/result 200"},
		},
		{
			name: "token expires mid-poll: refreshed once, polling goes on",
			cfg: emulator.Config{CreateMode: emulator.CreateAsync, Faults: []emulator.FaultRule{
				{Kind: emulator.FaultTokenExpired, Method: "GET", PathPrefix: "/v1/operations/", After: 1, Count: 1},
			}},
			token:      &refreshing{},
			start:      call{"POST", ws + "/notebooks", `{"displayName":"Long"}`},
			wantResult: `"displayName":"Long"`,
			wantPaths:  []string{"POST", " 401", " 200", "/result 200"},
		},
		{
			name: "Location on a regional host is followed",
			cfg: emulator.Config{CreateMode: emulator.CreateAsync, Faults: []emulator.FaultRule{
				{Kind: emulator.FaultRegionalLocation},
			}},
			regional:   true,
			start:      call{"POST", ws + "/notebooks", `{"displayName":"Regional"}`},
			wantResult: `"displayName":"Regional"`,
			wantPaths:  []string{"POST", "REGIONAL/v1/operations/", "REGIONAL/v1/operations/"},
		},
		{
			name: "Location on an untrusted host: refused, nothing (no token) sent there",
			cfg: emulator.Config{CreateMode: emulator.CreateAsync, Faults: []emulator.FaultRule{
				{Kind: emulator.FaultRegionalLocation},
			}},
			regional:  true,
			distrust:  true,
			start:     call{"POST", ws + "/notebooks", `{"displayName":"Regional"}`},
			wantCode:  string(lro.CodeUntrustedHost),
			wantIs:    lro.CodeUntrustedHost,
			wantCount: 1,
			wantNot:   "REGIONAL",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				const regionalURL = "http://regional.test"
				cfg := tt.cfg
				if tt.regional {
					cfg.RegionalBaseURL = regionalURL
				}
				handler := emulator.New(cfg)
				client := &http.Client{Transport: inProcess{"emulator.test": handler, "regional.test": handler}}
				tr := &counting{next: nethttp.New(client), regional: regionalURL}
				tok := tt.token
				if tok == nil {
					tok = lro.StaticToken("dev-token")
				}
				var trusted []string // nil: the default, Fabric's own hosts
				if tt.regional && !tt.distrust {
					trusted = append(lro.DefaultTrustedHosts(), regionalURL)
				}
				c := lro.NewClient(lro.Options{Transport: tr, BaseURL: "http://emulator.test", Token: tok, TrustedHosts: trusted})
				ctx := context.Background()
				itemID := ""
				for _, s := range tt.setup {
					p, err := c.Start(ctx, &lro.Request{Method: s.method, URL: s.path, Body: []byte(s.body)})
					if err != nil {
						t.Fatalf("setup %s: %v", s.path, err)
					}
					res, err := p.PollUntilDone(ctx)
					if err != nil {
						t.Fatalf("setup %s: %v", s.path, err)
					}
					itemID = gjsonID(res)
				}
				before := len(tr.requests())
				path := strings.ReplaceAll(tt.start.path, "{item}", itemID)
				var body []byte
				if tt.start.body != "" {
					body = []byte(tt.start.body)
				}
				p, err := c.Start(ctx, &lro.Request{Method: tt.start.method, URL: path, Body: body})
				if err != nil {
					t.Fatalf("start: %v", err)
				}
				if tt.cancel {
					if err := p.Cancel(ctx); err != nil {
						t.Fatalf("cancel: %v", err)
					}
				}
				res, err := p.PollUntilDone(ctx)
				reqs := tr.requests()[before:]
				defer func() {
					if t.Failed() || testing.Verbose() {
						t.Logf("requests:\n%s", strings.Join(reqs, "\n"))
					}
				}()
				if tt.wantCode != "" {
					var e *lro.Error
					if !errors.As(err, &e) || (tt.wantCode != "*" && e.ErrorCode != tt.wantCode) || e.Message == "" || e.RequestID == "" && tt.wantIs == nil {
						t.Fatalf("err = %#v, want code %s with message and requestId", err, tt.wantCode)
					}
					if tt.wantIs != nil && !errors.Is(err, tt.wantIs) {
						t.Errorf("errors.Is(%v, %v) = false", err, tt.wantIs)
					}
				} else if err != nil {
					t.Fatalf("err = %v", err)
				}
				switch {
				case tt.wantResult == "-" && res != nil:
					t.Errorf("result = %s, want none", res)
				case tt.wantResult != "-" && !strings.Contains(string(res), tt.wantResult):
					t.Errorf("result = %s, want it to contain %s", res, tt.wantResult)
				}
				if tt.wantCount != 0 && (len(reqs) != tt.wantCount || p.Attempts() != tt.wantCount) {
					t.Errorf("%d requests (attempts %d), want %d", len(reqs), p.Attempts(), tt.wantCount)
				}
				i := 0
				for _, r := range reqs {
					if i < len(tt.wantPaths) && strings.Contains(r, tt.wantPaths[i]) {
						i++
					}
					if tt.wantNot != "" && strings.Contains(r, tt.wantNot) {
						t.Errorf("unexpected request %s", r)
					}
				}
				if i < len(tt.wantPaths) {
					t.Errorf("requests lack %q (in order %q)", tt.wantPaths[i], tt.wantPaths)
				}
			})
		})
	}
}

func gjsonID(b []byte) string {
	s := string(b)
	i := strings.Index(s, `"id":"`)
	if i < 0 {
		return ""
	}
	s = s[i+6:]
	return s[:strings.IndexByte(s, '"')]
}

// TestSchedulerEmulator watches many creates at once through the scheduler, against a
// throttling emulator and against one that punishes early polls: every call ends as the
// emulator decides (names matching "fail" fail).
func TestSchedulerEmulator(t *testing.T) {
	t.Run("throttling", func(t *testing.T) {
		synctest.Test(t, func(t *testing.T) {
			testSchedulerEmulator(t, emulator.Config{CreateMode: emulator.CreateAlternate, ThrottleLimit: 3, ThrottleWindow: 10 * time.Second}, true)
		})
	})
	t.Run("strict Retry-After: never polled early", func(t *testing.T) {
		synctest.Test(t, func(t *testing.T) {
			testSchedulerEmulator(t, emulator.Config{CreateMode: emulator.CreateAsync, StrictRetryAfter: true}, false)
		})
	})
}

// testSchedulerEmulator runs in a synctest bubble.
func testSchedulerEmulator(t *testing.T, cfg emulator.Config, wantThrottled bool) {
	tr := &counting{next: nethttp.New(&http.Client{Transport: inProcess{"emulator.test": emulator.New(cfg)}})}
	c := lro.NewClient(lro.Options{Transport: tr, BaseURL: "http://emulator.test", Token: lro.StaticToken("dev-token")})
	s := lro.NewScheduler(c, lro.SchedulerOptions{RequestsPerSecond: 20, Burst: 5})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- s.Run(ctx) }()
	defer func() { cancel(); <-done }()

	const n = 40
	ids := make([]string, n)
	for i := range n {
		name := fmt.Sprint("Notebook ", i)
		if i%10 == 3 {
			name = fmt.Sprint("Fail ", i)
		}
		sn, err := s.Add(ctx, &lro.Request{Method: "POST", URL: "/v1/workspaces/" + emulator.DefaultWorkspaceID + "/notebooks", Body: []byte(`{"displayName":"` + name + `"}`)}, name)
		if err != nil {
			t.Fatalf("Add %s: %v", name, err)
		}
		ids[i] = sn.ID
	}
	failed := 0
	for i, id := range ids {
		sn, err := s.Wait(ctx, id)
		if i%10 == 3 {
			var e *lro.Error
			if !errors.As(err, &e) || sn.Status != "Failed" || sn.Error == nil {
				t.Errorf("%s: %+v %v, want Failed", sn.Label, sn, err)
			}
			failed++
			continue
		}
		if err != nil || !strings.Contains(string(sn.Result), sn.Label) {
			t.Errorf("%s: %s %s %v", sn.Label, sn.Status, sn.Result, err)
		}
	}
	throttled := 0
	for _, r := range tr.requests() {
		if strings.HasSuffix(r, " 429") {
			throttled++
		}
	}
	t.Logf("%d calls (%d failed as scripted), %d requests, %d answered 429", n, failed, len(tr.requests()), throttled)
	if wantThrottled && throttled == 0 {
		t.Errorf("the emulator never throttled: the test did not exercise 429s")
	}
	if !wantThrottled && throttled != 0 {
		t.Errorf("%d requests answered 429", throttled)
	}
}
