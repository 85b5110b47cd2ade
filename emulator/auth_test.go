package emulator

import (
	"net/http"
	"strconv"
	"strings"
	"testing"
	"testing/synctest"
	"time"
)

func TestAuthentication(t *testing.T) {
	cases := []struct {
		name       string
		header     string
		wantStatus int
		wantCode   string
	}{
		{name: "no header", header: "", wantStatus: http.StatusUnauthorized, wantCode: "TokenNotProvided"},
		{name: "empty bearer", header: "Bearer ", wantStatus: http.StatusUnauthorized, wantCode: "TokenNotProvided"},
		{name: "blank bearer", header: "Bearer    ", wantStatus: http.StatusUnauthorized, wantCode: "TokenNotProvided"},
		{name: "basic scheme", header: "Basic dXNlcjpwYXNz", wantStatus: http.StatusUnauthorized, wantCode: "TokenNotProvided"},
		{name: "any token", header: "Bearer dev-token", wantStatus: http.StatusOK},
		{name: "lower-case scheme", header: "bearer eyJ0eXAi", wantStatus: http.StatusOK},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			e := newEnv(t, Config{})
			req := newRequest("GET", "/v1/workspaces", "")
			if tc.header != "" {
				req.Header.Set("Authorization", tc.header)
			}
			a := e.send(req)
			if tc.wantCode != "" {
				wantError(t, a, tc.wantStatus, tc.wantCode)
				if a.header.Get("WWW-Authenticate") == "" {
					t.Errorf("401 without WWW-Authenticate")
				}
				return
			}
			if a.status != tc.wantStatus {
				t.Fatalf("status = %d, want %d: %s", a.status, tc.wantStatus, a.body)
			}
		})
	}
}

func TestTokenExpiresAfterTTL(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		e := newEnv(t, Config{TokenTTL: 30 * time.Second})
		if a := e.doToken("token-1", "GET", "/v1/workspaces", ""); a.status != http.StatusOK {
			t.Fatalf("fresh token: %d %s", a.status, a.body)
		}
		time.Sleep(29 * time.Second)
		if a := e.doToken("token-1", "GET", "/v1/workspaces", ""); a.status != http.StatusOK {
			t.Fatalf("token before its TTL: %d %s", a.status, a.body)
		}
		time.Sleep(time.Second)
		op := "/v1/operations/00000000-0000-4000-8000-000000000000"
		wantError(t, e.doToken("token-1", "GET", op, ""), http.StatusUnauthorized, "TokenExpired")
		// A refreshed token goes on where the old one stopped.
		wantError(t, e.doToken("token-2", "GET", op, ""), http.StatusNotFound, "OperationNotFound")
	})
}

// FABRIC.md: "Every call is throttled per caller and per API".
func TestThrottlingPerCallerAndPerAPI(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		e := newEnv(t, Config{ThrottleLimit: 3, ThrottleWindow: time.Minute, CreateMode: CreateAsync})
		op := opID(t, e.doToken("a", "POST", notebooksPath(), `{"displayName":"N"}`))
		other := opID(t, e.doToken("a", "POST", notebooksPath(), `{"displayName":"M"}`))
		time.Sleep(10 * time.Second)
		state := "/v1/operations/" + op
		for i := range 3 {
			if a := e.doToken("a", "GET", state, ""); a.status != http.StatusOK {
				t.Fatalf("poll %d within the budget: %d %s", i+1, a.status, a.body)
			}
		}
		// The same API, whatever the operation and with or without /v1, is blocked for this caller.
		for _, path := range []string{state, "/v1/operations/" + other, "/operations/" + op} {
			a := e.doToken("a", "GET", path, "")
			wantError(t, a, http.StatusTooManyRequests, "RequestBlocked")
			if got := a.header.Get("Retry-After"); got != "60" {
				t.Errorf("%s: Retry-After = %q, want 60 (seconds to the end of the window its first poll opened)", path, got)
			}
			if m := a.json(t); !strings.Contains(m["message"].(string), "GET /operations/{op}") {
				t.Errorf("%s: the message does not name the API: %v", path, m["message"])
			}
		}
		// Its other APIs are not, nor are other callers.
		for _, tc := range []struct{ token, path string }{
			{token: "a", path: state + "/result"},
			{token: "a", path: "/v1/workspaces"},
			{token: "b", path: state},
			{token: "", path: "/_emulator/config"},
		} {
			if a := e.doToken(tc.token, "GET", tc.path, ""); a.status == http.StatusTooManyRequests {
				t.Errorf("caller %q, %s: throttled too: %s", tc.token, tc.path, a.body)
			}
		}
		time.Sleep(60 * time.Second)
		if a := e.doToken("a", "GET", state, ""); a.status != http.StatusOK {
			t.Errorf("after the window: %d %s", a.status, a.body)
		}
	})
}

func TestEveryAnswerHasRequestID(t *testing.T) {
	e := newEnv(t, Config{})
	seen := map[string]bool{}
	for _, a := range []answer{
		e.do("GET", "/v1/workspaces", ""),
		e.doToken("", "GET", "/v1/workspaces", ""),
		e.do("POST", notebooksPath(), `{"displayName":"A"}`),
		e.do("GET", "/_emulator/config", ""),
	} {
		id := a.header.Get("requestId")
		if !guidRE.MatchString(id) {
			t.Errorf("requestId %q is not a GUID (status %d)", id, a.status)
		}
		if seen[id] {
			t.Errorf("requestId %q repeated", id)
		}
		seen[id] = true
	}
}

func TestUnknownRoutes(t *testing.T) {
	cases := []struct {
		method, path string
	}{
		{method: "GET", path: "/v1/nothing"},
		{method: "PUT", path: "/v1/workspaces"},
		{method: "GET", path: "/v1/operations//result"},
		{method: "POST", path: "/v1/operations/x"},
		{method: "GET", path: "/v1/workspaces/" + ws + "/warehouses"},
		{method: "GET", path: "/"},
	}
	for _, tc := range cases {
		t.Run(tc.method+" "+tc.path, func(t *testing.T) {
			e := newEnv(t, Config{})
			wantError(t, e.do(tc.method, tc.path, ""), http.StatusNotFound, "EntityNotFound")
		})
	}
}

func TestRetryAfterIsWholeSeconds(t *testing.T) {
	cases := []struct {
		retryAfter time.Duration
		want       int
	}{
		{retryAfter: 0, want: 2},
		{retryAfter: 30 * time.Second, want: 30},
		{retryAfter: 1500 * time.Millisecond, want: 2},
		{retryAfter: time.Millisecond, want: 1},
	}
	for _, tc := range cases {
		t.Run(tc.retryAfter.String(), func(t *testing.T) {
			e := newEnv(t, Config{RetryAfter: tc.retryAfter, CreateMode: CreateAsync})
			a := e.do("POST", notebooksPath(), `{"displayName":"N"}`)
			if got := a.header.Get("Retry-After"); got != strconv.Itoa(tc.want) {
				t.Errorf("Retry-After = %q, want %d", got, tc.want)
			}
		})
	}
}

func TestStrictRetryAfter(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		e := newEnv(t, Config{StrictRetryAfter: true, CreateMode: CreateAsync, RetryAfter: 20 * time.Second, OperationDuration: time.Minute})
		op := opID(t, e.do("POST", notebooksPath(), `{"displayName":"N"}`))
		steps := []struct {
			advance    time.Duration
			wantStatus int
			wantRetry  string
		}{
			{advance: 5 * time.Second, wantStatus: 429, wantRetry: "15"},
			{advance: 15 * time.Second, wantStatus: 200, wantRetry: "20"},
			{advance: 19 * time.Second, wantStatus: 429, wantRetry: "1"},
			{advance: time.Second, wantStatus: 200, wantRetry: "20"},
			{advance: 20 * time.Second, wantStatus: 200, wantRetry: ""}, // Succeeded: no Retry-After
			{advance: 0, wantStatus: 200, wantRetry: ""},                // and no limit any more
		}
		for i, st := range steps {
			time.Sleep(st.advance)
			a := e.do("GET", "/v1/operations/"+op, "")
			if st.wantStatus == 429 {
				wantError(t, a, 429, "RequestBlocked")
			} else if a.status != st.wantStatus {
				t.Fatalf("step %d: %d %s", i, a.status, a.body)
			}
			if got := a.header.Get("Retry-After"); got != st.wantRetry {
				t.Errorf("step %d: Retry-After %q, want %q", i, got, st.wantRetry)
			}
		}

		id := e.mustItem("Notebook", "Jobs")
		run := e.do("POST", "/v1/workspaces/"+ws+"/items/"+id+"/jobs/DefaultJob/instances", "")
		inst := strings.TrimPrefix(run.header.Get("Location"), "http://fabric.test")
		wantError(t, e.do("GET", inst, ""), 429, "RequestBlocked")
		time.Sleep(20 * time.Second)
		if a := e.do("GET", inst, ""); a.status != 200 {
			t.Errorf("job poll after Retry-After: %d %s", a.status, a.body)
		}
	})
}
