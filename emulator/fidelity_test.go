package emulator

import (
	"encoding/base64"
	"encoding/json"
	"net/http"
	"regexp"
	"strings"
	"testing"
	"testing/synctest"
	"time"
)

// The answers of this file are ones a client meets on the real service: each test names the
// spec example, the spec text or the article it follows.

// itemPath is the generic path of an item of the default workspace.
func itemPath(id string) string { return "/v1/workspaces/" + ws + "/items/" + id }

// RunOnDemandItemJob3.json and RunOnDemandItemJob4.json: the Location of a job's 202 may be
// the item's job list filtered by the job type, not the instance.
func TestJobListLocation(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		ex := loadExample(t, "platform/examples/platform/RunOnDemandItemJob3.json")
		e := newEnv(t, Config{CreateMode: CreateSync, JobLocation: JobLocationList, PageSize: 1, JobDuration: time.Minute})
		id := e.mustItem("Notebook", "Notebook 1")
		e.mustStatus("POST", itemPath(id)+"/jobs/RunNotebook/instances", "", http.StatusAccepted)
		a := e.mustStatus("POST", itemPath(id)+"/jobs/Execute/instances", ex.requestBody(), http.StatusAccepted)
		loc := a.header.Get("Location")
		if want := "http://fabric.test" + itemPath(id) + "/jobs/instances?jobType=Execute"; loc != want {
			t.Fatalf("Location %q, want %q (RunOnDemandItemJob3.json)", loc, want)
		}
		if a.header.Get("Retry-After") == "" || a.header.Get("x-ms-operation-id") != "" {
			t.Errorf("headers %v, want Retry-After and no x-ms-operation-id", a.header)
		}
		e.mustStatus("POST", itemPath(id)+"/jobs/Execute/instances", "", http.StatusAccepted) // deduped: Execute is running

		// GET on that Location lists the Execute instances only, page by page, the filter kept.
		var got []map[string]any
		next := strings.TrimPrefix(loc, "http://fabric.test")
		for next != "" {
			m := e.mustStatus("GET", next, "", http.StatusOK).json(t)
			for _, v := range m["value"].([]any) {
				got = append(got, v.(map[string]any))
			}
			next = ""
			if u, ok := m["continuationUri"].(string); ok {
				if !strings.Contains(u, "jobType=Execute") {
					t.Errorf("continuationUri %q drops the jobType filter", u)
				}
				next = strings.TrimPrefix(u, "http://fabric.test")
			}
		}
		if len(got) != 2 || got[0]["jobType"] != "Execute" || got[1]["jobType"] != "Execute" ||
			got[0]["status"] != "NotStarted" || got[1]["status"] != "Deduped" {
			t.Errorf("list behind the Location: %v", got)
		}
		// The instance found there is a job instance like any other.
		inst := itemPath(id) + "/jobs/instances/" + got[0]["id"].(string)
		if m := e.mustStatus("GET", inst, "", http.StatusOK).json(t); m["jobType"] != "Execute" {
			t.Errorf("instance: %v", m)
		}
		// Without the filter, every job type is listed.
		all := e.mustStatus("GET", itemPath(id)+"/jobs/instances", "", http.StatusOK).json(t)
		if all["continuationUri"] == nil {
			t.Errorf("unfiltered list of 3 with page size 1 has one page: %v", all)
		}
	})
}

// GetItemJobInstance in the spec: "Retry-After integer - The number of seconds to wait
// before checking the status of the job instance", on the 200.
func TestJobInstanceRetryAfter(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		e := newEnv(t, FabricTimings(Config{CreateMode: CreateSync, StrictRetryAfter: true}))
		id := e.mustItem("Notebook", "Notebook 1")
		a := e.mustStatus("POST", itemPath(id)+"/jobs/RunNotebook/instances", "", http.StatusAccepted)
		if got := a.header.Get("Retry-After"); got != "60" {
			t.Errorf("job 202 Retry-After %q, want 60 (RunOnDemandItemJob.json)", got)
		}
		inst := strings.TrimPrefix(a.header.Get("Location"), "http://fabric.test")
		wantError(t, e.do("GET", inst, ""), http.StatusTooManyRequests, "RequestBlocked") // sooner than 60 s
		for _, step := range []struct {
			at         time.Duration
			wantStatus string
			wantRetry  string
		}{
			{at: 60 * time.Second, wantStatus: "InProgress", wantRetry: "60"},
			{at: 120 * time.Second, wantStatus: "Completed", wantRetry: ""},
		} {
			time.Sleep(60 * time.Second)
			got := e.mustStatus("GET", inst, "", http.StatusOK)
			if s := got.json(t)["status"]; s != step.wantStatus {
				t.Errorf("at %s: status %v, want %s", step.at, s, step.wantStatus)
			}
			if r := got.header.Get("Retry-After"); r != step.wantRetry {
				t.Errorf("at %s: Retry-After %q, want %q", step.at, r, step.wantRetry)
			}
		}
	})
}

// CancelItemJobInstance in the spec: "202 Request accepted, canceling a job is in progress";
// JobAlreadyCompleted "as job instance run has completed".
func TestCancelIsNotInstant(t *testing.T) {
	cases := []struct {
		name         string
		cancelAt     time.Duration // after the job's start; the job runs 60 s
		wantBetween  string        // status after the 202, before the cancel takes effect
		wantEnd      string
		wantEndTime  string
		secondCancel int // status of a cancel sent after the end
	}{
		{name: "cancelled while running", cancelAt: 20 * time.Second, wantBetween: "InProgress",
			wantEnd: "Cancelled", wantEndTime: "2000-01-01T00:00:30.0000000", secondCancel: http.StatusBadRequest},
		{name: "cancel pending past the run's end", cancelAt: 55 * time.Second, wantBetween: "InProgress",
			wantEnd: "Cancelled", wantEndTime: "2000-01-01T00:01:05.0000000", secondCancel: http.StatusBadRequest},
		{name: "cancelled before it started", cancelAt: time.Second, wantBetween: "InProgress",
			wantEnd: "Cancelled", wantEndTime: "2000-01-01T00:00:11.0000000", secondCancel: http.StatusBadRequest},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				e := newEnv(t, Config{CreateMode: CreateSync, JobDuration: time.Minute, CancelDuration: 10 * time.Second})
				id := e.mustItem("Notebook", "Notebook 1")
				inst := strings.TrimPrefix(e.mustStatus("POST", itemPath(id)+"/jobs/RunNotebook/instances", "", http.StatusAccepted).header.Get("Location"), "http://fabric.test")
				time.Sleep(tc.cancelAt)
				c := e.mustStatus("POST", inst+"/cancel", "", http.StatusAccepted)
				if c.header.Get("Location") != "http://fabric.test"+inst || c.header.Get("Retry-After") == "" || len(c.body) != 0 {
					t.Errorf("cancel 202: %v %q (CancelItemJobInstance.json: Location, Retry-After, no body)", c.header, c.body)
				}
				if m := e.jobStatus(inst); m["status"] != tc.wantBetween || m["endTimeUtc"] != nil {
					t.Errorf("right after the 202: %v", m)
				}
				time.Sleep(2 * time.Second)
				e.mustStatus("POST", inst+"/cancel", "", http.StatusAccepted) // a second cancel while it is pending
				time.Sleep(8 * time.Second)
				if m := e.jobStatus(inst); m["status"] != tc.wantEnd || m["endTimeUtc"] != tc.wantEndTime {
					t.Errorf("after the cancel's delay: %v, want %s ending %s", m, tc.wantEnd, tc.wantEndTime)
				}
				m := wantError(t, e.do("POST", inst+"/cancel", ""), tc.secondCancel, "JobAlreadyCompleted")
				if !strings.Contains(m["message"].(string), tc.wantEnd) {
					t.Errorf("JobAlreadyCompleted does not say how it ended: %v", m["message"])
				}
			})
		})
	}
}

// CancelItemJobInstance's JobAlreadyCompleted: a job that ended before the cancel arrived
// keeps how it ended, and the answer says it.
func TestCancelOfAJobThatEndedInTheMeantime(t *testing.T) {
	for _, tc := range []struct{ name, description, wantEnd string }{
		{name: "completed", wantEnd: "Completed"},
		{name: "failed", description: "this job will fail", wantEnd: "Failed"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				e := newEnv(t, Config{CreateMode: CreateSync, JobDuration: time.Minute})
				id := e.mustItem("Notebook", "Notebook 1")
				if tc.description != "" {
					e.mustStatus("PATCH", itemPath(id), `{"description":"`+tc.description+`"}`, http.StatusOK)
				}
				inst := strings.TrimPrefix(e.mustStatus("POST", itemPath(id)+"/jobs/RunNotebook/instances", "", http.StatusAccepted).header.Get("Location"), "http://fabric.test")
				time.Sleep(time.Minute)
				m := wantError(t, e.do("POST", inst+"/cancel", ""), http.StatusBadRequest, "JobAlreadyCompleted")
				if !strings.Contains(m["message"].(string), tc.wantEnd) {
					t.Errorf("message %q does not say the job ended %s", m["message"], tc.wantEnd)
				}
				if got := e.jobStatus(inst)["status"]; got != tc.wantEnd {
					t.Errorf("after the refused cancel: %v, want %s", got, tc.wantEnd)
				}
			})
		})
	}
}

// The spec's definition examples answer 200 or 202 (GetItemDefinition.json,
// UpdateItemDefinition.json): by default the emulator mixes them, so a client that only
// handles 202 fails.
func TestDefinitionCallsAnswer200Or202(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		e := newEnv(t, Config{})
		id := e.mustItem("Notebook", "Notebook 1")
		nb := "/v1/workspaces/" + ws + "/notebooks/" + id
		lh := "/v1/workspaces/" + ws + "/lakehouses/" + e.mustItem("Lakehouse", "Lakehouse 1")
		update := loadExample(t, "notebook/examples/UpdateNotebookDefinition.json").requestBody()
		lakeUpdate := loadExample(t, "lakehouse/examples/UpdateLakehouseDefinition.json").requestBody()
		steps := []struct {
			path, body string
			wantStatus int
			wantBody   bool
		}{
			{path: nb + "/getDefinition", wantStatus: 200, wantBody: true},
			{path: nb + "/getDefinition", wantStatus: 202},
			{path: nb + "/updateDefinition", body: update, wantStatus: 200}, // UpdateNotebookDefinition.json: no body
			{path: nb + "/updateDefinition", body: update, wantStatus: 202},
			{path: lh + "/updateDefinition", body: lakeUpdate, wantStatus: 200, wantBody: true}, // UpdateLakehouseDefinition.json: the item
			{path: lh + "/updateDefinition", body: lakeUpdate, wantStatus: 202},
		}
		for i, st := range steps {
			a := e.mustStatus("POST", st.path, st.body, st.wantStatus)
			if (len(a.body) > 0) != st.wantBody {
				t.Errorf("call %d: body %q, want a body: %v", i+1, a.body, st.wantBody)
			}
			if st.wantStatus == 202 && a.header.Get("x-ms-operation-id") == "" {
				t.Errorf("call %d: 202 without an operation", i+1)
			}
		}
	})
}

// Run On Demand Item Job's common error codes: "InvalidJobType - The requested job type is
// invalid."
func TestUnknownJobTypes(t *testing.T) {
	e := newEnv(t, Config{CreateMode: CreateSync})
	nb := e.mustItem("Notebook", "Notebook 1")
	lh := e.mustItem("Lakehouse", "Lakehouse 1")
	cases := []struct {
		name, path string
		wantStatus int
	}{
		{name: "DefaultJob on any item", path: itemPath(lh) + "/jobs/DefaultJob/instances", wantStatus: 202},
		{name: "a lakehouse's table maintenance", path: "/v1/workspaces/" + ws + "/lakehouses/" + lh + "/jobs/tableMaintenance/instances", wantStatus: 202},
		{name: "job types ignore case", path: itemPath(nb) + "/jobs/instances?jobType=runnotebook", wantStatus: 202},
		{name: "a notebook's job on a lakehouse", path: itemPath(lh) + "/jobs/RunNotebook/instances", wantStatus: 400},
		{name: "no such job type", path: itemPath(nb) + "/jobs/Defragment/instances", wantStatus: 400},
		{name: "no such job type, older form", path: itemPath(nb) + "/jobs/instances?jobType=Defragment", wantStatus: 400},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			a := e.do("POST", tc.path, "")
			if tc.wantStatus == 202 {
				if a.status != 202 {
					t.Fatalf("%d %s", a.status, a.body)
				}
				return
			}
			m := wantError(t, a, tc.wantStatus, "InvalidJobType")
			if !strings.Contains(m["message"].(string), "DefaultJob") {
				t.Errorf("the error does not say which job types exist: %v", m["message"])
			}
		})
	}
	if got := len(e.srv.jobs); got != 3 {
		t.Errorf("%d job instances exist, want 3: a refused job type must start nothing", got)
	}
}

var (
	runningTimeRE = regexp.MustCompile(`^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$`) // 2023-11-13T22:24:40.477Z
	doneTimeRE    = regexp.MustCompile(`^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{7}$`)  // 2023-11-13T22:25:06.1193103
)

// The seed article shows operation times as 2023-11-13T22:24:40.477Z while running and
// 2023-11-13T22:25:06.1193103 once done; lastUpdatedTimeUtc is when the state changed.
func TestOperationTimesInFabricForms(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		e := newEnv(t, Config{CreateMode: CreateAsync, OperationDuration: 100 * time.Second})
		op := "/v1/operations/" + opID(t, e.do("POST", notebooksPath(), `{"displayName":"N"}`))
		poll := func() map[string]any { return e.mustStatus("GET", op, "", http.StatusOK).json(t) }

		first := poll()
		time.Sleep(5 * time.Second)
		second := poll() // still NotStarted: nothing changed
		if first["lastUpdatedTimeUtc"] != second["lastUpdatedTimeUtc"] || second["lastUpdatedTimeUtc"] != "2000-01-01T00:00:00.000Z" {
			t.Errorf("lastUpdatedTimeUtc moved without a change: %v then %v", first["lastUpdatedTimeUtc"], second["lastUpdatedTimeUtc"])
		}
		time.Sleep(45*time.Second + 500*time.Millisecond)
		running := poll() // 50% since 00:00:50
		if running["percentComplete"] != 50.0 || running["lastUpdatedTimeUtc"] != "2000-01-01T00:00:50.000Z" {
			t.Errorf("running: %v", running)
		}
		for _, k := range []string{"createdTimeUtc", "lastUpdatedTimeUtc"} {
			if !runningTimeRE.MatchString(running[k].(string)) {
				t.Errorf("running %s %q, want the form 2023-11-13T22:24:40.477Z", k, running[k])
			}
		}
		time.Sleep(time.Minute)
		done := poll()
		for _, k := range []string{"createdTimeUtc", "lastUpdatedTimeUtc"} {
			if !doneTimeRE.MatchString(done[k].(string)) {
				t.Errorf("done %s %q, want the form 2023-11-13T22:25:06.1193103", k, done[k])
			}
		}
		if done["lastUpdatedTimeUtc"] != "2000-01-01T00:01:40.0000000" {
			t.Errorf("done lastUpdatedTimeUtc %v, want the end 00:01:40", done["lastUpdatedTimeUtc"])
		}
	})
}

// definitionParts returns a getDefinition answer's parts by path, decoded.
func definitionParts(t *testing.T, a answer) map[string]string {
	t.Helper()
	var body struct {
		Definition definition `json:"definition"`
	}
	if err := json.Unmarshal(a.body, &body); err != nil {
		t.Fatalf("definition answer: %v: %s", err, a.body)
	}
	out := map[string]string{}
	for _, p := range body.Definition.Parts {
		b, err := base64.StdEncoding.DecodeString(p.Payload)
		if err != nil {
			t.Fatalf("part %s: payload is not base64: %v", p.Path, err)
		}
		out[p.Path] = string(b)
	}
	return out
}

func b64(s string) string { return base64.StdEncoding.EncodeToString([]byte(s)) }

// definitionBody is an updateDefinition/create body with a notebook and a .platform part.
func definitionBody(notebookPath, notebook, platform string) string {
	parts := []definitionPart{{Path: notebookPath, Payload: b64(notebook), PayloadType: payloadInlineBase64}}
	if platform != "" {
		parts = append(parts, definitionPart{Path: ".platform", Payload: b64(platform), PayloadType: payloadInlineBase64})
	}
	b, _ := json.Marshal(map[string]any{"definition": definition{Parts: parts}})
	return string(b)
}

// The notebook spec: updateMetadata "When set to true and the .platform file is provided as
// part of the definition, the item's metadata is updated using the metadata in the
// .platform file"; getDefinition's format "Supported format: ipynb and fabricGitSource";
// CorruptedPayload "The provided payload is corrupted".
func TestDefinitions(t *testing.T) {
	const py = "# Fabric notebook source\n\n# CELL ********************\n\nprint(42)\n"
	platform := `{"metadata":{"type":"Notebook","displayName":"Renamed","description":"From .platform"},"config":{"version":"2.0"}}`
	for _, mode := range []CreateMode{CreateSync, CreateAsync} {
		t.Run(string(mode), func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				e := newEnv(t, Config{CreateMode: mode})
				id := e.mustItem("Notebook", "Notebook 1")
				nb := "/v1/workspaces/" + ws + "/notebooks/" + id
				// call answers like mode: at once, or through an operation on the bubble's clock.
				call := func(path, body string) answer {
					t.Helper()
					a := e.do("POST", path, body)
					if a.status != http.StatusAccepted {
						return a
					}
					op := a.header.Get("x-ms-operation-id")
					time.Sleep(DefaultOperationDuration)
					if st := e.mustStatus("GET", "/v1/operations/"+op, "", http.StatusOK); st.header.Get("Location") == "" {
						return answer{status: http.StatusOK}
					}
					return e.mustStatus("GET", "/v1/operations/"+op+"/result", "", http.StatusOK)
				}
				item := func() map[string]any { return e.mustStatus("GET", nb, "", http.StatusOK).json(t) }

				call(nb+"/updateDefinition", definitionBody(pyNotebookPart, py, platform))
				if m := item(); m["displayName"] != "Notebook 1" {
					t.Errorf("without updateMetadata the name changed: %v", m)
				}
				call(nb+"/updateDefinition?updateMetadata=true", definitionBody(pyNotebookPart, py, platform))
				if m := item(); m["displayName"] != "Renamed" || m["description"] != "From .platform" {
					t.Errorf("updateMetadata=true did not apply .platform: %v", m)
				}

				// ipynb out of a .py definition, and .py out of an ipynb one.
				parts := definitionParts(t, call(nb+"/getDefinition?format=ipynb", ""))
				var ipynb ipynbNotebook
				if err := json.Unmarshal([]byte(parts[ipynbNotebookPart]), &ipynb); err != nil || ipynb.NBFormat != 4 ||
					len(ipynb.Cells) != 1 || strings.Join(ipynb.Cells[0].Source, "") != "print(42)" {
					t.Errorf("format=ipynb: %v (%v), parts %v", ipynb, err, parts)
				}
				if _, ok := parts[pyNotebookPart]; ok {
					t.Errorf("format=ipynb still has %s", pyNotebookPart)
				}
				call(nb+"/updateDefinition", definitionBody(ipynbNotebookPart, string(pyToIpynb("\n# CELL ********************\n\nx = 1\n")), ""))
				parts = definitionParts(t, call(nb+"/getDefinition", ""))
				if !strings.Contains(parts[pyNotebookPart], pyCellMarker+"\n\nx = 1\n") {
					t.Errorf("default format of an ipynb definition: %v", parts)
				}

				// Corrupted payloads change nothing.
				before := call(nb+"/getDefinition", "").body
				for _, body := range []string{
					strings.Replace(definitionBody(pyNotebookPart, py, ""), payloadInlineBase64, "Base64", 1),
					strings.Replace(definitionBody(pyNotebookPart, py, ""), b64(py), "bm90IGJhc2U2NA..cut", 1),
				} {
					m := wantError(t, e.do("POST", nb+"/updateDefinition", body), http.StatusBadRequest, "CorruptedPayload")
					if !strings.Contains(m["message"].(string), pyNotebookPart) {
						t.Errorf("the error does not name the part: %v", m["message"])
					}
				}
				if after := call(nb+"/getDefinition", "").body; string(after) != string(before) {
					t.Errorf("a refused update changed the definition:\n%s\n%s", before, after)
				}
				wantError(t, e.do("POST", nb+"/getDefinition?format=pdf", ""), http.StatusBadRequest, "InvalidRequest")
			})
		})
	}
}

func TestCreateWithCorruptedPayloadCreatesNothing(t *testing.T) {
	e := newEnv(t, Config{CreateMode: CreateAsync})
	body := `{"displayName":"N","definition":{"parts":[{"path":"notebook-content.py","payload":"%%%","payloadType":"InlineBase64"}]}}`
	wantError(t, e.do("POST", notebooksPath(), body), http.StatusBadRequest, "CorruptedPayload")
	if m := e.mustStatus("GET", notebooksPath(), "", http.StatusOK).json(t); len(m["value"].([]any)) != 0 {
		t.Errorf("an item was created: %v", m)
	}
}

// The spec's examples: Retry-After 30 on operations, 60 on jobs; the article's operations
// take about a minute.
func TestFabricTimings(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		e := newEnv(t, FabricTimings(Config{CreateMode: CreateAsync}))
		a := e.mustStatus("POST", notebooksPath(), `{"displayName":"N"}`, http.StatusAccepted)
		if got := a.header.Get("Retry-After"); got != "30" {
			t.Errorf("operation Retry-After %q, want 30 (CreateNotebook.json)", got)
		}
		op := "/v1/operations/" + a.header.Get("x-ms-operation-id")
		time.Sleep(59 * time.Second)
		if s := e.mustStatus("GET", op, "", http.StatusOK).json(t)["status"]; s != "Running" {
			t.Errorf("at 59 s: %v", s)
		}
		time.Sleep(time.Second)
		if s := e.mustStatus("GET", op, "", http.StatusOK).json(t)["status"]; s != "Succeeded" {
			t.Errorf("at 60 s: %v", s)
		}
		if c := FabricTimings(Config{RetryAfter: 5 * time.Second}); c.RetryAfter != 5*time.Second || c.JobRetryAfter != time.Minute {
			t.Errorf("FabricTimings overrode a set field or missed a zero one: %+v", c)
		}
	})
}
