package emulator

import (
	"net/http"
	"testing"
	"time"
)

func TestCreateNotebookAlternatesAndOperationSucceeds(t *testing.T) {
	e := newEnv(t, Config{})
	first := e.do("POST", notebooksPath(), `{"displayName":"Notebook1"}`)
	if first.status != http.StatusCreated {
		t.Fatalf("first create: %d %s", first.status, first.body)
	}
	second := e.do("POST", notebooksPath(), `{"displayName":"Notebook2"}`)
	id := opID(t, second)

	st := e.do("GET", "/v1/operations/"+id, "").json(t)
	if st["status"] != "NotStarted" {
		t.Fatalf("status at start = %v", st["status"])
	}
	e.clock.Advance(DefaultOperationDuration)
	done := e.do("GET", "/v1/operations/"+id, "")
	if got := done.json(t)["status"]; got != "Succeeded" {
		t.Fatalf("status after the duration = %v", got)
	}
	if loc := done.header.Get("Location"); loc != "http://fabric.test/v1/operations/"+id+"/result" {
		t.Errorf("Location = %q", loc)
	}
	res := e.do("GET", "/v1/operations/"+id+"/result", "").json(t)
	if res["displayName"] != "Notebook2" || res["type"] != "Notebook" {
		t.Errorf("result = %v", res)
	}
}

func TestMissingTokenIs401(t *testing.T) {
	e := newEnv(t, Config{})
	wantError(t, e.doToken("", "GET", "/v1/workspaces", ""), http.StatusUnauthorized, "TokenNotProvided")
	_ = time.Second
}
