package emulator

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"testing"
	"testing/synctest"
	"time"
)

func TestControlConfig(t *testing.T) {
	e := newEnv(t, Config{})
	var c map[string]any
	if err := json.Unmarshal(e.doToken("", "GET", "/_emulator/config", "").body, &c); err != nil {
		t.Fatal(err)
	}
	want := map[string]any{"retryAfter": "2s", "jobRetryAfter": "2s", "cancelDuration": "2s", "jobLocation": "instance", "operationDuration": "6s", "jobDuration": "6s", "createMode": "alternate",
		"failPattern": "(?i)fail", "tokenTTL": "0s", "throttleLimit": 0.0, "throttleWindow": "1m0s", "pageSize": 100.0, "regionalBaseUrl": "", "strictRetryAfter": false}
	if fmt.Sprint(c) != fmt.Sprint(want) {
		t.Errorf("defaults\n got %v\nwant %v", c, want)
	}

	cases := []struct {
		name, body string
		wantStatus int
		check      func(t *testing.T, e *env)
	}{
		{name: "spec-like timings", body: `{"retryAfter":30,"operationDuration":"60s","createMode":"async"}`, wantStatus: 200,
			check: func(t *testing.T, e *env) {
				a := e.do("POST", notebooksPath(), `{"displayName":"N1"}`)
				if a.status != 202 || a.header.Get("Retry-After") != "30" {
					t.Errorf("create: %d Retry-After %q", a.status, a.header.Get("Retry-After"))
				}
				time.Sleep(59 * time.Second)
				if s := e.do("GET", "/v1/operations/"+a.header.Get("x-ms-operation-id"), "").json(t)["status"]; s != "Running" {
					t.Errorf("at 59 s of 60: %v", s)
				}
			}},
		{name: "page size", body: `{"pageSize":1}`, wantStatus: 200,
			check: func(t *testing.T, e *env) {
				e.do("POST", "/v1/workspaces", `{"displayName":"Second"}`)
				if m := e.do("GET", "/v1/workspaces", "").json(t); m["continuationToken"] == nil {
					t.Errorf("no continuation with page size 1: %v", m)
				}
			}},
		{name: "bad create mode", body: `{"createMode":"sometimes"}`, wantStatus: 400},
		{name: "bad pattern", body: `{"failPattern":"("}`, wantStatus: 400},
		{name: "bad page size", body: `{"pageSize":0}`, wantStatus: 400},
		{name: "bad duration", body: `{"retryAfter":"soon"}`, wantStatus: 400},
		{name: "no body", body: ``, wantStatus: 400},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				e := newEnv(t, Config{})
				a := e.doToken("", "PUT", "/_emulator/config", tc.body)
				if tc.wantStatus != 200 {
					wantError(t, a, tc.wantStatus, "InvalidInput")
					return
				}
				if a.status != 200 {
					t.Fatalf("PUT: %d %s", a.status, a.body)
				}
				tc.check(t, e)
			})
		})
	}
}

func TestControlFaultsAndReset(t *testing.T) {
	e := newEnv(t, Config{Faults: []FaultRule{{Kind: FaultInternalError, PathPrefix: "/v1/workspaces/none"}}})
	steps := []struct {
		method, path, body string
		wantStatus         int
		wantRules          int
	}{
		{method: "GET", path: "/_emulator/faults", wantStatus: 200, wantRules: 1},
		{method: "POST", path: "/_emulator/faults", body: `{"rules":[{"kind":"503","count":1}]}`, wantStatus: 200, wantRules: 2},
		{method: "PUT", path: "/_emulator/faults", body: `{"rules":[{"kind":"429","count":2},{"kind":"500"}]}`, wantStatus: 200, wantRules: 2},
		{method: "PUT", path: "/_emulator/faults", body: `{"rules":[{"kind":"nope"}]}`, wantStatus: 400},
		{method: "PUT", path: "/_emulator/faults", body: `{"rules":[{"kind":"429","probability":3}]}`, wantStatus: 400},
		{method: "DELETE", path: "/_emulator/faults", wantStatus: 200, wantRules: 0},
		{method: "GET", path: "/_emulator/", wantStatus: 200},
		{method: "GET", path: "/_emulator/nothing", wantStatus: 404},
	}
	for _, st := range steps {
		a := e.doToken("", st.method, st.path, st.body)
		if a.status != st.wantStatus {
			t.Fatalf("%s %s: %d %s", st.method, st.path, a.status, a.body)
		}
		if st.wantStatus == 200 && strings.HasSuffix(st.path, "/faults") {
			if n := len(a.json(t)["rules"].([]any)); n != st.wantRules {
				t.Errorf("%s %s: %d rules, want %d", st.method, st.path, n, st.wantRules)
			}
		}
	}

	e.doToken("", "PUT", "/_emulator/config", `{"createMode":"sync"}`)
	e.mustItem("Notebook", "Before reset")
	e.doToken("", "PUT", "/_emulator/faults", `{"rules":[{"kind":"500","pathPrefix":"/v1/operations"}]}`)
	if a := e.doToken("", "POST", "/_emulator/reset", ""); a.status != http.StatusNoContent {
		t.Fatalf("reset: %d %s", a.status, a.body)
	}
	if names := listNames(t, e, notebooksPath()); len(names) != 0 {
		t.Errorf("items survived the reset: %v", names)
	}
	if m := e.doToken("", "GET", "/_emulator/config", "").json(t); m["createMode"] != "alternate" {
		t.Errorf("config after reset: %v", m)
	}
	if rules := e.doToken("", "GET", "/_emulator/faults", "").json(t)["rules"].([]any); len(rules) != 1 || rules[0].(map[string]any)["pathPrefix"] != "/v1/workspaces/none" {
		t.Errorf("faults after reset: %v", rules)
	}
}

func TestConfigValidate(t *testing.T) {
	cases := []struct {
		name    string
		cfg     Config
		wantErr string
	}{
		{name: "zero", cfg: Config{}},
		{name: "bad mode", cfg: Config{CreateMode: "maybe"}, wantErr: "create mode"},
		{name: "bad pattern", cfg: Config{FailPattern: "(("}, wantErr: "fail pattern"},
		{name: "bad fault", cfg: Config{Faults: []FaultRule{{Kind: "x"}}}, wantErr: "fault 0"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			err := tc.cfg.Validate()
			if (err == nil) != (tc.wantErr == "") || (err != nil && !strings.Contains(err.Error(), tc.wantErr)) {
				t.Fatalf("Validate() = %v, want %q", err, tc.wantErr)
			}
			// New falls back to the defaults and serves.
			e := newEnv(t, tc.cfg)
			if a := e.do("POST", notebooksPath(), `{"displayName":"N"}`); a.status != 201 {
				t.Errorf("create with fallback config: %d %s", a.status, a.body)
			}
		})
	}
}

func TestConcurrentClients(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		e := newEnv(t, Config{ThrottleLimit: 1000})
		const clients, perClient = 8, 10
		var wg sync.WaitGroup
		errs := make(chan string, clients*perClient)
		for c := range clients {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for i := range perClient {
					name := fmt.Sprintf("c%d-n%d", c, i)
					a := e.doToken(fmt.Sprintf("token-%d", c), "POST", notebooksPath(), `{"displayName":"`+name+`"}`)
					switch a.status {
					case 201:
					case 202:
						op := a.header.Get("x-ms-operation-id")
						if s := e.do("GET", "/v1/operations/"+op, "").status; s != 200 {
							errs <- fmt.Sprintf("%s: state %d", name, s)
						}
					default:
						errs <- fmt.Sprintf("%s: create %d %s", name, a.status, a.body)
					}
					time.Sleep(time.Second)
					e.do("GET", notebooksPath(), "")
					e.doToken("", "GET", "/_emulator/faults", "")
				}
			}()
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			t.Error(err)
		}
		time.Sleep(time.Hour)
		e.srv.mu.Lock()
		e.srv.advance(time.Now())
		n := len(e.srv.items)
		e.srv.mu.Unlock()
		if n != clients*perClient {
			t.Errorf("%d items, want %d", n, clients*perClient)
		}
	})
}

func TestGoFaultAPI(t *testing.T) {
	e := newEnv(t, Config{})
	if err := e.srv.SetFaults(FaultRule{Kind: FaultThrottle, Count: 2}); err != nil {
		t.Fatal(err)
	}
	if err := e.srv.AddFaults(FaultRule{Kind: "bogus"}); err == nil {
		t.Error("AddFaults accepted an unknown kind")
	}
	var got []int
	for range 3 {
		got = append(got, e.do("GET", "/v1/workspaces", "").status)
	}
	if fmt.Sprint(got) != "[429 429 200]" {
		t.Errorf("statuses %v", got)
	}
	if f := e.srv.Faults(); len(f) != 1 || f[0].Fired != 2 || f[0].Remaining != 0 {
		t.Errorf("Faults() = %+v", f)
	}
	e.mustItem("Notebook", "N")
	e.srv.Reset()
	if len(e.srv.Faults()) != 0 || len(listNames(t, e, notebooksPath())) != 0 {
		t.Errorf("Reset kept faults %v or items", e.srv.Faults())
	}
}
