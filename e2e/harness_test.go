package e2e

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/fabric-lro/fabric-lro/emulator"
	"github.com/fabric-lro/fabric-lro/proxy"
)

// requireE2E skips the test unless FABRIC_LRO_E2E=1 (set by ./build.sh test).
// With it, a missing binary or artifact is a failure, not a skip.
func requireE2E(t *testing.T) {
	t.Helper()
	if os.Getenv("FABRIC_LRO_E2E") != "1" {
		t.Skip("run ./build.sh test")
	}
}

// repoRoot is the directory holding go.mod.
func repoRoot(t *testing.T) string {
	t.Helper()
	dir, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			t.Fatal("repoRoot: no go.mod above the test's directory")
		}
		dir = parent
	}
}

// freePort returns a TCP port on 127.0.0.1 that was free a moment ago.
func freePort(t *testing.T) int {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("freePort: %v", err)
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port
}

// startEmulator serves a Fabric API emulator on a free 127.0.0.1 port until the
// test ends and returns its base URL ("http://127.0.0.1:PORT") and the server.
func startEmulator(t *testing.T, cfg emulator.Config) (baseURL string, srv *emulator.Server) {
	t.Helper()
	srv = emulator.New(cfg)
	ts := httptest.NewServer(srv)
	t.Cleanup(ts.Close)
	return ts.URL, srv
}

// startNativeProxy serves the proxy natively (net/http, in this process) on a
// free 127.0.0.1 port in front of upstream, allowing the comma-separated
// allowedOrigins, and returns its base URL.
func startNativeProxy(t *testing.T, upstream string, allowedOrigins string) (baseURL string) {
	t.Helper()
	return startNativeProxyEnv(t, map[string]string{
		proxy.EnvUpstream:       upstream,
		proxy.EnvAllowedOrigins: allowedOrigins,
	})
}

// startNativeProxyEnv is startNativeProxy with any of the proxy's
// configuration variables (proxy.Env*), read as the native proxy reads them.
func startNativeProxyEnv(t *testing.T, env map[string]string) (baseURL string) {
	t.Helper()
	baseURL, _ = startNativeProxyLogs(t, env)
	return baseURL
}

// startNativeProxyLogs is startNativeProxyEnv that also returns the proxy's log.
func startNativeProxyLogs(t *testing.T, env map[string]string) (baseURL string, logs *syncBuffer) {
	t.Helper()
	cfg, err := proxy.ConfigFromEnv(func(name string) string { return env[name] })
	if err != nil {
		t.Fatalf("proxy configuration: %v", err)
	}
	logs = &syncBuffer{}
	cfg.Logger = slog.New(slog.NewTextHandler(logs, nil))
	p, err := proxy.New(cfg)
	if err != nil {
		t.Fatalf("proxy.New: %v", err)
	}
	ts := httptest.NewServer(p)
	t.Cleanup(func() {
		ts.Close()
		if t.Failed() {
			t.Logf("native proxy log:\n%s", logs.String())
		}
	})
	return ts.URL, logs
}

// startWorkerd runs the Go Worker (worker/build/, made by ./build.sh build) in a
// fresh workerd process ($WORKERD) on a free 127.0.0.1 port, in front of
// upstream, allowing the comma-separated allowedOrigins. It returns once the
// Worker answers, and stops workerd when the test ends; workerd's output goes
// to the test log if the test failed.
func startWorkerd(t *testing.T, upstream string, allowedOrigins string) (baseURL string) {
	t.Helper()
	return startWorkerdEnv(t, map[string]string{
		proxy.EnvUpstream:       upstream,
		proxy.EnvAllowedOrigins: allowedOrigins,
	})
}

// workerdConfigNames are the Worker variables worker/workerd.capnp reads from
// the environment.
var workerdConfigNames = []string{
	proxy.EnvUpstream, proxy.EnvAllowedOrigins, proxy.EnvRedirectHosts, proxy.EnvMaxBodyBytes,
	proxy.EnvUpstreamTimeout, proxy.EnvPreflightMaxAge, proxy.EnvPublicURL,
}

// startWorkerdEnv is startWorkerd with any of the proxy's configuration
// variables (proxy.Env*), passed to the Worker as its variables.
func startWorkerdEnv(t *testing.T, env map[string]string) (baseURL string) {
	t.Helper()
	baseURL, _ = startWorkerdLogs(t, env)
	return baseURL
}

// startWorkerdTestBuild is startWorkerdEnv with the workertest build of the
// Worker (worker/build/workertest/, made by ./build.sh test): the same Worker
// plus the fault and memory hooks of worker/hooks_workertest_js.go.
func startWorkerdTestBuild(t *testing.T, env map[string]string) (baseURL string) {
	t.Helper()
	baseURL, _, _ = startWorkerdDirAt(t, filepath.Join(repoRoot(t), "worker", "build", "workertest"), env, 0)
	return baseURL
}

// startWorkerdLogs is startWorkerdEnv that also returns workerd's output (the Worker's log).
func startWorkerdLogs(t *testing.T, env map[string]string) (baseURL string, logs *syncBuffer) {
	t.Helper()
	baseURL, logs, _ = startWorkerdAt(t, env, 0)
	return baseURL, logs
}

// startWorkerdAt is startWorkerdLogs on a given port (0: a free one). stop ends workerd
// before the test does, as a crash or a redeploy would; it may be called more than once.
func startWorkerdAt(t *testing.T, env map[string]string, port int) (baseURL string, logs *syncBuffer, stop func()) {
	t.Helper()
	return startWorkerdDirAt(t, filepath.Join(repoRoot(t), "worker"), env, port)
}

// startWorkerdDirAt is startWorkerdAt for the Worker whose workerd.capnp, worker.mjs
// and build/ are in dir.
func startWorkerdDirAt(t *testing.T, dir string, env map[string]string, port int) (baseURL string, logs *syncBuffer, stop func()) {
	t.Helper()
	workerd := os.Getenv("WORKERD")
	if workerd == "" {
		t.Fatal("WORKERD is not set; run ./build.sh test (it points WORKERD at node_modules/.bin/workerd)")
	}
	if _, err := os.Stat(workerd); err != nil {
		t.Fatalf("WORKERD=%s: %v; run ./build.sh test", workerd, err)
	}
	for _, f := range []string{"build/app.wasm", "build/wasm_exec.js", "worker.mjs", "workerd.capnp"} {
		if _, err := os.Stat(filepath.Join(dir, f)); err != nil {
			t.Fatalf("%s is missing (%v); run ./build.sh test (or ./build.sh build)", filepath.Join(dir, f), err)
		}
	}
	if port == 0 {
		port = freePort(t)
	}
	baseURL = fmt.Sprintf("http://127.0.0.1:%d", port)

	ctx, cancel := context.WithCancel(context.Background())
	cmd := exec.CommandContext(ctx, workerd, "serve", filepath.Join(dir, "workerd.capnp"),
		"--socket-addr", fmt.Sprintf("http=127.0.0.1:%d", port))
	cmd.Dir = dir
	for _, kv := range os.Environ() { // the test's own configuration only
		name, _, _ := strings.Cut(kv, "=")
		if !contains(workerdConfigNames, name) {
			cmd.Env = append(cmd.Env, kv)
		}
	}
	for name, value := range env {
		cmd.Env = append(cmd.Env, name+"="+value)
	}
	logs = &syncBuffer{}
	cmd.Stdout, cmd.Stderr = logs, logs
	cmd.WaitDelay = 5 * time.Second
	if err := cmd.Start(); err != nil {
		cancel()
		t.Fatalf("start workerd: %v", err)
	}
	exited := make(chan struct{})
	go func() { _ = cmd.Wait(); close(exited) }()
	var once sync.Once
	stop = func() { once.Do(func() { cancel(); <-exited }) }
	t.Cleanup(func() {
		stop()
		if t.Failed() {
			t.Logf("workerd output:\n%s", logs.String())
		}
	})

	// Wait until the Worker itself answers (any proxy answer to GET /v1 will do),
	// up to 30 s: workerd compiles the Go module at start.
	client := &http.Client{Timeout: 2 * time.Second}
	deadline := time.Now().Add(30 * time.Second)
	for attempt := 0; ; attempt++ {
		resp, err := client.Get(baseURL + "/")
		if err == nil {
			_, _ = io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			if resp.Header.Get("x-ms-public-api-error-code") != "" {
				return baseURL, logs, stop
			}
		}
		select {
		case <-exited:
			t.Fatalf("workerd exited before answering:\n%s", logs.String())
		case <-time.After(50 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			t.Fatalf("workerd did not answer at %s within 30s (last error: %v):\n%s", baseURL, err, logs.String())
		}
	}
}

func contains(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}

// syncBuffer is a bytes.Buffer safe for concurrent writers.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}
