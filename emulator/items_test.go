package emulator

import (
	"encoding/base64"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"testing/synctest"
	"time"
)

func TestCreateModes(t *testing.T) {
	def := `,"definition":{"parts":[{"path":"notebook-content.py","payload":"IyBoZWxsbw==","payloadType":"InlineBase64"}]}`
	cases := []struct {
		name  string
		mode  CreateMode
		defs  []bool // whether each create sends a definition
		wants []int
	}{
		{name: "default alternates like the seed's two notebooks", mode: "", defs: []bool{false, false, false, false}, wants: []int{201, 202, 201, 202}},
		{name: "alternate", mode: CreateAlternate, defs: []bool{true, false, true}, wants: []int{201, 202, 201}},
		{name: "sync", mode: CreateSync, defs: []bool{false, true, false}, wants: []int{201, 201, 201}},
		{name: "async", mode: CreateAsync, defs: []bool{false, true, false}, wants: []int{202, 202, 202}},
		{name: "definition", mode: CreateDefinition, defs: []bool{false, true, false, true}, wants: []int{201, 202, 201, 202}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			e := newEnv(t, Config{CreateMode: tc.mode})
			for i, withDef := range tc.defs {
				body := fmt.Sprintf(`{"displayName":"Notebook%d"`, i+1)
				if withDef {
					body += def
				}
				a := e.do("POST", notebooksPath(), body+"}")
				if a.status != tc.wants[i] {
					t.Fatalf("create #%d: status %d, want %d: %s", i+1, a.status, tc.wants[i], a.body)
				}
				if a.status == http.StatusAccepted {
					opID(t, a)
					if len(a.body) != 0 {
						t.Errorf("202 with a body: %s", a.body)
					}
				} else if got := a.json(t); got["displayName"] != fmt.Sprintf("Notebook%d", i+1) || got["type"] != "Notebook" || got["workspaceId"] != ws {
					t.Errorf("201 body = %v", got)
				}
			}
		})
	}
}

func listNames(t *testing.T, e *env, path string) []string {
	t.Helper()
	a := e.do("GET", path, "")
	if a.status != http.StatusOK {
		t.Fatalf("list %s: %d %s", path, a.status, a.body)
	}
	var names []string
	for _, v := range a.json(t)["value"].([]any) {
		names = append(names, v.(map[string]any)["displayName"].(string))
	}
	return names
}

func TestItemExistsOnlyOnceItsOperationSucceeded(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		e := newEnv(t, Config{CreateMode: CreateAsync})
		op := opID(t, e.do("POST", notebooksPath(), `{"displayName":"Later"}`))
		time.Sleep(DefaultOperationDuration - 1)
		if names := listNames(t, e, notebooksPath()); len(names) != 0 {
			t.Fatalf("item listed while its operation runs: %v", names)
		}
		// Its name is not taken yet either.
		opID(t, e.do("POST", notebooksPath(), `{"displayName":"Later"}`))
		time.Sleep(1)
		if names := listNames(t, e, notebooksPath()); strings.Join(names, ",") != "Later" {
			t.Fatalf("after the operation: %v", names)
		}
		st := e.do("GET", "/v1/operations/"+op, "").json(t)
		if st["status"] != "Succeeded" {
			t.Errorf("first operation %v", st["status"])
		}
	})
}

func TestDuplicateDisplayName(t *testing.T) {
	e := newEnv(t, Config{CreateMode: CreateSync})
	first := e.do("POST", notebooksPath(), `{"displayName":"Sales"}`).json(t)
	cases := []struct {
		name, method, path, body string
		wantStatus               int
		wantCode                 string
	}{
		{name: "same name", method: "POST", path: notebooksPath(), body: `{"displayName":"Sales"}`, wantStatus: 409, wantCode: "ItemDisplayNameAlreadyInUse"},
		{name: "other case", method: "POST", path: notebooksPath(), body: `{"displayName":"SALES"}`, wantStatus: 409, wantCode: "ItemDisplayNameAlreadyInUse"},
		{name: "generic route", method: "POST", path: "/v1/workspaces/" + ws + "/items", body: `{"displayName":"Sales","type":"Notebook"}`, wantStatus: 409, wantCode: "ItemDisplayNameAlreadyInUse"},
		{name: "other type may share it", method: "POST", path: "/v1/workspaces/" + ws + "/lakehouses", body: `{"displayName":"Sales"}`, wantStatus: 201},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			a := e.do(tc.method, tc.path, tc.body)
			if tc.wantCode == "" {
				if a.status != tc.wantStatus {
					t.Fatalf("status %d, want %d: %s", a.status, tc.wantStatus, a.body)
				}
				return
			}
			m := wantError(t, a, tc.wantStatus, tc.wantCode)
			if rr, _ := m["relatedResource"].(map[string]any); rr["resourceId"] != first["id"] {
				t.Errorf("relatedResource = %v, want the existing item %v", m["relatedResource"], first["id"])
			}
		})
	}
	t.Run("rename onto a taken name", func(t *testing.T) {
		other := e.do("POST", notebooksPath(), `{"displayName":"Other"}`).json(t)
		wantError(t, e.do("PATCH", notebooksPath()+"/"+other["id"].(string), `{"displayName":"sales"}`), 409, "ItemDisplayNameAlreadyInUse")
	})
	t.Run("name taken while the operation ran", func(t *testing.T) {
		synctest.Test(t, func(t *testing.T) {
			e := newEnv(t, Config{CreateMode: CreateAsync})
			op := opID(t, e.do("POST", notebooksPath(), `{"displayName":"Race"}`))
			e.srv.mu.Lock()
			e.srv.set.CreateMode = CreateSync
			e.srv.mu.Unlock()
			if a := e.do("POST", notebooksPath(), `{"displayName":"Race"}`); a.status != http.StatusCreated {
				t.Fatalf("sync create: %d %s", a.status, a.body)
			}
			time.Sleep(DefaultOperationDuration)
			st := e.do("GET", "/v1/operations/"+op, "").json(t)
			errBody, _ := st["error"].(map[string]any)
			if st["status"] != "Failed" || errBody["errorCode"] != "ItemDisplayNameAlreadyInUse" {
				t.Errorf("operation = %v", st)
			}
		})
	})
}

func TestFailPatternFailsTheCreateOperation(t *testing.T) {
	cases := []struct {
		name, pattern, displayName string
		wantFail                   bool
	}{
		{name: "default pattern", displayName: "Please FAIL me", wantFail: true},
		{name: "default pattern, clean name", displayName: "Notebook 2", wantFail: false},
		{name: "custom pattern", pattern: "^boom", displayName: "boom notebook", wantFail: true},
		{name: "custom pattern spares fail", pattern: "^boom", displayName: "fail", wantFail: false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				e := newEnv(t, Config{FailPattern: tc.pattern, CreateMode: CreateAsync})
				a := e.do("POST", notebooksPath(), fmt.Sprintf(`{"displayName":%q}`, tc.displayName))
				op := opID(t, a)
				createRequestID := a.header.Get("requestId")
				time.Sleep(DefaultOperationDuration)
				st := e.do("GET", "/v1/operations/"+op, "")
				m := st.json(t)
				if !tc.wantFail {
					if m["status"] != "Succeeded" {
						t.Fatalf("status %v, want Succeeded", m["status"])
					}
					return
				}
				if m["status"] != "Failed" {
					t.Fatalf("status %v, want Failed", m["status"])
				}
				if st.header.Get("Location") != "" || st.header.Get("Retry-After") != "" {
					t.Errorf("failed state has Location %q / Retry-After %q", st.header.Get("Location"), st.header.Get("Retry-After"))
				}
				errBody, _ := m["error"].(map[string]any)
				for _, f := range []string{"errorCode", "message", "requestId", "moreDetails", "relatedResource"} {
					if errBody[f] == nil {
						t.Errorf("error.%s missing: %v", f, errBody)
					}
				}
				if errBody["requestId"] != createRequestID {
					t.Errorf("error.requestId = %v, want the create request's %s", errBody["requestId"], createRequestID)
				}
				details, _ := errBody["moreDetails"].([]any)
				if len(details) == 0 || details[0].(map[string]any)["relatedResource"] == nil {
					t.Errorf("moreDetails = %v", errBody["moreDetails"])
				}
				if names := listNames(t, e, notebooksPath()); len(names) != 0 {
					t.Errorf("failed item listed: %v", names)
				}
				wantError(t, e.do("GET", "/v1/operations/"+op+"/result", ""), 400, "OperationFailed")
			})
		})
	}
	t.Run("alternate mode sends failing names to an operation", func(t *testing.T) {
		e := newEnv(t, Config{})
		opID(t, e.do("POST", notebooksPath(), `{"displayName":"fail first"}`))
	})
	t.Run("sync mode answers the error at once", func(t *testing.T) {
		e := newEnv(t, Config{CreateMode: CreateSync})
		m := wantError(t, e.do("POST", notebooksPath(), `{"displayName":"fail now"}`), 400, "ItemCreationFailed")
		if m["moreDetails"] == nil || m["relatedResource"] == nil {
			t.Errorf("error lacks moreDetails/relatedResource: %v", m)
		}
	})
}

func TestItemRequests(t *testing.T) {
	e := newEnv(t, Config{CreateMode: CreateSync})
	nb := e.do("POST", notebooksPath(), `{"displayName":"NB","description":"d"}`).json(t)["id"].(string)
	lh := e.do("POST", "/v1/workspaces/"+ws+"/lakehouses", `{"displayName":"LH"}`).json(t)["id"].(string)
	items := "/v1/workspaces/" + ws + "/items"
	cases := []struct {
		name, method, path, body string
		wantStatus               int
		wantCode                 string
		check                    func(t *testing.T, m map[string]any)
	}{
		{name: "get generic", method: "GET", path: items + "/" + nb, wantStatus: 200,
			check: func(t *testing.T, m map[string]any) {
				if m["displayName"] != "NB" || m["description"] != "d" || m["properties"] != nil {
					t.Errorf("got %v", m)
				}
			}},
		{name: "get typed lakehouse has properties", method: "GET", path: "/v1/workspaces/" + ws + "/lakehouses/" + lh, wantStatus: 200,
			check: func(t *testing.T, m map[string]any) {
				p, _ := m["properties"].(map[string]any)
				if !strings.HasSuffix(fmt.Sprint(p["oneLakeTablesPath"]), "/Tables") {
					t.Errorf("properties = %v", m["properties"])
				}
			}},
		{name: "notebook route does not see lakehouses", method: "GET", path: notebooksPath() + "/" + lh, wantStatus: 404, wantCode: "ItemNotFound"},
		{name: "unknown item", method: "GET", path: items + "/00000000-0000-4000-8000-000000000001", wantStatus: 404, wantCode: "ItemNotFound"},
		{name: "unknown workspace", method: "GET", path: "/v1/workspaces/00000000-0000-4000-8000-000000000001/items", wantStatus: 404, wantCode: "WorkspaceNotFound"},
		{name: "create in unknown workspace", method: "POST", path: "/v1/workspaces/00000000-0000-4000-8000-000000000001/notebooks", body: `{"displayName":"x"}`, wantStatus: 404, wantCode: "WorkspaceNotFound"},
		{name: "create without body", method: "POST", path: notebooksPath(), wantStatus: 400, wantCode: "InvalidInput"},
		{name: "create with broken JSON", method: "POST", path: notebooksPath(), body: `{"displayName":`, wantStatus: 400, wantCode: "InvalidInput"},
		{name: "create without name", method: "POST", path: notebooksPath(), body: `{"description":"x"}`, wantStatus: 400, wantCode: "InvalidInput"},
		{name: "generic create without type", method: "POST", path: items, body: `{"displayName":"x"}`, wantStatus: 400, wantCode: "InvalidItemType"},
		{name: "generic create with unknown type", method: "POST", path: items, body: `{"displayName":"x","type":"Spreadsheet"}`, wantStatus: 400, wantCode: "InvalidItemType"},
		{name: "typed create with other type", method: "POST", path: notebooksPath(), body: `{"displayName":"x","type":"Lakehouse"}`, wantStatus: 400, wantCode: "InvalidItemType"},
		{name: "definition without parts", method: "POST", path: notebooksPath(), body: `{"displayName":"x","definition":{"parts":[]}}`, wantStatus: 400, wantCode: "InvalidDefinition"},
		{name: "update", method: "PATCH", path: notebooksPath() + "/" + nb, body: `{"description":"new"}`, wantStatus: 200,
			check: func(t *testing.T, m map[string]any) {
				if m["displayName"] != "NB" || m["description"] != "new" {
					t.Errorf("got %v", m)
				}
			}},
		{name: "update with empty name", method: "PATCH", path: notebooksPath() + "/" + nb, body: `{"displayName":""}`, wantStatus: 400, wantCode: "InvalidRequest"},
		{name: "updateDefinition without definition", method: "POST", path: items + "/" + nb + "/updateDefinition", body: `{}`, wantStatus: 400, wantCode: "InvalidDefinition"},
		{name: "getDefinition of unknown item", method: "POST", path: items + "/00000000-0000-4000-8000-000000000001/getDefinition", wantStatus: 404, wantCode: "ItemNotFound"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			a := e.do(tc.method, tc.path, tc.body)
			if tc.wantCode != "" {
				wantError(t, a, tc.wantStatus, tc.wantCode)
				return
			}
			if a.status != tc.wantStatus {
				t.Fatalf("status %d, want %d: %s", a.status, tc.wantStatus, a.body)
			}
			if tc.check != nil {
				tc.check(t, a.json(t))
			}
		})
	}
	t.Run("delete", func(t *testing.T) {
		a := e.do("DELETE", notebooksPath()+"/"+nb, "")
		if a.status != 200 || len(a.body) != 0 {
			t.Fatalf("delete: %d %s", a.status, a.body)
		}
		wantError(t, e.do("GET", items+"/"+nb, ""), 404, "ItemNotFound")
		wantError(t, e.do("DELETE", items+"/"+nb, ""), 404, "ItemNotFound")
	})
}

func TestDefinitionRoundTrip(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		e := newEnv(t, Config{CreateMode: CreateAsync})
		id := e.mustItem("Notebook", "NB")
		path := notebooksPath() + "/" + id

		// getDefinition of an item created without one: a generated notebook definition.
		op := opID(t, e.do("POST", path+"/getDefinition", ""))
		time.Sleep(DefaultOperationDuration)
		res := e.do("GET", "/v1/operations/"+op+"/result", "")
		if !strings.Contains(string(res.body), `"path":"notebook-content.py"`) || !strings.Contains(string(res.body), `"path":".platform"`) {
			t.Fatalf("default definition: %d %s", res.status, res.body)
		}

		payload := base64.StdEncoding.EncodeToString([]byte("print('v2')"))
		upd := e.do("POST", path+"/updateDefinition", `{"definition":{"parts":[{"path":"notebook-content.py","payload":"`+payload+`","payloadType":"InlineBase64"}]}}`)
		op = opID(t, upd)
		time.Sleep(DefaultOperationDuration - 1)
		st := e.do("GET", "/v1/operations/"+op, "")
		if st.json(t)["status"] != "Running" || st.header.Get("Location") == "" || st.header.Get("Retry-After") == "" {
			t.Fatalf("running updateDefinition: %s %v", st.body, st.header)
		}
		time.Sleep(1)
		st = e.do("GET", "/v1/operations/"+op, "")
		if st.json(t)["status"] != "Succeeded" {
			t.Fatalf("updateDefinition: %s", st.body)
		}
		if st.header.Get("Location") != "" || st.header.Get("Retry-After") != "" || st.header.Get("x-ms-operation-id") != op {
			t.Errorf("succeeded without result: Location %q, Retry-After %q, x-ms-operation-id %q; want none, none, %s",
				st.header.Get("Location"), st.header.Get("Retry-After"), st.header.Get("x-ms-operation-id"), op)
		}
		wantError(t, e.do("GET", "/v1/operations/"+op+"/result", ""), 400, "OperationHasNoResult")

		op = opID(t, e.do("POST", path+"/getDefinition", ""))
		time.Sleep(DefaultOperationDuration)
		res = e.do("GET", "/v1/operations/"+op+"/result", "")
		if !strings.Contains(string(res.body), payload) {
			t.Errorf("getDefinition after update: %s", res.body)
		}
	})
}

func TestPagination(t *testing.T) {
	e := newEnv(t, Config{PageSize: 2, CreateMode: CreateSync})
	for i := range 5 {
		e.mustItem("Notebook", fmt.Sprintf("N%d", i))
	}
	e.mustItem("Lakehouse", "L0")
	cases := []struct {
		name, path string
		want       []string
	}{
		{name: "items", path: "/v1/workspaces/" + ws + "/items", want: []string{"N0", "N1", "N2", "N3", "N4", "L0"}},
		{name: "items by type", path: "/v1/workspaces/" + ws + "/items?type=Notebook", want: []string{"N0", "N1", "N2", "N3", "N4"}},
		{name: "notebooks", path: notebooksPath(), want: []string{"N0", "N1", "N2", "N3", "N4"}},
		{name: "lakehouses", path: "/v1/workspaces/" + ws + "/lakehouses", want: []string{"L0"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			var got []string
			next := tc.path
			pages := 0
			for next != "" {
				pages++
				a := e.do("GET", next, "")
				if a.status != 200 {
					t.Fatalf("page %d: %d %s", pages, a.status, a.body)
				}
				m := a.json(t)
				for _, v := range m["value"].([]any) {
					got = append(got, v.(map[string]any)["displayName"].(string))
				}
				tok, hasTok := m["continuationToken"].(string)
				uri, hasURI := m["continuationUri"].(string)
				if hasTok != hasURI {
					t.Fatalf("continuationToken and continuationUri should come together: %s", a.body)
				}
				next = ""
				if hasURI {
					if !strings.HasSuffix(tok, "%3D") {
						t.Errorf("token %q should come URL-encoded, as Fabric's does", tok)
					}
					if !strings.HasSuffix(uri, "continuationToken="+tok) {
						t.Errorf("continuationUri %q does not end with the token %q", uri, tok)
					}
					u, err := url.Parse(uri)
					if err != nil || u.Host != "fabric.test" {
						t.Fatalf("continuationUri %q", uri)
					}
					next = u.RequestURI()
				}
			}
			if strings.Join(got, ",") != strings.Join(tc.want, ",") {
				t.Errorf("listed %v, want %v", got, tc.want)
			}
			if want := (len(tc.want) + 1) / 2; pages != max(want, 1) {
				t.Errorf("%d pages, want %d", pages, want)
			}
		})
	}
	t.Run("token passed as given, via the query", func(t *testing.T) {
		m := e.do("GET", notebooksPath(), "").json(t)
		tok := m["continuationToken"].(string)
		if got := listNames(t, e, notebooksPath()+"?continuationToken="+tok); strings.Join(got, ",") != "N2,N3" {
			t.Errorf("second page %v", got)
		}
	})
	t.Run("token encoded twice is refused", func(t *testing.T) {
		m := e.do("GET", notebooksPath(), "").json(t)
		tok := m["continuationToken"].(string)
		wantError(t, e.do("GET", notebooksPath()+"?continuationToken="+url.QueryEscape(tok), ""), 400, "InvalidContinuationToken")
	})
	t.Run("workspaces", func(t *testing.T) {
		for _, n := range []string{"W1", "W2"} {
			if a := e.do("POST", "/v1/workspaces", `{"displayName":"`+n+`"}`); a.status != 201 {
				t.Fatalf("create workspace: %d %s", a.status, a.body)
			}
		}
		wantError(t, e.do("POST", "/v1/workspaces", `{"displayName":"w1"}`), 409, "WorkspaceNameAlreadyExists")
		m := e.do("GET", "/v1/workspaces", "").json(t)
		if len(m["value"].([]any)) != 2 || m["continuationUri"] == nil {
			t.Fatalf("first page %v", m)
		}
		u, _ := url.Parse(m["continuationUri"].(string))
		m = e.do("GET", u.RequestURI(), "").json(t)
		if len(m["value"].([]any)) != 1 || m["continuationUri"] != nil || m["continuationToken"] != nil {
			t.Errorf("last page %v", m)
		}
	})
}
