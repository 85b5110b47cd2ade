package emulator

import (
	"net/http"
	"strings"
	"testing"
	"testing/synctest"
	"time"
)

// runJob starts a job and returns its instance path (without host).
func (e *env) runJob(path string) string {
	e.t.Helper()
	a := e.do("POST", path, "")
	if a.status != http.StatusAccepted {
		e.t.Fatalf("run job %s: %d %s", path, a.status, a.body)
	}
	if a.header.Get("x-ms-operation-id") != "" {
		e.t.Errorf("job 202 has x-ms-operation-id; Fabric's has none")
	}
	if a.header.Get("Retry-After") == "" {
		e.t.Errorf("job 202 without Retry-After")
	}
	loc := a.header.Get("Location")
	if !strings.HasPrefix(loc, "http://fabric.test/v1/workspaces/"+ws+"/items/") || !strings.Contains(loc, "/jobs/instances/") {
		e.t.Fatalf("job Location %q", loc)
	}
	return strings.TrimPrefix(loc, "http://fabric.test")
}

func (e *env) jobStatus(instance string) map[string]any {
	e.t.Helper()
	a := e.do("GET", instance, "")
	if a.status != http.StatusOK {
		e.t.Fatalf("get job: %d %s", a.status, a.body)
	}
	return a.json(e.t)
}

func TestJobLifecycle(t *testing.T) {
	cases := []struct {
		name        string
		runPath     func(item string) string
		itemName    string
		description string // set on the item after its creation
		wantFailure bool
	}{
		{name: "job type in the path", itemName: "NB",
			runPath: func(id string) string { return "/v1/workspaces/" + ws + "/items/" + id + "/jobs/RunNotebook/instances" }},
		{name: "older query form", itemName: "NB",
			runPath: func(id string) string {
				return "/v1/workspaces/" + ws + "/items/" + id + "/jobs/instances?jobType=RunNotebook"
			}},
		{name: "typed notebook route", itemName: "NB",
			runPath: func(id string) string { return notebooksPath() + "/" + id + "/jobs/execute/instances?beta=false" }},
		{name: "item whose description matches the fail pattern", itemName: "NB", description: "jobs fail", wantFailure: true,
			runPath: func(id string) string { return "/v1/workspaces/" + ws + "/items/" + id + "/jobs/RunNotebook/instances" }},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				e := newEnv(t, Config{CreateMode: CreateSync, JobDuration: 60 * time.Second})
				id := e.mustItem("Notebook", tc.itemName)
				if tc.description != "" {
					if a := e.do("PATCH", "/v1/workspaces/"+ws+"/items/"+id, `{"description":"`+tc.description+`"}`); a.status != http.StatusOK {
						t.Fatalf("update: %d %s", a.status, a.body)
					}
				}
				inst := e.runJob(tc.runPath(id))
				m := e.jobStatus(inst)
				if m["status"] != "NotStarted" || m["startTimeUtc"] != nil || m["endTimeUtc"] != nil || m["itemId"] != id || m["invokeType"] != "Manual" {
					t.Errorf("at start: %v", m)
				}
				time.Sleep(30 * time.Second)
				if m = e.jobStatus(inst); m["status"] != "InProgress" || m["startTimeUtc"] == nil || m["endTimeUtc"] != nil {
					t.Errorf("midway: %v", m)
				}
				time.Sleep(30 * time.Second)
				m = e.jobStatus(inst)
				if tc.wantFailure {
					fr, _ := m["failureReason"].(map[string]any)
					if m["status"] != "Failed" || fr["errorCode"] == nil || fr["message"] == nil {
						t.Errorf("ended: %v", m)
					}
					return
				}
				if m["status"] != "Completed" || m["endTimeUtc"] == nil || m["failureReason"] != nil {
					t.Errorf("ended: %v", m)
				}
			})
		})
	}
}

func TestJobDedupeAndCancel(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		e := newEnv(t, Config{CreateMode: CreateSync, JobDuration: 60 * time.Second})
		id := e.mustItem("Notebook", "NB")
		run := "/v1/workspaces/" + ws + "/items/" + id + "/jobs/DefaultJob/instances"
		first := e.runJob(run)
		second := e.runJob(run)
		if m := e.jobStatus(second); m["status"] != "Deduped" || m["endTimeUtc"] == nil {
			t.Errorf("second run while the first runs: %v", m)
		}
		other := e.runJob("/v1/workspaces/" + ws + "/items/" + id + "/jobs/RunNotebook/instances")
		if m := e.jobStatus(other); m["status"] != "NotStarted" {
			t.Errorf("another job type is not deduped: %v", m)
		}

		time.Sleep(20 * time.Second)
		c := e.do("POST", first+"/cancel", "")
		if c.status != http.StatusAccepted || c.header.Get("Location") != "http://fabric.test"+first || c.header.Get("Retry-After") == "" {
			t.Fatalf("cancel: %d %v %s", c.status, c.header, c.body)
		}
		if m := e.jobStatus(first); m["status"] != "InProgress" || m["endTimeUtc"] != nil {
			t.Errorf("right after the cancel was accepted: %v", m)
		}
		time.Sleep(DefaultCancelDuration)
		if m := e.jobStatus(first); m["status"] != "Cancelled" || m["endTimeUtc"] != "2000-01-01T00:00:22.0000000" {
			t.Errorf("once the cancel took effect: %v", m)
		}
		time.Sleep(time.Hour)
		if m := e.jobStatus(first); m["status"] != "Cancelled" {
			t.Errorf("cancelled job came back: %v", m)
		}
		wantError(t, e.do("POST", first+"/cancel", ""), 400, "JobAlreadyCompleted")
		wantError(t, e.do("POST", other+"/cancel", ""), 400, "JobAlreadyCompleted")
		third := e.runJob(run)
		if m := e.jobStatus(third); m["status"] != "NotStarted" {
			t.Errorf("run after the first ended: %v", m)
		}
	})
}

func TestJobList(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		e := newEnv(t, Config{CreateMode: CreateSync, PageSize: 2, JobDuration: time.Second})
		id := e.mustItem("Notebook", "NB")
		items := "/v1/workspaces/" + ws + "/items/" + id
		for range 3 {
			e.runJob(items + "/jobs/DefaultJob/instances")
			time.Sleep(time.Second)
		}
		m := e.do("GET", items+"/jobs/instances", "").json(t)
		if len(m["value"].([]any)) != 2 || m["continuationToken"] == nil {
			t.Fatalf("first page: %v", m)
		}
		m = e.do("GET", items+"/jobs/instances?continuationToken="+m["continuationToken"].(string), "").json(t)
		if len(m["value"].([]any)) != 1 || m["continuationToken"] != nil {
			t.Errorf("last page: %v", m)
		}
	})
}

func TestJobErrors(t *testing.T) {
	e := newEnv(t, Config{CreateMode: CreateSync})
	id := e.mustItem("Notebook", "NB")
	items := "/v1/workspaces/" + ws + "/items/" + id
	cases := []struct {
		name, method, path, body string
		wantStatus               int
		wantCode                 string
	}{
		{name: "missing job type", method: "POST", path: items + "/jobs/instances", wantStatus: 400, wantCode: "InvalidJobType"},
		{name: "broken body", method: "POST", path: items + "/jobs/DefaultJob/instances", body: `{"executionData":`, wantStatus: 400, wantCode: "InvalidInput"},
		{name: "unknown item", method: "POST", path: "/v1/workspaces/" + ws + "/items/00000000-0000-4000-8000-000000000001/jobs/DefaultJob/instances", wantStatus: 404, wantCode: "ItemNotFound"},
		{name: "unknown instance", method: "GET", path: items + "/jobs/instances/00000000-0000-4000-8000-000000000001", wantStatus: 404, wantCode: "JobInstanceNotFound"},
		{name: "cancel unknown instance", method: "POST", path: items + "/jobs/instances/00000000-0000-4000-8000-000000000001/cancel", wantStatus: 404, wantCode: "JobInstanceNotFound"},
		{name: "lakehouse route for a notebook", method: "GET", path: "/v1/workspaces/" + ws + "/lakehouses/" + id + "/jobs/instances", wantStatus: 404, wantCode: "ItemNotFound"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			wantError(t, e.do(tc.method, tc.path, tc.body), tc.wantStatus, tc.wantCode)
		})
	}
}
