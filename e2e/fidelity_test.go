package e2e

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/fabric-lro/fabric-lro/emulator"
	"github.com/fabric-lro/fabric-lro/lro"
	"github.com/fabric-lro/fabric-lro/lro/nethttp"
	"github.com/fabric-lro/fabric-lro/proxy"
)

// The engine meets, through the native proxy and through the Worker in workerd, the answers
// of real Fabric that the emulator gives (see the emulator package documentation): a job
// whose Location is the list form, Retry-After on the job instance GET, a cancel that takes a
// while, definition calls answering 200 as well as 202, Fabric's two time forms, throttling
// per caller and per API, and the errors InvalidJobType and CorruptedPayload. The emulator
// runs on the real clock with short timings.

// fidelityEnv is an emulator behind one kind of proxy, and an engine client of that proxy.
type fidelityEnv struct {
	emu    *emulator.Server
	proxy  string // the proxy's origin
	client *lro.Client
}

func newFidelityEnv(t *testing.T, kind proxyStarter, cfg emulator.Config, opts lro.Options) *fidelityEnv {
	t.Helper()
	upstream, emu := startEmulator(t, cfg)
	p := kind.start(t, map[string]string{proxy.EnvUpstream: upstream, proxy.EnvAllowedOrigins: pageOrigin})
	opts.Transport = nethttp.New(nil)
	opts.BaseURL = p
	opts.Token = lro.StaticToken("dev-token")
	return &fidelityEnv{emu: emu, proxy: p, client: lro.NewClient(opts)}
}

// eachProxy runs test, in parallel, against an emulator configured by cfg behind the native
// proxy and behind the Worker in workerd, with an engine client of the proxy, for at most a
// limit.
func eachProxy(t *testing.T, cfg emulator.Config, opts lro.Options, limit time.Duration, test func(t *testing.T, ctx context.Context, f *fidelityEnv)) {
	t.Helper()
	requireE2E(t)
	for _, kind := range proxyKinds {
		t.Run(kind.name, func(t *testing.T) {
			t.Parallel()
			ctx, cancel := context.WithTimeout(context.Background(), limit)
			defer cancel()
			test(t, ctx, newFidelityEnv(t, kind, cfg, opts))
		})
	}
}

// start sends a starting call through the proxy.
func (f *fidelityEnv) start(t *testing.T, ctx context.Context, method, path, body string) (*lro.Poller, error) {
	t.Helper()
	var b []byte
	if body != "" {
		b = []byte(body)
	}
	return f.client.Start(ctx, &lro.Request{Method: method, URL: "/v1/workspaces/" + emulator.DefaultWorkspaceID + path, Body: b})
}

// mustDone starts a call and polls it to its end, which must succeed.
func (f *fidelityEnv) mustDone(t *testing.T, ctx context.Context, method, path, body string) (*lro.Poller, []byte) {
	t.Helper()
	p, err := f.start(t, ctx, method, path, body)
	if err != nil {
		t.Fatalf("%s %s: %v", method, path, err)
	}
	res, err := p.PollUntilDone(ctx)
	if err != nil {
		t.Fatalf("%s %s: %v", method, path, err)
	}
	return p, res
}

func idOf(t *testing.T, res []byte) string {
	t.Helper()
	var v struct{ ID string }
	if err := json.Unmarshal(res, &v); err != nil || v.ID == "" {
		t.Fatalf("no id in %s (%v)", res, err)
	}
	return v.ID
}

var guid = regexp.MustCompile(`^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$`)

func TestEngineMeetsFabricAnswers(t *testing.T) {
	eachProxy(t, emulator.Config{
		RetryAfter: time.Second, OperationDuration: 3 * time.Second, JobDuration: 3 * time.Second,
		CancelDuration: 3 * time.Second, JobLocation: emulator.JobLocationAlternate,
	}, lro.Options{}, 2*time.Minute, func(t *testing.T, ctx context.Context, f *fidelityEnv) {
		_, res := f.mustDone(t, ctx, "POST", "/items", `{"displayName":"Fidelity","type":"Notebook"}`) // the 1st create: 201
		item := "/items/" + idOf(t, res)

		t.Run("jobs: instance and list-form Location", func(t *testing.T) {
			for _, jobType := range []string{"RunNotebook", "Execute"} { // the emulator alternates the two forms
				p, res := f.mustDone(t, ctx, "POST", item+"/jobs/"+jobType+"/instances", "")
				if !guid.MatchString(p.ID()) || !strings.HasPrefix(p.URL(), f.proxy+"/v1/workspaces/") || !strings.HasSuffix(p.URL(), "/jobs/instances/"+p.ID()) {
					t.Errorf("%s: id %q URL %q, want the instance, on the proxy", jobType, p.ID(), p.URL())
				}
				if !strings.Contains(string(res), `"status":"Completed"`) || !strings.Contains(string(res), `"jobType":"`+jobType+`"`) {
					t.Errorf("%s: result %s, want the completed instance", jobType, res)
				}
			}
		})

		t.Run("cancel stays InProgress, then Cancelled", func(t *testing.T) {
			p, err := f.start(t, ctx, "POST", item+"/jobs/RunNotebook/instances", "") // instance form (3rd job)
			if err != nil {
				t.Fatal(err)
			}
			if err := p.Cancel(ctx); err != nil {
				t.Fatalf("Cancel: %v", err)
			}
			var seen []string
			for !p.Done() {
				if err := sleepUntil(ctx, p.NextPollAt()); err != nil {
					t.Fatal(err)
				}
				if err := p.Poll(ctx); err != nil && !lro.IsRetryable(err) {
					t.Fatal(err)
				}
				seen = append(seen, p.Status())
			}
			if len(seen) < 2 || seen[0] == lro.StatusCancelled || seen[len(seen)-1] != lro.StatusCancelled {
				t.Errorf("statuses after the cancel %q, want InProgress (or NotStarted) first, Cancelled last", seen)
			}
			if _, err := p.Result(); !errors.Is(err, lro.CodeJobCancelled) {
				t.Errorf("Result: %v, want CodeJobCancelled", err)
			}
		})

		t.Run("definition calls answer 200 and 202", func(t *testing.T) {
			update := func(payload string) string {
				return `{"definition":{"parts":[{"path":"notebook-content.py","payload":"` + payload + `","payloadType":"InlineBase64"}]}}`
			}
			for i, step := range []struct {
				path, body string
				wantResult string // "" for none
				want200    bool   // done at once: one request
			}{
				{path: item + "/getDefinition", wantResult: `"path":"notebook-content.py"`, want200: true},
				{path: item + "/getDefinition", wantResult: `"path":"notebook-content.py"`}, // 202: polls, then the result
				{path: item + "/updateDefinition", body: update("eA=="), want200: true},     // no body
				{path: item + "/updateDefinition", body: update("eQ==")},                    // 202: an operation without result
			} {
				p, res := f.mustDone(t, ctx, "POST", step.path, step.body)
				if (step.wantResult == "") != (res == nil) || !strings.Contains(string(res), step.wantResult) {
					t.Errorf("call %d %s: result %s, want %q", i+1, step.path, res, step.wantResult)
				}
				if got := p.Attempts() == 1; got != step.want200 {
					t.Errorf("call %d %s: %d requests; answered 200 at once: %v, want %v", i+1, step.path, p.Attempts(), got, step.want200)
				}
			}
		})

		t.Run("operation times in Fabric's two forms", func(t *testing.T) {
			p, err := f.start(t, ctx, "POST", "/items", `{"displayName":"Times","type":"Notebook"}`) // the 2nd create: 202
			if err != nil {
				t.Fatal(err)
			}
			var running string
			for !p.Done() {
				if err := sleepUntil(ctx, p.NextPollAt()); err != nil {
					t.Fatal(err)
				}
				if err := p.Poll(ctx); err != nil && !lro.IsRetryable(err) {
					t.Fatal(err)
				}
				if s := p.Snapshot(); !p.Done() && p.Status() != "" && running == "" {
					running = s.CreatedTimeUtc
				}
			}
			done := p.Snapshot()
			if !regexp.MustCompile(`^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$`).MatchString(running) {
				t.Errorf("createdTimeUtc while running %q, want 2023-11-13T22:24:40.477Z's form", running)
			}
			if !regexp.MustCompile(`^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{7}$`).MatchString(done.LastUpdatedTimeUtc) {
				t.Errorf("lastUpdatedTimeUtc once done %q, want 2023-11-13T22:25:06.1193103's form", done.LastUpdatedTimeUtc)
			}
		})

		t.Run("errors of bad starts", func(t *testing.T) {
			for _, tc := range []struct{ path, body, code string }{
				{path: item + "/jobs/Defragment/instances", code: "InvalidJobType"},
				{path: item + "/updateDefinition", body: `{"definition":{"parts":[{"path":"notebook-content.py","payload":"IyBG..cut","payloadType":"InlineBase64"}]}}`, code: "CorruptedPayload"},
			} {
				_, err := f.start(t, ctx, "POST", tc.path, tc.body)
				var e *lro.Error
				if !errors.As(err, &e) || e.StatusCode != 400 || e.ErrorCode != tc.code || e.RequestID == "" {
					t.Errorf("%s: %v, want 400 %s with a requestId", tc.path, err, tc.code)
				}
			}
		})
	})
}

// TestEngineRetryAfterOfJobInstanceGETs: the 202 of the job loses its Retry-After (a fault),
// so only the job instance GET's Retry-After can pace the engine faster than its default:
// it does, through both proxies.
func TestEngineRetryAfterOfJobInstanceGETs(t *testing.T) {
	eachProxy(t, emulator.Config{
		CreateMode: emulator.CreateSync, JobRetryAfter: time.Second, JobDuration: 6 * time.Second, StrictRetryAfter: true,
		Faults: []emulator.FaultRule{{Kind: emulator.FaultNoRetryAfter, Method: "POST", PathPrefix: "/v1/workspaces/" + emulator.DefaultWorkspaceID + "/items/"}},
	}, lro.Options{DefaultRetryAfter: 3 * time.Second}, time.Minute, func(t *testing.T, ctx context.Context, f *fidelityEnv) {
		_, res := f.mustDone(t, ctx, "POST", "/items", `{"displayName":"Paced","type":"Notebook"}`)
		p, _ := f.mustDone(t, ctx, "POST", "/items/"+idOf(t, res)+"/jobs/RunNotebook/instances", "")
		// Without the GET's Retry-After: polls at 3 and 6 s (3 requests with the start).
		// With it: 3 s, then every second until 6 s (5 or more).
		if p.Attempts() < 5 {
			t.Errorf("%d requests: the job instance GET's Retry-After (1 s) did not pace the polls", p.Attempts())
		}
	})
}

// TestEngineThrottledPerAPI: past its budget for the operation state API, a caller gets 429
// there (through the proxy, with Retry-After and RequestBlocked) while its other APIs answer;
// the engine waits the 429 out and completes.
func TestEngineThrottledPerAPI(t *testing.T) {
	eachProxy(t, emulator.Config{
		CreateMode: emulator.CreateAsync, RetryAfter: time.Second, OperationDuration: 2 * time.Second,
		ThrottleLimit: 2, ThrottleWindow: 3 * time.Second,
	}, lro.Options{}, time.Minute, func(t *testing.T, ctx context.Context, f *fidelityEnv) {
		p, err := f.start(t, ctx, "POST", "/items", `{"displayName":"Throttled","type":"Notebook"}`)
		if err != nil {
			t.Fatal(err)
		}
		state := f.proxy + "/v1/operations/" + p.ID()
		var statuses []int
		for range 3 {
			resp, body := call(t, "GET", state, pageOrigin, "", authz)
			statuses = append(statuses, resp.StatusCode)
			if resp.StatusCode == http.StatusTooManyRequests {
				wantProxyError(t, resp, body, http.StatusTooManyRequests, "RequestBlocked")
				if resp.Header.Get("Retry-After") == "" || !exposed(resp, "Retry-After") {
					t.Errorf("429 without a Retry-After the page can read: %v", resp.Header)
				}
			}
		}
		if statuses[2] != http.StatusTooManyRequests {
			t.Fatalf("state polls answered %v, want the 3rd throttled", statuses)
		}
		if resp, body := call(t, "GET", f.proxy+"/v1/workspaces", pageOrigin, "", authz); resp.StatusCode != http.StatusOK {
			t.Errorf("another API of the same caller: %d %s, want 200", resp.StatusCode, body)
		}
		res, err := p.PollUntilDone(ctx)
		if err != nil || !strings.Contains(string(res), `"displayName":"Throttled"`) {
			t.Errorf("PollUntilDone: %s %v", res, err)
		}
	})
}

// sleepUntil waits until t or until ctx is done, and then returns ctx's error.
func sleepUntil(ctx context.Context, t time.Time) error {
	timer := time.NewTimer(time.Until(t))
	defer timer.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-timer.C:
		return nil
	}
}
