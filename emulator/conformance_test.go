package emulator

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"testing"
	"testing/synctest"
	"time"
)

// The conformance tests replay examples of Microsoft's Fabric REST API specification
// (copied, with their relative paths, under testdata/fabric-api-spec; MIT, see LICENSE.txt
// there) against the emulator: same status code, same long running operation headers
// (Location, x-ms-operation-id, Retry-After: present or absent alike, Location with the same
// path shape, Retry-After an integer), and the same body fields with the same JSON types.
// IDs, names and times differ.

// specExample is one example file.
type specExample struct {
	Parameters map[string]json.RawMessage `json:"parameters"`
	Responses  map[string]struct {
		Headers map[string]any  `json:"headers"`
		Body    json.RawMessage `json:"body"`
	} `json:"responses"`
}

func loadExample(t *testing.T, rel string) specExample {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("..", "testdata", "fabric-api-spec", filepath.FromSlash(rel)))
	if err != nil {
		t.Fatalf("read example: %v", err)
	}
	var ex specExample
	if err := json.Unmarshal(b, &ex); err != nil {
		t.Fatalf("parse example %s: %v", rel, err)
	}
	return ex
}

// requestBody is the example's body parameter (the object-valued parameter), or "", with
// its definition payloads made whole (see wholePayloads).
func (ex specExample) requestBody() string { return wholePayloads(ex.rawRequestBody()) }

// wholePayloads replaces the definition payloads the spec's examples cut short
// ("eyJuYmZvcm1hdCI6N..5ndWUi", not base64, which Fabric would refuse with CorruptedPayload)
// by the base64 of a small file of the kind the part's path names; whole payloads stay.
func wholePayloads(body string) string {
	var v any
	if body == "" || json.Unmarshal([]byte(body), &v) != nil {
		return body
	}
	py := "# Fabric notebook source\n\n# CELL ********************\n\nprint(\"from the spec example\")\n"
	var walk func(any)
	walk = func(x any) {
		switch x := x.(type) {
		case map[string]any:
			if p, ok := x["payload"].(string); ok {
				if _, err := decodePayload(p); err != nil {
					content := []byte(py)
					if path, _ := x["path"].(string); strings.HasSuffix(path, ".ipynb") {
						content = pyToIpynb(py)
					}
					x["payload"] = base64.StdEncoding.EncodeToString(content)
				}
			}
			for _, c := range x {
				walk(c)
			}
		case []any:
			for _, c := range x {
				walk(c)
			}
		}
	}
	walk(v)
	b, _ := json.Marshal(v)
	return string(b)
}

// rawRequestBody is the example's body parameter as the example writes it.
func (ex specExample) rawRequestBody() string {
	keys := make([]string, 0, len(ex.Parameters))
	for k := range ex.Parameters {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		if v := ex.Parameters[k]; len(v) > 0 && v[0] == '{' {
			return string(v)
		}
	}
	return ""
}

// notEmulated are fields of Fabric's answers the emulator does not produce: tenant
// settings, labels and tags it has no model of. They may be absent from its answers.
var notEmulated = map[string]bool{
	"sensitivityLabel": true, "tags": true, "domainId": true, "capacityAssignmentProgress": true,
	"workspaceIdentity": true, "capacityRegion": true, "oneLakeEndpoints": true, "apiEndpoint": true,
}

// optionalInSchema are fields the schema defines that an example may not show.
var optionalInSchema = map[string]bool{
	"capacityId": true, "folderId": true, "percentComplete": true, "error": true,
	"continuationToken": true, "continuationUri": true, "properties": true, "format": true,
}

func jsonKind(v any) string {
	switch v.(type) {
	case nil:
		return "null"
	case bool:
		return "boolean"
	case float64:
		return "number"
	case string:
		return "string"
	case []any:
		return "array"
	case map[string]any:
		return "object"
	}
	return fmt.Sprintf("%T", v)
}

// compareShape reports how got differs in shape from want (the example).
func compareShape(path string, want, got any) []string {
	var diffs []string
	wk, gk := jsonKind(want), jsonKind(got)
	switch {
	case wk == "null" && (gk == "null" || gk == "object"):
		return nil // e.g. failureReason: null, or an ErrorResponse once failed
	case wk != gk:
		return []string{fmt.Sprintf("%s: example has %s, emulator %s", path, wk, gk)}
	}
	switch w := want.(type) {
	case map[string]any:
		g := got.(map[string]any)
		for k, wv := range w {
			gv, ok := g[k]
			if !ok {
				if !notEmulated[k] {
					diffs = append(diffs, fmt.Sprintf("%s.%s: in the example, missing from the emulator", path, k))
				}
				continue
			}
			diffs = append(diffs, compareShape(path+"."+k, wv, gv)...)
		}
		for k := range g {
			if _, ok := w[k]; !ok && !optionalInSchema[k] {
				diffs = append(diffs, fmt.Sprintf("%s.%s: sent by the emulator, not in the example", path, k))
			}
		}
	case []any:
		g := got.([]any)
		if len(w) > 0 && len(g) == 0 {
			diffs = append(diffs, fmt.Sprintf("%s: example lists entries, emulator none", path))
		}
		if len(w) == 0 {
			return diffs
		}
		// Entries of an example may differ (some workspaces have a capacity): each emulator
		// entry must match the example entry that shares the most fields with it.
		for i, gv := range g {
			best := []string(nil)
			for _, wv := range w {
				d := compareShape(fmt.Sprintf("%s[%d]", path, i), wv, gv)
				if best == nil || len(d) < len(best) {
					best = d
				}
				if len(d) == 0 {
					break
				}
			}
			diffs = append(diffs, best...)
		}
	}
	return diffs
}

var guidRE = regexp.MustCompile(`[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}`)

// locationShape is the path and query of a Location URL with GUIDs replaced and the /v1 prefix
// dropped (the specification's operation examples omit it; real answers have it).
func locationShape(t *testing.T, loc string) string {
	t.Helper()
	u, err := url.Parse(loc)
	if err != nil || !u.IsAbs() {
		t.Errorf("Location %q is not an absolute URL", loc)
		return ""
	}
	p := strings.TrimPrefix(guidRE.ReplaceAllString(u.Path, "{id}"), "/v1")
	if u.RawQuery != "" {
		p += "?" + u.RawQuery // the list form of a job's Location: .../jobs/instances?jobType=X
	}
	return p
}

var lroHeaders = []string{"Location", "x-ms-operation-id", "Retry-After"}

// conformanceCase replays one response of one example.
type conformanceCase struct {
	example string // path under testdata/fabric-api-spec
	status  string // the example's response to replay
	cfg     Config
	// setup prepares the state and returns the request to send; body "example" sends the
	// example's body parameter.
	setup func(e *env, ex specExample) (method, path, body string)
}

// mustItem creates an item of any type through the generic route, waiting out its
// operation when it answers 202 (in a synctest bubble, time.Sleep moves the fake clock at once).
func (e *env) mustItem(itemType, name string) string {
	e.t.Helper()
	a := e.do("POST", "/v1/workspaces/"+ws+"/items", fmt.Sprintf(`{"displayName":%q,"type":%q}`, name, itemType))
	switch a.status {
	case http.StatusCreated:
		return a.json(e.t)["id"].(string)
	case http.StatusAccepted:
		op := a.header.Get("x-ms-operation-id")
		time.Sleep(e.srv.set.OperationDuration)
		res := e.do("GET", "/v1/operations/"+op+"/result", "")
		if res.status != http.StatusOK {
			e.t.Fatalf("result of creating %s: %d %s", name, res.status, res.body)
		}
		return res.json(e.t)["id"].(string)
	}
	e.t.Fatalf("create %s %q: %d %s", itemType, name, a.status, a.body)
	return ""
}

// mustJob runs a job and lets it complete.
func (e *env) mustJob(itemID, jobType string) string {
	e.t.Helper()
	a := e.do("POST", "/v1/workspaces/"+ws+"/items/"+itemID+"/jobs/"+jobType+"/instances", "")
	if a.status != http.StatusAccepted {
		e.t.Fatalf("run job: %d %s", a.status, a.body)
	}
	time.Sleep(e.srv.set.JobDuration)
	loc := a.header.Get("Location")
	return loc[strings.LastIndex(loc, "/")+1:]
}

// mustStatus sends a request that must answer status.
func (e *env) mustStatus(method, path, body string, status int) answer {
	e.t.Helper()
	a := e.do(method, path, body)
	if a.status != status {
		e.t.Fatalf("%s %s: %d %s, want %d", method, path, a.status, a.body, status)
	}
	return a
}

func (e *env) mustAsyncOperation() string {
	e.t.Helper()
	a := e.do("POST", "/v1/workspaces/"+ws+"/items", `{"displayName":"Notebook1","type":"Notebook"}`)
	return opID(e.t, a)
}

func TestConformanceWithSpecExamples(t *testing.T) {
	wsItems := "/v1/workspaces/" + ws + "/items"
	wsNotebooks := "/v1/workspaces/" + ws + "/notebooks"
	wsLakehouses := "/v1/workspaces/" + ws + "/lakehouses"
	example := func(ex specExample) string { return ex.requestBody() }
	cases := []conformanceCase{
		// Long running operations.
		{example: "platform/examples/platform/GetLongRunningOperationStateRunning.json", status: "200", cfg: Config{CreateMode: CreateAsync},
			setup: func(e *env, _ specExample) (string, string, string) {
				op := e.mustAsyncOperation()
				time.Sleep(DefaultOperationDuration / 2)
				return "GET", "/v1/operations/" + op, ""
			}},
		{example: "platform/examples/platform/GetLongRunningOperationStateCompleted.json", status: "200", cfg: Config{CreateMode: CreateAsync},
			setup: func(e *env, _ specExample) (string, string, string) {
				op := e.mustAsyncOperation()
				time.Sleep(DefaultOperationDuration)
				return "GET", "/v1/operations/" + op, ""
			}},
		{example: "platform/examples/platform/GetLongRunningOperationResult.json", status: "200", cfg: Config{CreateMode: CreateAsync},
			setup: func(e *env, _ specExample) (string, string, string) {
				op := e.mustAsyncOperation()
				time.Sleep(DefaultOperationDuration)
				return "GET", "/v1/operations/" + op + "/result", ""
			}},
		// Items, generic routes.
		{example: "platform/examples/platform/CreateItemRequiredOnly.json", status: "201", cfg: Config{CreateMode: CreateSync},
			setup: func(e *env, ex specExample) (string, string, string) { return "POST", wsItems, example(ex) }},
		{example: "platform/examples/platform/CreateItemRequiredOnly.json", status: "202", cfg: Config{CreateMode: CreateAsync},
			setup: func(e *env, ex specExample) (string, string, string) { return "POST", wsItems, example(ex) }},
		{example: "platform/examples/platform/GetItem.json", status: "200",
			setup: func(e *env, _ specExample) (string, string, string) {
				return "GET", wsItems + "/" + e.mustItem("Lakehouse", "Item 1"), ""
			}},
		{example: "platform/examples/platform/UpdateItem.json", status: "200",
			setup: func(e *env, ex specExample) (string, string, string) {
				return "PATCH", wsItems + "/" + e.mustItem("Lakehouse", "Item 1"), example(ex)
			}},
		{example: "platform/examples/platform/DeleteItem.json", status: "200",
			setup: func(e *env, _ specExample) (string, string, string) {
				return "DELETE", wsItems + "/" + e.mustItem("Lakehouse", "Item 1"), ""
			}},
		{example: "platform/examples/platform/ListItemsInWorkspace.json", status: "200",
			setup: func(e *env, _ specExample) (string, string, string) {
				e.mustItem("Lakehouse", "Lakehouse")
				e.mustItem("KQLDashboard", "Notebook")
				return "GET", wsItems, ""
			}},
		{example: "platform/examples/platform/ListItemsInWorkspaceByType.json", status: "200",
			setup: func(e *env, _ specExample) (string, string, string) {
				e.mustItem("Lakehouse", "Lakehouse Name 1")
				e.mustItem("Notebook", "Notebook 1")
				return "GET", wsItems + "?type=Lakehouse", ""
			}},
		{example: "platform/examples/platform/ListItemsInWorkspaceWithContinuation.json", status: "200", cfg: Config{PageSize: 2},
			setup: func(e *env, _ specExample) (string, string, string) {
				e.mustItem("Lakehouse", "Lakehouse")
				e.mustItem("Notebook", "Notebook")
				e.mustItem("Notebook", "Notebook 3")
				return "GET", wsItems, ""
			}},
		{example: "platform/examples/platform/GetItemDefinition.json", status: "200", cfg: Config{CreateMode: CreateSync},
			setup: func(e *env, _ specExample) (string, string, string) {
				return "POST", wsItems + "/" + e.mustItem("Report", "Report 1") + "/getDefinition", ""
			}},
		{example: "platform/examples/platform/GetItemDefinition.json", status: "200",
			setup: func(e *env, _ specExample) (string, string, string) {
				return "POST", wsItems + "/" + e.mustItem("Report", "Report 1") + "/getDefinition", "" // the 1st definition call
			}},
		{example: "platform/examples/platform/GetItemDefinition.json", status: "202",
			setup: func(e *env, _ specExample) (string, string, string) {
				path := wsItems + "/" + e.mustItem("Report", "Report 1") + "/getDefinition"
				e.mustStatus("POST", path, "", http.StatusOK) // the 1st answers 200, the 2nd 202
				return "POST", path, ""
			}},
		{example: "platform/examples/platform/UpdateItemDefinition.json", status: "200", cfg: Config{CreateMode: CreateSync},
			setup: func(e *env, ex specExample) (string, string, string) {
				return "POST", wsItems + "/" + e.mustItem("Report", "Report 1") + "/updateDefinition?updateMetadata=true", example(ex)
			}},
		{example: "platform/examples/platform/UpdateItemDefinition.json", status: "200",
			setup: func(e *env, ex specExample) (string, string, string) {
				return "POST", wsItems + "/" + e.mustItem("Report", "Report 1") + "/updateDefinition?updateMetadata=true", example(ex)
			}},
		{example: "platform/examples/platform/UpdateItemDefinition.json", status: "202",
			setup: func(e *env, ex specExample) (string, string, string) {
				path := wsItems + "/" + e.mustItem("Report", "Report 1") + "/updateDefinition?updateMetadata=true"
				e.mustStatus("POST", path, example(ex), http.StatusOK)
				return "POST", path, example(ex)
			}},
		// Workspaces.
		{example: "platform/examples/platform/ListWorkspaces.json", status: "200",
			setup: func(e *env, _ specExample) (string, string, string) { return "GET", "/v1/workspaces", "" }},
		{example: "platform/examples/platform/ListWorkspacesWithContinuation.json", status: "200", cfg: Config{PageSize: 2},
			setup: func(e *env, _ specExample) (string, string, string) {
				for _, n := range []string{"Marketing", "Finance"} {
					if a := e.do("POST", "/v1/workspaces", `{"displayName":"`+n+`"}`); a.status != http.StatusCreated {
						e.t.Fatalf("create workspace: %d %s", a.status, a.body)
					}
				}
				return "GET", "/v1/workspaces", ""
			}},
		{example: "platform/examples/platform/GetWorkspace.json", status: "200",
			setup: func(e *env, _ specExample) (string, string, string) { return "GET", "/v1/workspaces/" + ws, "" }},
		{example: "platform/examples/platform/CreateWorkspaceRequiredOnly.json", status: "201",
			setup: func(e *env, ex specExample) (string, string, string) { return "POST", "/v1/workspaces", example(ex) }},
		// Jobs.
		{example: "platform/examples/platform/RunOnDemandItemJob.json", status: "202",
			setup: func(e *env, _ specExample) (string, string, string) {
				return "POST", wsItems + "/" + e.mustItem("Notebook", "Notebook 1") + "/jobs/DefaultJob/instances", ""
			}},
		{example: "platform/examples/platform/RunOnDemandItemJob2.json", status: "202",
			setup: func(e *env, ex specExample) (string, string, string) {
				return "POST", wsItems + "/" + e.mustItem("Lakehouse", "Lakehouse 1") + "/jobs/instances?jobType=DefaultJob", example(ex)
			}},
		{example: "platform/examples/platform/RunOnDemandItemJob3.json", status: "202", cfg: Config{JobLocation: JobLocationList},
			setup: func(e *env, ex specExample) (string, string, string) {
				return "POST", wsItems + "/" + e.mustItem("Notebook", "Notebook 1") + "/jobs/Execute/instances", example(ex)
			}},
		{example: "platform/examples/platform/RunOnDemandItemJob4.json", status: "202", cfg: Config{JobLocation: JobLocationAlternate},
			setup: func(e *env, ex specExample) (string, string, string) {
				id := e.mustItem("Notebook", "Notebook 1")
				e.mustJob(id, "RunNotebook") // the 1st job's Location names its instance, the 2nd's the list
				return "POST", wsItems + "/" + id + "/jobs/Execute/instances", example(ex)
			}},
		{example: "platform/examples/platform/GetItemJobInstance.json", status: "200",
			setup: func(e *env, _ specExample) (string, string, string) {
				id := e.mustItem("Notebook", "Notebook 1")
				return "GET", wsItems + "/" + id + "/jobs/instances/" + e.mustJob(id, "DefaultJob"), ""
			}},
		{example: "platform/examples/platform/CancelItemJobInstance.json", status: "202",
			setup: func(e *env, _ specExample) (string, string, string) {
				id := e.mustItem("Notebook", "Notebook 1")
				a := e.do("POST", wsItems+"/"+id+"/jobs/DefaultJob/instances", "")
				return "POST", strings.TrimPrefix(a.header.Get("Location"), "http://fabric.test") + "/cancel", ""
			}},
		{example: "platform/examples/platform/ListItemJobInstances.json", status: "200",
			setup: func(e *env, _ specExample) (string, string, string) {
				id := e.mustItem("Notebook", "Notebook 1")
				e.mustJob(id, "DefaultJob")
				e.mustJob(id, "DefaultJob")
				return "GET", wsItems + "/" + id + "/jobs/instances", ""
			}},
		{example: "platform/examples/platform/ListItemJobInstances.json", status: "200",
			setup: func(e *env, _ specExample) (string, string, string) {
				id := e.mustItem("Notebook", "Notebook 1")
				e.mustJob(id, "DefaultJob")
				e.mustJob(id, "RunNotebook")
				e.mustJob(id, "DefaultJob")
				return "GET", wsItems + "/" + id + "/jobs/instances?jobType=DefaultJob", ""
			}},
		{example: "platform/examples/platform/ListItemJobInstancesWithContinuation.json", status: "200", cfg: Config{PageSize: 2},
			setup: func(e *env, _ specExample) (string, string, string) {
				id := e.mustItem("Notebook", "Notebook 1")
				for range 3 {
					e.mustJob(id, "DefaultJob")
				}
				return "GET", wsItems + "/" + id + "/jobs/instances", ""
			}},
		// Errors.
		{example: "platform/examples/platform/ModifyOneLakeImmutabilityPolicyError.json", status: "400", cfg: Config{CreateMode: CreateSync},
			setup: func(e *env, _ specExample) (string, string, string) {
				return "POST", wsItems, `{"displayName":"Fail me","type":"Notebook"}`
			}},
		// Notebooks.
		{example: "notebook/examples/CreateNotebook.json", status: "201", cfg: Config{CreateMode: CreateSync},
			setup: func(e *env, ex specExample) (string, string, string) { return "POST", wsNotebooks, example(ex) }},
		{example: "notebook/examples/CreateNotebook.json", status: "202", cfg: Config{CreateMode: CreateDefinition},
			setup: func(e *env, ex specExample) (string, string, string) { return "POST", wsNotebooks, example(ex) }},
		{example: "notebook/examples/CreateNotebookWithoutDefinition.json", status: "201",
			setup: func(e *env, ex specExample) (string, string, string) { return "POST", wsNotebooks, example(ex) }},
		{example: "notebook/examples/CreateNotebookWithoutDefinition.json", status: "202",
			setup: func(e *env, ex specExample) (string, string, string) {
				e.mustItem("Notebook", "Seed's first notebook") // the 2nd create answers 202
				return "POST", wsNotebooks, example(ex)
			}},
		{example: "notebook/examples/GetNotebook.json", status: "200",
			setup: func(e *env, _ specExample) (string, string, string) {
				return "GET", wsNotebooks + "/" + e.mustItem("Notebook", "Notebook 1"), ""
			}},
		{example: "notebook/examples/ListNotebooksInWorkspace.json", status: "200",
			setup: func(e *env, _ specExample) (string, string, string) {
				e.mustItem("Notebook", "Notebook Name 1")
				e.mustItem("Lakehouse", "Not a notebook")
				return "GET", wsNotebooks, ""
			}},
		{example: "notebook/examples/UpdateNotebook.json", status: "200",
			setup: func(e *env, ex specExample) (string, string, string) {
				return "PATCH", wsNotebooks + "/" + e.mustItem("Notebook", "Notebook 1"), example(ex)
			}},
		{example: "notebook/examples/DeleteNotebook.json", status: "200",
			setup: func(e *env, _ specExample) (string, string, string) {
				return "DELETE", wsNotebooks + "/" + e.mustItem("Notebook", "Notebook 1"), ""
			}},
		{example: "notebook/examples/GetNotebookDefinition.json", status: "200", cfg: Config{CreateMode: CreateSync},
			setup: func(e *env, _ specExample) (string, string, string) {
				return "POST", wsNotebooks + "/" + e.mustItem("Notebook", "Notebook 1") + "/getDefinition", ""
			}},
		{example: "notebook/examples/GetNotebookDefinition.json", status: "202", cfg: Config{CreateMode: CreateAsync},
			setup: func(e *env, _ specExample) (string, string, string) {
				return "POST", wsNotebooks + "/" + e.mustItem("Notebook", "Notebook 1") + "/getDefinition", ""
			}},
		{example: "notebook/examples/GetNotebookDefinitionWithIpynb.json", status: "200",
			setup: func(e *env, _ specExample) (string, string, string) {
				return "POST", wsNotebooks + "/" + e.mustItem("Notebook", "Notebook 1") + "/getDefinition?format=ipynb", ""
			}},
		{example: "notebook/examples/GetNotebookDefinitionWithIpynb.json", status: "202", cfg: Config{CreateMode: CreateAsync},
			setup: func(e *env, _ specExample) (string, string, string) {
				return "POST", wsNotebooks + "/" + e.mustItem("Notebook", "Notebook 1") + "/getDefinition?format=ipynb", ""
			}},
		{example: "notebook/examples/UpdateNotebookDefinitionWithIpynb.json", status: "200",
			setup: func(e *env, ex specExample) (string, string, string) {
				return "POST", wsNotebooks + "/" + e.mustItem("Notebook", "Notebook 1") + "/updateDefinition?updateMetadata=true", example(ex)
			}},
		{example: "notebook/examples/UpdateNotebookDefinitionWithIpynb.json", status: "202", cfg: Config{CreateMode: CreateAsync},
			setup: func(e *env, ex specExample) (string, string, string) {
				return "POST", wsNotebooks + "/" + e.mustItem("Notebook", "Notebook 1") + "/updateDefinition?updateMetadata=true", example(ex)
			}},
		{example: "notebook/examples/CreateNotebookWithIpynb.json", status: "201", cfg: Config{CreateMode: CreateSync},
			setup: func(e *env, ex specExample) (string, string, string) { return "POST", wsNotebooks, example(ex) }},
		{example: "notebook/examples/CreateNotebookWithIpynb.json", status: "202", cfg: Config{CreateMode: CreateDefinition},
			setup: func(e *env, ex specExample) (string, string, string) { return "POST", wsNotebooks, example(ex) }},
		{example: "notebook/examples/UpdateNotebookDefinition.json", status: "200", cfg: Config{CreateMode: CreateSync},
			setup: func(e *env, ex specExample) (string, string, string) {
				return "POST", wsNotebooks + "/" + e.mustItem("Notebook", "Notebook 1") + "/updateDefinition", example(ex)
			}},
		{example: "notebook/examples/UpdateNotebookDefinition.json", status: "200",
			setup: func(e *env, ex specExample) (string, string, string) {
				return "POST", wsNotebooks + "/" + e.mustItem("Notebook", "Notebook 1") + "/updateDefinition", example(ex)
			}},
		{example: "notebook/examples/UpdateNotebookDefinition.json", status: "202", cfg: Config{CreateMode: CreateAsync},
			setup: func(e *env, ex specExample) (string, string, string) {
				return "POST", wsNotebooks + "/" + e.mustItem("Notebook", "Notebook 1") + "/updateDefinition", example(ex)
			}},
		{example: "notebook/examples/RunNotebookWithNoRequestBody.json", status: "202",
			setup: func(e *env, _ specExample) (string, string, string) {
				return "POST", wsNotebooks + "/" + e.mustItem("Notebook", "Notebook 1") + "/jobs/execute/instances?beta=false", ""
			}},
		// Lakehouses.
		{example: "lakehouse/examples/CreateLakehouse.json", status: "201",
			setup: func(e *env, ex specExample) (string, string, string) { return "POST", wsLakehouses, example(ex) }},
		{example: "lakehouse/examples/CreateLakehouse.json", status: "202", cfg: Config{CreateMode: CreateAsync},
			setup: func(e *env, ex specExample) (string, string, string) { return "POST", wsLakehouses, example(ex) }},
		{example: "lakehouse/examples/GetLakehouse.json", status: "200",
			setup: func(e *env, _ specExample) (string, string, string) {
				return "GET", wsLakehouses + "/" + e.mustItem("Lakehouse", "Lakehouse_1"), ""
			}},
		{example: "lakehouse/examples/ListLakehousesInWorkspace.json", status: "200",
			setup: func(e *env, _ specExample) (string, string, string) {
				e.mustItem("Lakehouse", "Lakehouse_1")
				e.mustItem("Lakehouse", "Lakehouse_2")
				return "GET", wsLakehouses, ""
			}},
		{example: "lakehouse/examples/UpdateLakehouse.json", status: "200",
			setup: func(e *env, ex specExample) (string, string, string) {
				return "PATCH", wsLakehouses + "/" + e.mustItem("Lakehouse", "Lakehouse_1"), example(ex)
			}},
		{example: "lakehouse/examples/DeleteLakehouse.json", status: "200",
			setup: func(e *env, _ specExample) (string, string, string) {
				return "DELETE", wsLakehouses + "/" + e.mustItem("Lakehouse", "Lakehouse_1"), ""
			}},
		{example: "lakehouse/examples/GetLakehouseDefinition.json", status: "200", cfg: Config{CreateMode: CreateSync},
			setup: func(e *env, _ specExample) (string, string, string) {
				id := e.mustItem("Lakehouse", "Lakehouse_1")
				// Store a definition shaped like the example's, then read it back.
				ex := loadExample(e.t, "lakehouse/examples/UpdateLakehouseDefinition.json")
				if a := e.do("POST", wsLakehouses+"/"+id+"/updateDefinition", ex.requestBody()); a.status != http.StatusOK {
					e.t.Fatalf("updateDefinition: %d %s", a.status, a.body)
				}
				return "POST", wsLakehouses + "/" + id + "/getDefinition", ""
			}},
		{example: "lakehouse/examples/UpdateLakehouseDefinition.json", status: "200",
			setup: func(e *env, ex specExample) (string, string, string) {
				return "POST", wsLakehouses + "/" + e.mustItem("Lakehouse", "Lakehouse_1") + "/updateDefinition?updateMetadata=true", example(ex)
			}},
		{example: "lakehouse/examples/UpdateLakehouseDefinition.json", status: "202", cfg: Config{CreateMode: CreateAsync},
			setup: func(e *env, ex specExample) (string, string, string) {
				return "POST", wsLakehouses + "/" + e.mustItem("Lakehouse", "Lakehouse_1") + "/updateDefinition?updateMetadata=true", example(ex)
			}},
		{example: "lakehouse/examples/RunOnDemandTableMaintenance1.json", status: "202",
			setup: func(e *env, ex specExample) (string, string, string) {
				return "POST", wsLakehouses + "/" + e.mustItem("Lakehouse", "Lakehouse_1") + "/jobs/tableMaintenance/instances", example(ex)
			}},
	}
	for _, tc := range cases {
		name := strings.TrimSuffix(filepath.Base(tc.example), ".json") + "/" + tc.status
		t.Run(name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				ex := loadExample(t, tc.example)
				want, ok := ex.Responses[tc.status]
				if !ok {
					t.Fatalf("example has no %s response", tc.status)
				}
				e := newEnv(t, tc.cfg)
				method, path, body := tc.setup(e, ex)
				got := e.do(method, path, body)

				if strconv.Itoa(got.status) != tc.status {
					t.Fatalf("status = %d, example %s; body %s", got.status, tc.status, got.body)
				}
				for _, h := range lroHeaders {
					wv, inExample := want.Headers[h]
					gv := got.header.Get(h)
					switch {
					case inExample && gv == "":
						t.Errorf("header %s: in the example, missing from the emulator", h)
					case !inExample && gv != "":
						t.Errorf("header %s: sent by the emulator (%q), not in the example", h, gv)
					case inExample && h == "Retry-After":
						if _, err := strconv.Atoi(gv); err != nil {
							t.Errorf("Retry-After = %q, want whole seconds", gv)
						}
					case inExample && h == "Location":
						if w, g := locationShape(t, fmt.Sprint(wv)), locationShape(t, gv); w != g {
							t.Errorf("Location path %s, example %s", g, w)
						}
					}
				}
				wantEmpty := len(want.Body) == 0 || string(want.Body) == "null"
				if wantEmpty {
					if len(got.body) != 0 {
						t.Errorf("body = %s, example has none", got.body)
					}
					return
				}
				var wb, gb any
				if err := json.Unmarshal(want.Body, &wb); err != nil {
					t.Fatalf("example body: %v", err)
				}
				if err := json.Unmarshal(got.body, &gb); err != nil {
					t.Fatalf("emulator body is not JSON: %v: %s", err, got.body)
				}
				if diffs := compareShape("body", wb, gb); len(diffs) > 0 {
					slices.Sort(diffs)
					t.Errorf("body shape differs from the example:\n  %s\nemulator body: %s", strings.Join(diffs, "\n  "), got.body)
				}
			})
		})
	}
}
