package emulator_test

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"time"

	"github.com/fabric-lro/fabric-lro/emulator"
)

// Create a notebook that answers 202, poll its operation as Retry-After says until it
// succeeds, and fetch the result. The operation takes a second here (Config.OperationDuration),
// so the example waits about a second.
func Example() {
	srv := httptest.NewServer(emulator.New(emulator.Config{
		CreateMode:        emulator.CreateAsync,
		RetryAfter:        time.Second,
		OperationDuration: time.Second,
	}))
	defer srv.Close()

	call := func(method, path, body string) (*http.Response, string) {
		req, _ := http.NewRequest(method, srv.URL+path, strings.NewReader(body))
		req.Header.Set("Authorization", "Bearer dev-token")
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			panic(err)
		}
		defer res.Body.Close()
		b, _ := io.ReadAll(res.Body)
		return res, string(b)
	}

	res, _ := call("POST", "/v1/workspaces/"+emulator.DefaultWorkspaceID+"/notebooks", `{"displayName":"Notebook 2"}`)
	op := res.Header.Get("x-ms-operation-id")
	fmt.Println(res.StatusCode, "Retry-After:", res.Header.Get("Retry-After"))

	for {
		res, body := call("GET", "/v1/operations/"+op, "")
		if !strings.Contains(body, `"status":"NotStarted"`) && !strings.Contains(body, `"status":"Running"`) {
			fmt.Println(strings.Contains(body, `"status":"Succeeded"`), strings.HasSuffix(res.Header.Get("Location"), "/result"))
			break
		}
		secs, _ := strconv.Atoi(res.Header.Get("Retry-After"))
		time.Sleep(time.Duration(secs) * time.Second) // as the operation asks
	}

	res, body := call("GET", "/v1/operations/"+op+"/result", "")
	fmt.Println(res.StatusCode, strings.Contains(body, `"displayName":"Notebook 2"`))
	// Output:
	// 202 Retry-After: 1
	// true true
	// 200 true
}

// Stage a "429 storm" on operation polls that passes after three answers.
func ExampleServer_SetFaults() {
	srv := emulator.New(emulator.Config{})
	rule, err := emulator.ParseFaultRule("kind=429,method=GET,path=/v1/operations,count=3")
	if err != nil {
		panic(err)
	}
	if err := srv.SetFaults(rule); err != nil {
		panic(err)
	}
	for range 4 {
		req := httptest.NewRequest("GET", "http://127.0.0.1:8790/v1/operations/00000000-0000-4000-8000-000000000000", nil)
		req.Header.Set("Authorization", "Bearer dev-token")
		rec := httptest.NewRecorder()
		srv.ServeHTTP(rec, req)
		fmt.Println(rec.Code, rec.Header().Get("x-ms-public-api-error-code"), rec.Header().Get("Retry-After"))
	}
	// Output:
	// 429 RequestBlocked 2
	// 429 RequestBlocked 2
	// 429 RequestBlocked 2
	// 404 OperationNotFound
}

// The timings of Fabric's examples instead of the shortened demo defaults, with a job whose
// 202 Location is the list form of RunOnDemandItemJob3.json.
func ExampleFabricTimings() {
	srv := emulator.New(emulator.FabricTimings(emulator.Config{
		CreateMode:  emulator.CreateSync,
		JobLocation: emulator.JobLocationList,
	}))
	call := func(method, path, body string) *httptest.ResponseRecorder {
		req := httptest.NewRequest(method, "http://127.0.0.1:8790/v1/workspaces/"+emulator.DefaultWorkspaceID+path, strings.NewReader(body))
		req.Header.Set("Authorization", "Bearer dev-token")
		rec := httptest.NewRecorder()
		srv.ServeHTTP(rec, req)
		return rec
	}
	var item struct{ ID string }
	if err := json.NewDecoder(call("POST", "/notebooks", `{"displayName":"Nightly"}`).Body).Decode(&item); err != nil {
		panic(err)
	}
	id := item.ID
	job := call("POST", "/items/"+id+"/jobs/RunNotebook/instances", "")
	fmt.Println(job.Code, "Retry-After:", job.Header().Get("Retry-After"))
	fmt.Println(strings.TrimPrefix(job.Header().Get("Location"), "http://127.0.0.1:8790/v1/workspaces/"+emulator.DefaultWorkspaceID+"/items/"+id))
	// Output:
	// 202 Retry-After: 60
	// /jobs/instances?jobType=RunNotebook
}
