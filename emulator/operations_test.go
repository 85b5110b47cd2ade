package emulator

import (
	"net/http"
	"testing"
	"testing/synctest"
	"time"
)

func TestOperationStatesFollowTheClock(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		e := newEnv(t, Config{CreateMode: CreateAsync, OperationDuration: 60 * time.Second, RetryAfter: 20 * time.Second})
		op := opID(t, e.do("POST", notebooksPath(), `{"displayName":"N"}`))
		self := "http://fabric.test/v1/operations/" + op
		steps := []struct {
			at           time.Duration // since the create
			wantStatus   string
			wantPercent  any // float64 or nil
			wantLocation string
			wantRetry    string
		}{
			{at: 0, wantStatus: "NotStarted", wantPercent: nil, wantLocation: self, wantRetry: "20"},
			{at: 9 * time.Second, wantStatus: "NotStarted", wantPercent: nil, wantLocation: self, wantRetry: "20"},
			{at: 15 * time.Second, wantStatus: "Running", wantPercent: 25.0, wantLocation: self, wantRetry: "20"},
			{at: 30 * time.Second, wantStatus: "Running", wantPercent: 50.0, wantLocation: self, wantRetry: "20"},
			{at: 59 * time.Second, wantStatus: "Running", wantPercent: 98.0, wantLocation: self, wantRetry: "20"},
			{at: 60 * time.Second, wantStatus: "Succeeded", wantPercent: 100.0, wantLocation: self + "/result", wantRetry: ""},
			{at: 600 * time.Second, wantStatus: "Succeeded", wantPercent: 100.0, wantLocation: self + "/result", wantRetry: ""},
		}
		start := time.Now()
		for _, st := range steps {
			time.Sleep(start.Add(st.at).Sub(time.Now()))
			a := e.do("GET", "/v1/operations/"+op, "")
			if a.status != http.StatusOK {
				t.Fatalf("at %s: %d %s", st.at, a.status, a.body)
			}
			m := a.json(t)
			if m["status"] != st.wantStatus {
				t.Errorf("at %s: status %v, want %s", st.at, m["status"], st.wantStatus)
			}
			if pct, ok := m["percentComplete"]; !ok || pct != st.wantPercent {
				t.Errorf("at %s: percentComplete %v (present %v), want %v", st.at, pct, ok, st.wantPercent)
			}
			if got := a.header.Get("Location"); got != st.wantLocation {
				t.Errorf("at %s: Location %q, want %q", st.at, got, st.wantLocation)
			}
			if got := a.header.Get("Retry-After"); got != st.wantRetry {
				t.Errorf("at %s: Retry-After %q, want %q", st.at, got, st.wantRetry)
			}
			if got := a.header.Get("x-ms-operation-id"); got != op {
				t.Errorf("at %s: x-ms-operation-id %q", st.at, got)
			}
			wantCreated := "2000-01-01T00:00:00.000Z" // while running, as the seed article shows
			if st.wantStatus == "Succeeded" {
				wantCreated = "2000-01-01T00:00:00.0000000" // once done: seven digits, no zone
			}
			if m["createdTimeUtc"] != wantCreated {
				t.Errorf("at %s: createdTimeUtc %v, want %s", st.at, m["createdTimeUtc"], wantCreated)
			}
			if _, has := m["error"]; has {
				t.Errorf("at %s: error present: %v", st.at, m["error"])
			}
		}
	})
}

func TestOperationResultErrors(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		e := newEnv(t, Config{CreateMode: CreateAsync})
		op := opID(t, e.do("POST", notebooksPath(), `{"displayName":"N"}`))
		wantError(t, e.do("GET", "/v1/operations/"+op+"/result", ""), 400, "OperationNotCompleted")
		for _, path := range []string{"/v1/operations/11111111-2222-4333-8444-555555555555", "/v1/operations/11111111-2222-4333-8444-555555555555/result", "/v1/operations/not-a-guid"} {
			wantError(t, e.do("GET", path, ""), 404, "OperationNotFound")
		}
		time.Sleep(DefaultOperationDuration)
		if a := e.do("GET", "/v1/operations/"+op+"/result", ""); a.status != 200 {
			t.Errorf("result: %d %s", a.status, a.body)
		}
	})
}

func TestZeroDurationOperationsSucceedAtOnce(t *testing.T) {
	e := newEnv(t, Config{CreateMode: CreateAsync, OperationDuration: -1})
	op := opID(t, e.do("POST", notebooksPath(), `{"displayName":"N"}`))
	a := e.do("GET", "/v1/operations/"+op, "")
	if a.json(t)["status"] != "Succeeded" {
		t.Errorf("status %s", a.body)
	}
}

func TestLocationFollowsTheRequestHostAndScheme(t *testing.T) {
	e := newEnv(t, Config{CreateMode: CreateAsync, Scheme: "https"})
	req := newRequest("POST", notebooksPath(), `{"displayName":"N"}`)
	req.Host = "proxy.example:8443"
	req.Header.Set("Authorization", "Bearer t")
	a := e.send(req)
	want := "https://proxy.example:8443/v1/operations/" + a.header.Get("x-ms-operation-id")
	if got := a.header.Get("Location"); got != want {
		t.Errorf("Location %q, want %q", got, want)
	}
}
