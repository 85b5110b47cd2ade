package e2e

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/fabric-lro/fabric-lro/emulator"
	"github.com/fabric-lro/fabric-lro/lro"
	"github.com/fabric-lro/fabric-lro/lro/nethttp"
	"github.com/fabric-lro/fabric-lro/proxy"
)

// leakWatch collects every text a user or operator can see (log lines, error messages,
// response headers and bodies) and reports any that holds a token.
type leakWatch struct {
	tokens []string
	mu     sync.Mutex
	texts  map[string][]string // where -> texts
}

func newLeakWatch(n int) *leakWatch {
	w := &leakWatch{texts: map[string][]string{}}
	for range n {
		var b [16]byte
		_, _ = rand.Read(b[:])
		w.tokens = append(w.tokens, "leak-canary-"+hex.EncodeToString(b[:]))
	}
	return w
}

func (w *leakWatch) add(where, text string) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.texts[where] = append(w.texts[where], text)
}

// addResponse records a response's status line, every header and the body.
func (w *leakWatch) addResponse(where string, resp *http.Response, body []byte) {
	var b strings.Builder
	fmt.Fprintf(&b, "%d\n", resp.StatusCode)
	for name, values := range resp.Header {
		for _, v := range values {
			fmt.Fprintf(&b, "%s: %s\n", name, v)
		}
	}
	b.Write(body)
	w.add(where, b.String())
}

// check fails the test for every text holding a token, or its first or last 12 random
// characters (a log that cuts a value short still leaks it).
func (w *leakWatch) check(t *testing.T) {
	t.Helper()
	w.mu.Lock()
	defer w.mu.Unlock()
	n := 0
	for where, texts := range w.texts {
		for _, text := range texts {
			n++
			for _, tok := range w.tokens {
				random := strings.TrimPrefix(tok, "leak-canary-")
				if strings.Contains(text, random[:12]) || strings.Contains(text, random[len(random)-12:]) {
					t.Errorf("%s shows a token:\n%.2000s", where, text)
				}
			}
		}
	}
	if n < 20 {
		t.Errorf("only %d texts were checked; the test would prove little", n)
	}
}

// TestTokensNeverLeak drives the engine through each proxy (native and the Worker in workerd)
// to the emulator, with the faults that make each part say most (429, an expired token, a
// 5xx, a malformed body), then sends the proxy every kind of request it refuses and an
// upstream that drops, stalls and sends a bad Location. No log line of the emulator, the
// proxy or workerd, no error the engine returns or warns, and no response header or body
// shows an Authorization token.
func TestTokensNeverLeak(t *testing.T) {
	requireE2E(t)
	kinds := []struct {
		name  string
		start func(t *testing.T, env map[string]string) (string, *syncBuffer)
	}{
		{name: "native", start: startNativeProxyLogs},
		{name: "workerd", start: startWorkerdLogs},
	}
	for _, kind := range kinds {
		t.Run(kind.name, func(t *testing.T) {
			t.Parallel()
			watch := newLeakWatch(2)
			var emuLog syncBuffer
			items := "/v1/workspaces/" + emulator.DefaultWorkspaceID + "/items"
			upstream, _ := startEmulator(t, emulator.Config{
				Logf:              func(format string, args ...any) { fmt.Fprintf(&emuLog, format+"\n", args...) },
				CreateMode:        emulator.CreateAsync,
				OperationDuration: 1500 * time.Millisecond,
				RetryAfter:        time.Second,
				Faults: []emulator.FaultRule{
					{Kind: emulator.FaultInternalError, Method: "POST", PathPrefix: items, Count: 1},
					{Kind: emulator.FaultThrottle, Method: "GET", PathPrefix: "/v1/operations/", Count: 1, RetryAfterSeconds: 1},
					{Kind: emulator.FaultTokenExpired, Method: "GET", PathPrefix: "/v1/operations/", After: 1, Count: 1},
					{Kind: emulator.FaultMalformedJSON, Method: "GET", PathPrefix: "/v1/operations/", After: 2, Count: 1},
				},
			})
			base, proxyLog := kind.start(t, map[string]string{
				proxy.EnvUpstream: upstream, proxy.EnvAllowedOrigins: pageOrigin, proxy.EnvMaxBodyBytes: "1000",
			})

			// The engine, through the proxy, rides out the faults with a refreshed token.
			client := lro.NewClient(lro.Options{
				Transport: nethttp.New(nil),
				BaseURL:   base,
				Token: lro.TokenFunc(func(ctx context.Context, refresh bool) (string, error) {
					if refresh {
						return watch.tokens[1], nil
					}
					return watch.tokens[0], nil
				}),
				OnWarning: func(w lro.Warning) { watch.add("engine warning", w.Code+": "+w.Message) },
			})
			ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
			defer cancel()
			start := func(name string) (*lro.Poller, error) {
				return client.Start(ctx, &lro.Request{Method: "POST", URL: items, Header: lro.Header{"Content-Type": {"application/json"}},
					Body: []byte(`{"type":"Notebook","displayName":"` + name + `"}`)})
			}
			if _, err := start("five hundred"); err == nil {
				t.Fatal("the create the emulator answers 500 succeeded")
			} else {
				watch.add("engine error (500)", err.Error())
			}
			p, err := start("leak check")
			if err != nil {
				t.Fatalf("create: %v", err)
			}
			result, err := p.PollUntilDone(ctx)
			if err != nil || !strings.Contains(string(result), "leak check") {
				t.Fatalf("PollUntilDone: %s, %v", result, err)
			}
			for _, ref := range []string{"https://evil.example/v1/operations/x", base + "/v1/operations/no-such-operation"} {
				if _, err := client.Do(ctx, &lro.Request{Method: "GET", URL: ref}); err != nil {
					watch.add("engine error", err.Error())
				}
			}

			// Requests the proxy refuses, each carrying a token.
			auth := "Authorization: Bearer " + watch.tokens[0]
			refused := []attack{
				{method: "GET", target: "/v1/%2e%2e/admin", header: []string{auth}},
				{method: "GET", target: "/v1/workspaces", header: []string{auth, "Origin: https://evil.example"}},
				{method: "GET", target: "/v1/workspaces", header: []string{auth, "Authorization: Bearer " + watch.tokens[1]}},
				{method: "GET", target: "/v1/workspaces", header: []string{auth, "x-ms-client-tag: " + strings.Repeat("t", 40<<10)}},
				{method: "POST", target: items, header: []string{auth}, body: strings.Repeat("x", 1001)},
				{method: "TRACE", target: "/v1/workspaces", header: []string{auth}},
				{method: "GET", target: "/_fabric/https/evil.example/v1/x", header: []string{auth}},
				{method: "GET", target: "/admin", header: []string{auth}},
				{method: "GET", target: "/v1/workspaces/00000000-0000-0000-0000-000000000000", header: []string{auth}},
				{method: "OPTIONS", target: "/v1/workspaces", header: []string{auth, "Origin: " + pageOrigin, "Access-Control-Request-Method: TRACE"}},
			}
			proxyHost := strings.TrimPrefix(base, "http://")
			for _, a := range refused {
				resp, body, err := rawExchange(proxyHost, a.buildRequest(a.target, func(s string) string { return s }, proxyHost))
				if err != nil {
					t.Fatalf("%s %s: %v", a.method, a.target, err)
				}
				if resp.StatusCode < 400 {
					t.Errorf("%s %s: status %d, want an error", a.method, a.target, resp.StatusCode)
				}
				watch.addResponse("response to "+a.method+" "+a.target, resp, body)
			}

			// An upstream that drops the connection, stalls past UPSTREAM_TIMEOUT and sends a
			// Location the proxy cannot rewrite: the proxy logs each.
			release := make(chan struct{})
			bad := newRecorder(t, func(w http.ResponseWriter, r *http.Request) {
				switch r.URL.Path {
				case "/v1/drop":
					if conn, _, err := http.NewResponseController(w).Hijack(); err == nil {
						conn.Close()
					}
				case "/v1/stall":
					select {
					case <-release:
					case <-r.Context().Done():
					}
				case "/v1/bad-location":
					w.Header().Set("Location", "https://[::1]/v1/operations/x")
					w.WriteHeader(http.StatusAccepted)
				}
			})
			t.Cleanup(func() { close(release) })
			badBase, badLog := kind.start(t, map[string]string{
				proxy.EnvUpstream: bad.srv.URL, proxy.EnvAllowedOrigins: pageOrigin, proxy.EnvUpstreamTimeout: "1s",
			})
			badHost := strings.TrimPrefix(badBase, "http://")
			for _, path := range []string{"/v1/drop", "/v1/stall", "/v1/bad-location"} {
				a := attack{method: "GET", target: path, header: []string{auth, "Origin: " + pageOrigin}}
				resp, body, err := rawExchange(badHost, a.buildRequest(a.target, func(s string) string { return s }, badHost))
				if err != nil {
					t.Fatalf("GET %s: %v", path, err)
				}
				if resp.StatusCode < 500 {
					t.Errorf("GET %s: status %d, want a 5xx", path, resp.StatusCode)
				}
				watch.addResponse("response to GET "+path, resp, body)
			}

			watch.add("emulator log", emuLog.String())
			watch.add(kind.name+" proxy log", proxyLog.String())
			watch.add(kind.name+" proxy log (bad upstream)", badLog.String())
			for _, want := range []string{"/v1/operations/", "status=429", "status=401"} {
				if !strings.Contains(emuLog.String()+proxyLog.String(), want) {
					t.Errorf("the logs do not mention %q; the faults did not happen as planned", want)
				}
			}
			watch.check(t)
		})
	}
}
