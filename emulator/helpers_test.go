package emulator

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

// env is a Server called in-process. A test that moves time builds it inside a synctest
// bubble: the server reads the bubble's clock, and time.Sleep there moves that clock at once.
type env struct {
	t   *testing.T
	srv *Server
}

func newEnv(t *testing.T, cfg Config) *env {
	t.Helper()
	return &env{t: t, srv: New(cfg)}
}

// answer is a decoded response.
type answer struct {
	status int
	header http.Header
	body   []byte
}

func (a answer) json(t *testing.T) map[string]any {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal(a.body, &m); err != nil {
		t.Fatalf("body is not a JSON object: %v: %q", err, a.body)
	}
	return m
}

// do sends a request with the dev token (token "" sends none).
func (e *env) do(method, path, body string) answer {
	return e.doToken("dev-token", method, path, body)
}

func (e *env) doToken(token, method, path, body string) answer {
	e.t.Helper()
	req := newRequest(method, path, body)
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	return e.send(req)
}

// newRequest builds a request to http://fabric.test.
func newRequest(method, path, body string) *http.Request {
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	req := httptest.NewRequest(method, "http://fabric.test"+path, rd)
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	return req
}

// send serves req in-process.
func (e *env) send(req *http.Request) answer {
	rec := httptest.NewRecorder()
	e.srv.ServeHTTP(rec, req)
	res := rec.Result()
	b, _ := io.ReadAll(res.Body)
	return answer{status: res.StatusCode, header: res.Header, body: b}
}

// wantError checks an ErrorResponse answer: status, code in body and header, request ID.
func wantError(t *testing.T, a answer, status int, code string) map[string]any {
	t.Helper()
	if a.status != status {
		t.Fatalf("status = %d, want %d; body %s", a.status, status, a.body)
	}
	m := a.json(t)
	if m["errorCode"] != code {
		t.Errorf("errorCode = %v, want %s; body %s", m["errorCode"], code, a.body)
	}
	if msg, _ := m["message"].(string); msg == "" {
		t.Errorf("message is empty: %s", a.body)
	}
	if got := a.header.Get("x-ms-public-api-error-code"); got != code {
		t.Errorf("x-ms-public-api-error-code = %q, want %q", got, code)
	}
	rid := a.header.Get("requestId")
	if rid == "" || m["requestId"] != rid {
		t.Errorf("requestId header %q and body %v should be equal and set", rid, m["requestId"])
	}
	return m
}

const ws = DefaultWorkspaceID

func notebooksPath() string { return "/v1/workspaces/" + ws + "/notebooks" }

// opID returns the operation ID a 202 names, checking the 202's headers.
func opID(t *testing.T, a answer) string {
	t.Helper()
	if a.status != http.StatusAccepted {
		t.Fatalf("status = %d, want 202; body %s", a.status, a.body)
	}
	id := a.header.Get("x-ms-operation-id")
	if id == "" {
		t.Fatalf("202 without x-ms-operation-id")
	}
	if want := "http://fabric.test/v1/operations/" + id; a.header.Get("Location") != want {
		t.Errorf("Location = %q, want %q", a.header.Get("Location"), want)
	}
	if a.header.Get("Retry-After") == "" {
		t.Errorf("202 without Retry-After")
	}
	return id
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
