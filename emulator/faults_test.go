package emulator

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"
	"testing/synctest"
	"time"
)

func TestFaultsThatAnswerInstead(t *testing.T) {
	cases := []struct {
		kind       FaultKind
		rule       FaultRule
		wantStatus int
		wantCode   string
		wantRetry  string
	}{
		{kind: FaultThrottle, wantStatus: 429, wantCode: "RequestBlocked", wantRetry: "2"},
		{kind: FaultThrottle, rule: FaultRule{RetryAfterSeconds: 55}, wantStatus: 429, wantCode: "RequestBlocked", wantRetry: "55"},
		{kind: FaultInternalError, wantStatus: 500, wantCode: "UnknownError"},
		{kind: FaultUnavailable, wantStatus: 503, wantCode: "ServiceUnavailable", wantRetry: "2"},
		{kind: FaultTokenExpired, wantStatus: 401, wantCode: "TokenExpired"},
	}
	for _, tc := range cases {
		t.Run(fmt.Sprintf("%s retry %d", tc.kind, tc.rule.RetryAfterSeconds), func(t *testing.T) {
			rule := tc.rule
			rule.Kind, rule.PathPrefix, rule.Count = tc.kind, "/v1/operations", 1
			e := newEnv(t, Config{CreateMode: CreateAsync, Faults: []FaultRule{rule}})
			op := opID(t, e.do("POST", notebooksPath(), `{"displayName":"N"}`)) // not matched
			a := e.do("GET", "/v1/operations/"+op, "")
			wantError(t, a, tc.wantStatus, tc.wantCode)
			if got := a.header.Get("Retry-After"); got != tc.wantRetry {
				t.Errorf("Retry-After %q, want %q", got, tc.wantRetry)
			}
			if a := e.do("GET", "/v1/operations/"+op, ""); a.status != 200 {
				t.Errorf("after count ran out: %d", a.status)
			}
		})
	}
}

func TestThrottleStormThenPass(t *testing.T) {
	e := newEnv(t, Config{CreateMode: CreateAsync})
	op := opID(t, e.do("POST", notebooksPath(), `{"displayName":"N"}`))
	put := e.doToken("", "PUT", "/_emulator/faults", `{"rules":[{"kind":"429","method":"GET","pathPrefix":"/v1/operations","count":3,"retryAfterSeconds":1}]}`)
	if put.status != 200 {
		t.Fatalf("PUT faults: %d %s", put.status, put.body)
	}
	var got []int
	for range 5 {
		got = append(got, e.do("GET", "/v1/operations/"+op, "").status)
	}
	if fmt.Sprint(got) != "[429 429 429 200 200]" {
		t.Errorf("statuses %v", got)
	}
	var list struct {
		Rules []FaultStatus `json:"rules"`
	}
	if err := json.Unmarshal(e.doToken("", "GET", "/_emulator/faults", "").body, &list); err != nil || len(list.Rules) != 1 {
		t.Fatalf("GET faults: %v %+v", err, list)
	}
	if r := list.Rules[0]; r.Seen != 5 || r.Fired != 3 || r.Remaining != 0 {
		t.Errorf("counters %+v", r)
	}
}

func TestFaultMatching(t *testing.T) {
	cases := []struct {
		name string
		rule FaultRule
		reqs []string // "METHOD path"
		want []int
	}{
		{name: "method filter", rule: FaultRule{Kind: FaultInternalError, Method: "post"},
			reqs: []string{"GET /v1/workspaces", "POST /v1/workspaces", "GET /v1/workspaces"}, want: []int{200, 500, 200}},
		{name: "path prefix", rule: FaultRule{Kind: FaultInternalError, PathPrefix: "/v1/workspaces/" + ws},
			reqs: []string{"GET /v1/workspaces", "GET /v1/workspaces/" + ws, "GET /v1/workspaces/" + ws + "/items"}, want: []int{200, 500, 500}},
		{name: "after and count", rule: FaultRule{Kind: FaultUnavailable, After: 2, Count: 2},
			reqs: []string{"GET /v1/workspaces", "GET /v1/workspaces", "GET /v1/workspaces", "GET /v1/workspaces", "GET /v1/workspaces"}, want: []int{200, 200, 503, 503, 200}},
		{name: "control endpoint never faulted", rule: FaultRule{Kind: FaultInternalError},
			reqs: []string{"GET /_emulator/faults", "GET /v1/workspaces"}, want: []int{200, 500}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			e := newEnv(t, Config{Faults: []FaultRule{tc.rule}})
			var got []int
			for _, r := range tc.reqs {
				method, path, _ := strings.Cut(r, " ")
				body := ""
				if method == "POST" {
					body = `{"displayName":"W` + strconv.Itoa(len(got)) + `"}`
				}
				got = append(got, e.do(method, path, body).status)
			}
			if fmt.Sprint(got) != fmt.Sprint(tc.want) {
				t.Errorf("statuses %v, want %v", got, tc.want)
			}
		})
	}
}

func TestFaultsCombine(t *testing.T) {
	cases := []struct {
		name       string
		rules      []FaultRule
		wantStatus int
		check      func(t *testing.T, e *env, a answer)
	}{
		{name: "429 without Retry-After", rules: []FaultRule{{Kind: FaultThrottle}, {Kind: FaultNoRetryAfter}}, wantStatus: 429,
			check: func(t *testing.T, e *env, a answer) {
				if a.header.Get("Retry-After") != "" {
					t.Errorf("Retry-After %q", a.header.Get("Retry-After"))
				}
			}},
		{name: "429 with an HTTP-date Retry-After", rules: []FaultRule{{Kind: FaultRetryAfterDate}, {Kind: FaultThrottle, RetryAfterSeconds: 55}}, wantStatus: 429,
			check: func(t *testing.T, e *env, a answer) {
				when, err := http.ParseTime(a.header.Get("Retry-After"))
				if err != nil || !when.Equal(time.Now().Add(55*time.Second)) {
					t.Errorf("Retry-After %q (%v)", a.header.Get("Retry-After"), err)
				}
			}},
		{name: "first answering rule wins", rules: []FaultRule{{Kind: FaultUnavailable}, {Kind: FaultThrottle}}, wantStatus: 503},
		{name: "slow then 500", rules: []FaultRule{{Kind: FaultSlow, Delay: Duration(time.Second)}, {Kind: FaultInternalError}}, wantStatus: 500},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				e := newEnv(t, Config{Faults: tc.rules})
				a := e.do("GET", "/v1/workspaces", "")
				if a.status != tc.wantStatus {
					t.Fatalf("status %d, want %d: %s", a.status, tc.wantStatus, a.body)
				}
				if tc.check != nil {
					tc.check(t, e, a)
				}
				var list struct {
					Rules []FaultStatus `json:"rules"`
				}
				json.Unmarshal(e.doToken("", "GET", "/_emulator/faults", "").body, &list)
				for i, r := range list.Rules {
					if r.Fired != 1 {
						t.Errorf("rule %d fired %d times, want 1 (every matching rule fires)", i, r.Fired)
					}
				}
			})
		})
	}
}

func TestNoLocationOnTheStart(t *testing.T) {
	e := newEnv(t, Config{CreateMode: CreateAsync, Faults: []FaultRule{{Kind: FaultNoLocation, Method: "POST"}}})
	a := e.do("POST", notebooksPath(), `{"displayName":"N"}`)
	if a.status != 202 || a.header.Get("Location") != "" || a.header.Get("x-ms-operation-id") == "" {
		t.Fatalf("202 %d headers %v", a.status, a.header)
	}
	if b := e.do("GET", "/v1/operations/"+a.header.Get("x-ms-operation-id"), ""); b.status != 200 {
		t.Errorf("the operation from x-ms-operation-id: %d %s", b.status, b.body)
	}
}

func TestProbabilisticFaultsAreReproducible(t *testing.T) {
	pattern := func(seed uint64) string {
		e := newEnv(t, Config{Seed: seed, Faults: []FaultRule{{Kind: FaultInternalError, Probability: 0.5}}})
		var b strings.Builder
		for range 40 {
			if e.do("GET", "/v1/workspaces", "").status == 500 {
				b.WriteByte('x')
			} else {
				b.WriteByte('.')
			}
		}
		return b.String()
	}
	a, b, c := pattern(7), pattern(7), pattern(8)
	if a != b {
		t.Errorf("same seed, different faults:\n%s\n%s", a, b)
	}
	if a == c {
		t.Errorf("different seeds, same faults: %s", a)
	}
	if n := strings.Count(a, "x"); n < 8 || n > 32 {
		t.Errorf("%d of 40 faulted with probability 0.5: %s", n, a)
	}
}

func TestFaultsThatChangeTheAnswer(t *testing.T) {
	cases := []struct {
		name  string
		rule  FaultRule
		check func(t *testing.T, e *env, a answer)
	}{
		{name: "malformed JSON keeps status", rule: FaultRule{Kind: FaultMalformedJSON, PathPrefix: "/v1/operations"},
			check: func(t *testing.T, e *env, a answer) {
				if a.status != 200 || json.Valid(a.body) || len(a.body) == 0 {
					t.Errorf("status %d body %q; want 200 and broken JSON", a.status, a.body)
				}
			}},
		{name: "no Retry-After", rule: FaultRule{Kind: FaultNoRetryAfter, PathPrefix: "/v1/operations"},
			check: func(t *testing.T, e *env, a answer) {
				if a.status != 200 || a.header.Get("Retry-After") != "" || a.header.Get("Location") == "" {
					t.Errorf("status %d headers %v", a.status, a.header)
				}
			}},
		{name: "Retry-After as HTTP date", rule: FaultRule{Kind: FaultRetryAfterDate, PathPrefix: "/v1/operations"},
			check: func(t *testing.T, e *env, a answer) {
				when, err := http.ParseTime(a.header.Get("Retry-After"))
				if err != nil {
					t.Fatalf("Retry-After %q is not an HTTP date: %v", a.header.Get("Retry-After"), err)
				}
				if want := time.Now().Add(2 * time.Second).Truncate(time.Second); !when.Equal(want) {
					t.Errorf("Retry-After %s, want %s", when, want)
				}
			}},
		{name: "no Location", rule: FaultRule{Kind: FaultNoLocation, PathPrefix: "/v1/operations"},
			check: func(t *testing.T, e *env, a answer) {
				if a.status != 200 || a.header.Get("Location") != "" || a.header.Get("x-ms-operation-id") == "" || a.header.Get("Retry-After") == "" {
					t.Errorf("status %d headers %v", a.status, a.header)
				}
			}},
		{name: "Location without /v1 still leads to the operation", rule: FaultRule{Kind: FaultLocationWithoutV1, PathPrefix: "/v1/operations"},
			check: func(t *testing.T, e *env, a answer) {
				op := a.header.Get("x-ms-operation-id")
				if got, want := a.header.Get("Location"), "http://fabric.test/operations/"+op; got != want {
					t.Fatalf("Location %q, want %q", got, want)
				}
				if b := e.do("GET", "/operations/"+op, ""); b.status != 200 || b.json(t)["status"] != "NotStarted" {
					t.Errorf("GET /operations/{op}: %d %s", b.status, b.body)
				}
				time.Sleep(DefaultOperationDuration)
				if b := e.do("GET", "/operations/"+op+"/result", ""); b.status != 200 {
					t.Errorf("GET /operations/{op}/result: %d %s", b.status, b.body)
				}
			}},
		{name: "Undefined status", rule: FaultRule{Kind: FaultUndefinedStatus, PathPrefix: "/v1/operations"},
			check: func(t *testing.T, e *env, a answer) {
				m := a.json(t)
				if m["status"] != "Undefined" || m["createdTimeUtc"] == nil || a.header.Get("Location") == "" {
					t.Errorf("status %d body %s", a.status, a.body)
				}
			}},
		{name: "a status Fabric may add later", rule: FaultRule{Kind: FaultUndefinedStatus, PathPrefix: "/v1/operations", Status: "Paused"},
			check: func(t *testing.T, e *env, a answer) {
				if m := a.json(t); m["status"] != "Paused" {
					t.Errorf("body %s", a.body)
				}
			}},
		{name: "slow answers after its delay", rule: FaultRule{Kind: FaultSlow, PathPrefix: "/v1/operations", Delay: Duration(90 * time.Second)},
			check: func(t *testing.T, e *env, a answer) {
				// The answer is the state when it is sent: the 6 s operation ended during the wait.
				if a.status != 200 || a.json(t)["status"] != "Succeeded" {
					t.Errorf("slow answer %d %s", a.status, a.body)
				}
			}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				e := newEnv(t, Config{CreateMode: CreateAsync, Faults: []FaultRule{tc.rule}})
				op := opID(t, e.do("POST", notebooksPath(), `{"displayName":"N"}`))
				start := time.Now()
				a := e.do("GET", "/v1/operations/"+op, "")
				// Only the slow rule delays the answer, by exactly its Delay on the bubble's clock.
				if took := time.Since(start); took != time.Duration(tc.rule.Delay) {
					t.Errorf("answered after %s, want %s", took, time.Duration(tc.rule.Delay))
				}
				tc.check(t, e, a)
			})
		})
	}
}

// A slow rule waits its Delay (DefaultSlowDelay without one) and then answers, or stops
// without an answer when the client leaves first.
func TestSlowFault(t *testing.T) {
	cases := []struct {
		name       string
		rule       FaultRule
		clientWait time.Duration // how long the client waits for the answer; 0 means forever
		wantTook   time.Duration
		wantAnswer bool
	}{
		{name: "default delay", rule: FaultRule{Kind: FaultSlow}, wantTook: DefaultSlowDelay, wantAnswer: true},
		{name: "its own delay", rule: FaultRule{Kind: FaultSlow, Delay: Duration(250 * time.Millisecond)}, wantTook: 250 * time.Millisecond, wantAnswer: true},
		{name: "client leaves first", rule: FaultRule{Kind: FaultSlow}, clientWait: time.Second, wantTook: time.Second},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				e := newEnv(t, Config{Faults: []FaultRule{tc.rule}})
				req := newRequest("GET", "/v1/workspaces", "")
				req.Header.Set("Authorization", "Bearer dev-token")
				if tc.clientWait > 0 {
					ctx, cancel := context.WithTimeout(req.Context(), tc.clientWait)
					defer cancel()
					req = req.WithContext(ctx)
				}
				start := time.Now()
				a := e.send(req)
				if took := time.Since(start); took != tc.wantTook {
					t.Errorf("returned after %s, want %s", took, tc.wantTook)
				}
				if answered := a.status == http.StatusOK && len(a.body) > 0; answered != tc.wantAnswer {
					t.Errorf("answered %v (%d %s), want %v", answered, a.status, a.body, tc.wantAnswer)
				}
			})
		})
	}
}

func TestDefaultSleeperHonoursContext(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		ctx, cancel := context.WithCancel(context.Background())
		cancel()
		start := time.Now()
		if err := timerSleep(ctx, time.Hour); !errors.Is(err, context.Canceled) || time.Since(start) != 0 {
			t.Errorf("timerSleep = %v after %s, want context.Canceled at once", err, time.Since(start))
		}
		if err := timerSleep(context.Background(), time.Hour); err != nil || time.Since(start) != time.Hour {
			t.Errorf("timerSleep = %v after %s, want nil after 1h", err, time.Since(start))
		}
	})
}

func TestDroppedConnections(t *testing.T) {
	cases := []struct {
		kind        FaultKind
		wantCreated bool
	}{
		{kind: FaultDrop, wantCreated: false},
		{kind: FaultDropAfter, wantCreated: true},
	}
	for _, tc := range cases {
		t.Run(string(tc.kind), func(t *testing.T) {
			// Real connections: a drop closes one. No time passes in this test.
			srv := New(Config{CreateMode: CreateSync, Faults: []FaultRule{{Kind: tc.kind, Method: "POST", Count: 1}}})
			ts := httptest.NewServer(srv)
			defer ts.Close()
			client := ts.Client()
			call := func(method, path, body string) (*http.Response, error) {
				req, _ := http.NewRequest(method, ts.URL+path, strings.NewReader(body))
				req.Header.Set("Authorization", "Bearer dev-token")
				return client.Do(req)
			}
			res, err := call("POST", notebooksPath(), `{"displayName":"Dropped"}`)
			if err == nil {
				res.Body.Close()
				t.Fatalf("the dropped request got an answer: %d", res.StatusCode)
			}
			res, err = call("GET", notebooksPath(), "")
			if err != nil {
				t.Fatalf("list after the drop: %v", err)
			}
			b, _ := io.ReadAll(res.Body)
			res.Body.Close()
			if created := strings.Contains(string(b), "Dropped"); created != tc.wantCreated {
				t.Errorf("item created = %v, want %v: %s", created, tc.wantCreated, b)
			}
		})
	}
}

func TestDropWithoutHijackAborts(t *testing.T) {
	e := newEnv(t, Config{Faults: []FaultRule{{Kind: FaultDrop}}})
	defer func() {
		if r := recover(); r != http.ErrAbortHandler {
			t.Errorf("recovered %v, want http.ErrAbortHandler", r)
		}
	}()
	e.do("GET", "/v1/workspaces", "") // httptest.ResponseRecorder cannot be hijacked
}

// serveInProcess is a RoundTripper that answers through handler.ServeHTTP, for tests in a
// synctest bubble (real connections are not durably blocking).
type serveInProcess struct{ handler http.Handler }

func (s serveInProcess) RoundTrip(req *http.Request) (*http.Response, error) {
	rec := httptest.NewRecorder()
	s.handler.ServeHTTP(rec, req)
	return rec.Result(), nil
}

func TestRegionalLocation(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		// One emulator behind two hosts: the primary the client calls, and the regional one
		// its Location headers move to.
		const primary, regional = "http://fabric.test", "http://regional.test"
		srv := New(Config{CreateMode: CreateAsync, Faults: []FaultRule{{Kind: FaultRegionalLocation}}})
		client := &http.Client{Transport: serveInProcess{handler: srv}}
		// The regional host may be known only once its listener runs: set it at run time.
		put, _ := http.NewRequest("PUT", primary+"/_emulator/config", strings.NewReader(`{"regionalBaseUrl":"`+regional+`"}`))
		if res, err := client.Do(put); err != nil || res.StatusCode != 200 {
			t.Fatalf("PUT config: %v %v", err, res)
		}

		get := func(method, u, body string) *http.Response {
			req, _ := http.NewRequest(method, u, strings.NewReader(body))
			req.Header.Set("Authorization", "Bearer dev-token")
			res, err := client.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			io.Copy(io.Discard, res.Body)
			res.Body.Close()
			return res
		}
		res := get("POST", primary+notebooksPath(), `{"displayName":"N"}`)
		loc := res.Header.Get("Location")
		if !strings.HasPrefix(loc, regional+"/v1/operations/") {
			t.Fatalf("Location %q, want it on the regional host %s", loc, regional)
		}
		time.Sleep(DefaultOperationDuration)
		res = get("GET", loc, "")
		if res.StatusCode != 200 || !strings.HasPrefix(res.Header.Get("Location"), regional+"/v1/operations/") || !strings.HasSuffix(res.Header.Get("Location"), "/result") {
			t.Errorf("state on the regional host: %d Location %q", res.StatusCode, res.Header.Get("Location"))
		}
		if res = get("GET", res.Header.Get("Location"), ""); res.StatusCode != 200 {
			t.Errorf("result on the regional host: %d", res.StatusCode)
		}
	})
}

func TestParseFaultRule(t *testing.T) {
	cases := []struct {
		spec    string
		want    FaultRule
		wantErr string
	}{
		{spec: "kind=429,path=/v1/operations,count=3", want: FaultRule{Kind: FaultThrottle, PathPrefix: "/v1/operations", Count: 3}},
		{spec: "kind=slow, delay=250ms ,method=GET", want: FaultRule{Kind: FaultSlow, Delay: Duration(250 * time.Millisecond), Method: "GET"}},
		{spec: "kind=503,after=2,p=0.25,retryAfter=55", want: FaultRule{Kind: FaultUnavailable, After: 2, Probability: 0.25, RetryAfterSeconds: 55}},
		{spec: "kind=regionalLocation", want: FaultRule{Kind: FaultRegionalLocation}},
		{spec: "kind=undefinedStatus,status=Paused", want: FaultRule{Kind: FaultUndefinedStatus, Status: "Paused"}},
		{spec: "kind=teapot", wantErr: "unknown fault kind"},
		{spec: "count=3", wantErr: "unknown fault kind"},
		{spec: "kind=429,count=x", wantErr: "count"},
		{spec: "kind=429,colour=red", wantErr: "unknown key"},
		{spec: "kind=429,p=2", wantErr: "probability"},
		{spec: "kind=429,count=-1", wantErr: "negative"},
		{spec: "kind", wantErr: "not key=value"},
	}
	for _, tc := range cases {
		t.Run(tc.spec, func(t *testing.T) {
			got, err := ParseFaultRule(tc.spec)
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("err = %v, want one saying %q", err, tc.wantErr)
				}
				return
			}
			if err != nil || got != tc.want {
				t.Errorf("got %+v, %v; want %+v", got, err, tc.want)
			}
		})
	}
}

func TestDurationJSON(t *testing.T) {
	cases := []struct {
		in      string
		want    time.Duration
		wantErr bool
	}{
		{in: `"1.5s"`, want: 1500 * time.Millisecond},
		{in: `2`, want: 2 * time.Second},
		{in: `"soon"`, wantErr: true},
		{in: `true`, wantErr: true},
	}
	for _, tc := range cases {
		var d Duration
		err := json.Unmarshal([]byte(tc.in), &d)
		if (err != nil) != tc.wantErr || (!tc.wantErr && time.Duration(d) != tc.want) {
			t.Errorf("%s: got %v, %v", tc.in, time.Duration(d), err)
		}
	}
	if b, _ := json.Marshal(Duration(time.Minute)); string(b) != `"1m0s"` {
		t.Errorf("marshal: %s", b)
	}
}
