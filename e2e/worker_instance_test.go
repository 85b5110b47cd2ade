package e2e

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"github.com/fabric-lro/fabric-lro/proxy"
)

// The Worker keeps one Go instance per isolate. These tests run the
// workertest build (worker/hooks_workertest_js.go) in real workerd: it
// answers GET /_test/instance with its instance's id and GET /_test/memory
// with its memory figures, and fails on purpose on a request that carries
// X-Fabric-Lro-Test-Fault.

// echoUpstream answers every request with what it received: method, path
// and query, token and body, as JSON. GET /v1/slow waits for release; GET
// /v1/badlocation answers 202 with a Location no proxy may pass on.
type echoUpstream struct {
	*httptest.Server
	slowArrived chan struct{} // closed when /v1/slow has arrived
	release     chan struct{} // close to let /v1/slow answer
}

func newEchoUpstream(t *testing.T) *echoUpstream {
	t.Helper()
	u := &echoUpstream{slowArrived: make(chan struct{}), release: make(chan struct{})}
	var once sync.Once
	u.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		switch r.URL.Path {
		case "/v1/slow":
			once.Do(func() { close(u.slowArrived) })
			select {
			case <-u.release:
			case <-r.Context().Done():
				return
			}
		case "/v1/badlocation":
			w.Header().Set("Location", "ftp://elsewhere.example/x")
			w.WriteHeader(http.StatusAccepted)
			_, _ = io.WriteString(w, strings.Repeat("a body nobody reads ", 2000))
			return
		}
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(echo{Method: r.Method, Target: r.URL.RequestURI(), Auth: r.Header.Get("Authorization"), Body: string(body)})
	}))
	t.Cleanup(func() {
		select {
		case <-u.release:
		default:
			close(u.release)
		}
		u.Close()
	})
	return u
}

// echo is what echoUpstream answers.
type echo struct {
	Method string `json:"method"`
	Target string `json:"target"`
	Auth   string `json:"auth"`
	Body   string `json:"body"`
}

// send1 sends one request to the Worker and returns status and body.
func send1(t *testing.T, method, url string, header map[string]string, body string) (*http.Response, []byte) {
	t.Helper()
	var r io.Reader
	if body != "" {
		r = strings.NewReader(body)
	}
	req, err := http.NewRequest(method, url, r)
	if err != nil {
		t.Fatal(err)
	}
	for k, v := range header {
		req.Header.Set(k, v)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, url, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("%s %s: reading the body: %v", method, url, err)
	}
	return resp, b
}

// instance is the id of the Go instance now serving the Worker.
func instance(t *testing.T, base string) string {
	t.Helper()
	resp, body := send1(t, "GET", base+"/_test/instance", nil, "")
	var v struct{ Instance string }
	if resp.StatusCode != 200 || json.Unmarshal(body, &v) != nil || v.Instance == "" {
		t.Fatalf("GET /_test/instance: %d %s", resp.StatusCode, body)
	}
	return v.Instance
}

// TestWorkerFaults: whatever goes wrong in the Go instance, the request gets
// a 500 in Fabric's error shape and the next request is served: by the same
// instance after a recovered panic, by a fresh one after the program died
// (a goroutine's panic, os.Exit, a WebAssembly trap).
func TestWorkerFaults(t *testing.T) {
	requireE2E(t)
	up := newEchoUpstream(t)
	base := startWorkerdTestBuild(t, map[string]string{proxy.EnvUpstream: up.URL})
	tests := []struct {
		fault        string
		sameInstance bool
	}{
		{fault: "panic", sameInstance: true},
		{fault: "crash", sameInstance: false},
		{fault: "exit", sameInstance: false},
		{fault: "trap", sameInstance: false},
	}
	for _, tc := range tests {
		t.Run(tc.fault, func(t *testing.T) {
			before := instance(t, base)
			resp, body := send1(t, "GET", base+"/v1/workspaces", map[string]string{
				"Authorization": "Bearer secret-token", "X-Fabric-Lro-Test-Fault": tc.fault,
			}, "")
			wantProxyError(t, resp, body, http.StatusInternalServerError, proxy.CodeInternalError)
			if strings.Contains(string(body), "secret-token") {
				t.Errorf("the 500 carries the token: %s", body)
			}
			resp, body = send1(t, "GET", base+"/v1/workspaces", authz, "")
			var e echo
			if resp.StatusCode != 200 || json.Unmarshal(body, &e) != nil || e.Target != "/v1/workspaces" {
				t.Fatalf("the request after the fault: %d %s", resp.StatusCode, body)
			}
			if after := instance(t, base); (after == before) != tc.sameInstance {
				t.Errorf("instance %s before, %s after; want the same instance: %v", before, after, tc.sameInstance)
			}
		})
	}
}

// TestWorkerFaultHeaderIgnored: the real build has no fault hooks; the
// header is passed over like any other.
func TestWorkerFaultHeaderIgnored(t *testing.T) {
	requireE2E(t)
	up := newEchoUpstream(t)
	base := startWorkerdEnv(t, map[string]string{proxy.EnvUpstream: up.URL})
	for _, fault := range []string{"panic", "crash", "exit", "trap"} {
		resp, body := send1(t, "GET", base+"/v1/workspaces", map[string]string{"Authorization": "Bearer t", "X-Fabric-Lro-Test-Fault": fault}, "")
		if resp.StatusCode != 200 {
			t.Errorf("fault %s: %d %s", fault, resp.StatusCode, body)
		}
	}
	resp, body := send1(t, "GET", base+"/_test/instance", nil, "")
	if resp.StatusCode != http.StatusNotFound {
		t.Errorf("GET /_test/instance on the real build: %d %s, want the proxy's 404", resp.StatusCode, body)
	}
}

// TestWorkerOverlappingRequests: while one request waits on a slow upstream,
// others arrive and are all answered by the same instance, each with its own
// method, path, query, token and body; the slow one then gets its own answer.
func TestWorkerOverlappingRequests(t *testing.T) {
	requireE2E(t)
	up := newEchoUpstream(t)
	base := startWorkerdTestBuild(t, map[string]string{proxy.EnvUpstream: up.URL})
	first := instance(t, base)

	slow := make(chan echo, 1)
	go func() {
		req, _ := http.NewRequest("GET", base+"/v1/slow?n=slow", nil)
		req.Header.Set("Authorization", "Bearer slow")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			slow <- echo{Body: err.Error()}
			return
		}
		defer resp.Body.Close()
		var e echo
		_ = json.NewDecoder(resp.Body).Decode(&e)
		slow <- e
	}()
	<-up.slowArrived // the slow request is in flight at the upstream

	const n = 24
	var wg sync.WaitGroup
	errs := make(chan string, n)
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			method, body := "GET", ""
			if i%3 == 0 {
				method, body = "POST", fmt.Sprintf(`{"displayName":"item %d"}`, i)
			}
			target := fmt.Sprintf("/v1/workspaces/w%d/items?i=%d", i, i)
			req, _ := http.NewRequest(method, base+target, strings.NewReader(body))
			req.Header.Set("Authorization", fmt.Sprintf("Bearer token-%d", i))
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				errs <- err.Error()
				return
			}
			defer resp.Body.Close()
			var e echo
			if err := json.NewDecoder(resp.Body).Decode(&e); err != nil || resp.StatusCode != 200 {
				errs <- fmt.Sprintf("request %d: %d %v", i, resp.StatusCode, err)
				return
			}
			want := echo{Method: method, Target: target, Auth: fmt.Sprintf("Bearer token-%d", i), Body: body}
			if e != want {
				errs <- fmt.Sprintf("request %d got %+v, want %+v", i, e, want)
			}
		}()
	}
	wg.Wait()
	close(errs)
	for e := range errs {
		t.Error(e)
	}
	select {
	case e := <-slow:
		t.Fatalf("the slow request finished before its upstream answered: %+v", e)
	default:
	}
	close(up.release)
	if e := <-slow; e.Target != "/v1/slow?n=slow" || e.Auth != "Bearer slow" {
		t.Errorf("the slow request got %+v", e)
	}
	if last := instance(t, base); last != first {
		t.Errorf("instance %s at the start, %s at the end: want one instance for all", first, last)
	}
}

// memoryFigures are what GET /_test/memory answers.
type memoryFigures struct {
	Sys        uint64 `json:"sys"`
	HeapAlloc  uint64 `json:"heapAlloc"`
	NumGC      uint64 `json:"numGC"`
	Goroutines uint64 `json:"goroutines"`
}

func memory(t *testing.T, base string) memoryFigures {
	t.Helper()
	resp, body := send1(t, "GET", base+"/_test/memory", nil, "")
	var m memoryFigures
	if resp.StatusCode != 200 || json.Unmarshal(body, &m) != nil || m.Sys == 0 {
		t.Fatalf("GET /_test/memory: %d %s", resp.StatusCode, body)
	}
	return m
}

// TestWorkerMemoryFlat: a mix of requests (answered, refused, with a body,
// with an upstream body the proxy drops) leaves the instance's memory where
// it was: nothing is kept per request. bench/ runs the same over 50,000.
func TestWorkerMemoryFlat(t *testing.T) {
	requireE2E(t)
	up := newEchoUpstream(t)
	base := startWorkerdTestBuild(t, map[string]string{proxy.EnvUpstream: up.URL, proxy.EnvAllowedOrigins: pageOrigin})
	send := func(count int) {
		var wg sync.WaitGroup
		next := make(chan int)
		for range 8 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for i := range next {
					switch i % 4 {
					case 0:
						send1(t, "GET", base+"/v1/workspaces?i="+fmt.Sprint(i), authz, "")
					case 1:
						send1(t, "POST", base+"/v1/workspaces/w/items", authz, strings.Repeat("x", 4096))
					case 2:
						resp, body := send1(t, "GET", base+"/v1/badlocation", authz, "")
						if resp.StatusCode != http.StatusBadGateway {
							t.Errorf("bad Location: %d %s", resp.StatusCode, body)
						}
					case 3:
						send1(t, "OPTIONS", base+"/v1/workspaces", map[string]string{"Origin": pageOrigin, "Access-Control-Request-Method": "POST"}, "")
					}
				}
			}()
		}
		for i := range count {
			next <- i
		}
		close(next)
		wg.Wait()
	}
	send(2000) // the heap reaches its working size
	before := memory(t, base)
	send(3000)
	after := memory(t, base)
	t.Logf("after 2,000 requests: %+v; after 5,000: %+v", before, after)
	if after.Sys > before.Sys+before.Sys/10 {
		t.Errorf("wasm memory grew from %d to %d bytes over 3,000 requests (more than 10%%)", before.Sys, after.Sys)
	}
	if after.Goroutines > before.Goroutines {
		t.Errorf("goroutines grew from %d to %d", before.Goroutines, after.Goroutines)
	}
	if after.NumGC == before.NumGC {
		t.Errorf("no garbage collection ran in 3,000 requests (%d cycles): the heap is not being reclaimed", after.NumGC)
	}
}
