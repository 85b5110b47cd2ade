package proxy_test

// Configuration: PublicURL and the proxy's own origin, defaults, the log line, bad values and
// the environment.

import (
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/fabric-lro/fabric-lro/proxy"
)

func TestPublicURL(t *testing.T) {
	e := newEnv(t, func(c *proxy.Config) { c.PublicURL = "https://fabric-proxy.example.com/" })
	e.main.respond = respondWith(202, map[string]string{"Location": "http://{host}/v1/operations/op-9"}, "")
	resp, _ := sendServer(t, e, request{Method: "POST", Target: "/v1/workspaces/ws/items", Header: header("Origin", "https://fabric-proxy.example.com"), Body: "{}"})
	if got, want := resp.Header.Get("Location"), "https://fabric-proxy.example.com/v1/operations/op-9"; got != want {
		t.Errorf("Location %q, want %q", got, want)
	}
	if got := resp.Header.Get("Access-Control-Allow-Origin"); got != "https://fabric-proxy.example.com" {
		t.Errorf("the public origin is the proxy's own: ACAO %q", got)
	}
}

// TestOwnOrigin: a page's Origin counts as the proxy's own (no
// ALLOWED_ORIGINS entry needed) only when it is PROXY_PUBLIC_URL, or, without
// it, when it names the loopback host the request came to. A DNS-rebinding
// page (evil.example resolving to 127.0.0.1) sends a Host that agrees with its
// Origin and must be refused.
func TestOwnOrigin(t *testing.T) {
	tests := []struct {
		name      string
		publicURL string
		url       string // the request URL: the Worker sees it absolute, net/http sees Host
		worker    bool
		origin    string
		want      int
	}{
		{name: "loopback address", url: "http://127.0.0.1:8787/v1/workspaces", origin: "http://127.0.0.1:8787", want: 200},
		{name: "other loopback address", url: "http://127.1.2.3:8787/v1/workspaces", origin: "http://127.1.2.3:8787", want: 200},
		{name: "localhost", url: "http://localhost:8787/v1/workspaces", origin: "http://localhost:8787", want: 200},
		{name: "localhost in workerd", url: "http://localhost:8787/v1/workspaces", worker: true, origin: "http://localhost:8787", want: 200},
		{name: "loopback, other port", url: "http://127.0.0.1:8787/v1/workspaces", origin: "http://127.0.0.1:8788", want: 403},
		{name: "DNS rebinding natively", url: "http://evil.example:8787/v1/workspaces", origin: "http://evil.example:8787", want: 403},
		{name: "DNS rebinding in workerd", url: "http://evil.example:8787/v1/workspaces", worker: true, origin: "http://evil.example:8787", want: 403},
		{name: "Worker host without PROXY_PUBLIC_URL", url: "https://p.example.workers.dev/v1/workspaces", worker: true, origin: "https://p.example.workers.dev", want: 403},
		{name: "Worker host is PROXY_PUBLIC_URL", publicURL: "https://p.example.workers.dev", url: "https://p.example.workers.dev/v1/workspaces", worker: true, origin: "https://p.example.workers.dev", want: 200},
		{name: "PROXY_PUBLIC_URL set: the Host no longer counts", publicURL: "https://p.example.com", url: "http://127.0.0.1:8787/v1/workspaces", origin: "http://127.0.0.1:8787", want: 403},
		{name: "PROXY_PUBLIC_URL set: rebinding refused", publicURL: "https://p.example.com", url: "http://evil.example/v1/workspaces", origin: "http://evil.example", want: 403},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			p, err := proxy.New(proxy.Config{
				PublicURL: tc.publicURL,
				Logger:    slog.New(slog.DiscardHandler),
				Transport: roundTripFunc(func(r *http.Request) (*http.Response, error) {
					return &http.Response{StatusCode: 200, Header: http.Header{}, Body: io.NopCloser(strings.NewReader("{}"))}, nil
				}),
			})
			if err != nil {
				t.Fatal(err)
			}
			r := httptest.NewRequest("POST", tc.url, strings.NewReader("{}"))
			r.RequestURI = r.URL.RequestURI() // natively: path and Host
			if tc.worker {
				r.RequestURI = "" // as syumai/workers builds it: the absolute URL only
			}
			r.Header.Set("Origin", tc.origin)
			w := httptest.NewRecorder()
			p.ServeHTTP(w, r)
			if w.Code != tc.want {
				t.Fatalf("status %d, want %d; %s", w.Code, tc.want, w.Body)
			}
			if acao := w.Header().Get("Access-Control-Allow-Origin"); (tc.want == 200) != (acao == tc.origin) {
				t.Errorf("Access-Control-Allow-Origin %q", acao)
			}
		})
	}
}

// TestZeroConfig: the zero Config forwards to Fabric and allows no other origin.
func TestZeroConfig(t *testing.T) {
	var seen []string
	p, err := proxy.New(proxy.Config{
		Logger: slog.New(slog.DiscardHandler),
		Transport: roundTripFunc(func(r *http.Request) (*http.Response, error) {
			seen = append(seen, r.URL.String())
			return &http.Response{StatusCode: 200, Header: http.Header{}, Body: io.NopCloser(strings.NewReader("{}"))}, nil
		}),
	})
	if err != nil {
		t.Fatal(err)
	}
	r := httptest.NewRequest("GET", "/v1/workspaces?x=1", nil)
	r.Header.Set("Origin", "https://app.contoso.com")
	w := httptest.NewRecorder()
	p.ServeHTTP(w, r)
	if w.Code != 403 {
		t.Errorf("cross-origin call to a zero-config proxy: %d, want 403", w.Code)
	}
	r.Header.Del("Origin")
	w = httptest.NewRecorder()
	p.ServeHTTP(w, r)
	if w.Code != 200 || len(seen) != 1 || seen[0] != "https://api.fabric.microsoft.com/v1/workspaces?x=1" {
		t.Errorf("zero-config forward: %d, upstream %q", w.Code, seen)
	}
	w = httptest.NewRecorder()
	p.ServeHTTP(w, httptest.NewRequest("GET", "/_fabric/https/wabi-west-europe-d-primary-redirect.analysis.windows.net/v1/operations/o", nil))
	if w.Code != 200 || len(seen) != 2 || seen[1] != "https://wabi-west-europe-d-primary-redirect.analysis.windows.net/v1/operations/o" {
		t.Errorf("zero-config regional forward: %d, upstream %q", w.Code, seen)
	}
}

func TestLogLine(t *testing.T) {
	e := newEnv(t, nil)
	sendHandler(t, e, request{Method: "GET", Target: "/v1/workspaces?continuationToken=abc", Header: auth})
	log := e.log()
	for _, want := range []string{"method=GET", "path=/v1/workspaces ", "status=200", "duration=", "requestId="} {
		if !strings.Contains(log, want) {
			t.Errorf("log line lacks %q:\n%s", want, log)
		}
	}
	for _, secret := range []string{"secret-token", "continuationToken"} {
		if strings.Contains(log, secret) {
			t.Errorf("log line contains %q:\n%s", secret, log)
		}
	}
}

func TestNewRejectsBadConfig(t *testing.T) {
	tests := []struct {
		name string
		cfg  proxy.Config
		want string // in the error
	}{
		{name: "open to any origin", cfg: proxy.Config{AllowedOrigins: []string{"*"}}, want: "ALLOWED_ORIGINS"},
		{name: "origin without scheme", cfg: proxy.Config{AllowedOrigins: []string{"app.contoso.com"}}, want: "ALLOWED_ORIGINS"},
		{name: "origin with a path", cfg: proxy.Config{AllowedOrigins: []string{"https://app.contoso.com/page"}}, want: "ALLOWED_ORIGINS"},
		{name: "wildcard on a top-level domain", cfg: proxy.Config{AllowedOrigins: []string{"https://*.com"}}, want: "ALLOWED_ORIGINS"},
		{name: "wildcard inside a label", cfg: proxy.Config{AllowedOrigins: []string{"https://app*.contoso.com"}}, want: "ALLOWED_ORIGINS"},
		{name: "redirect host any", cfg: proxy.Config{RedirectHosts: []string{"*"}}, want: "FABRIC_REDIRECT_HOSTS"},
		{name: "upstream without scheme", cfg: proxy.Config{Upstream: "api.fabric.microsoft.com"}, want: "FABRIC_API_BASE"},
		{name: "upstream with user", cfg: proxy.Config{Upstream: "https://u:p@api.fabric.microsoft.com"}, want: "FABRIC_API_BASE"},
		{name: "upstream with query", cfg: proxy.Config{Upstream: "https://api.fabric.microsoft.com?x=1"}, want: "FABRIC_API_BASE"},
		{name: "negative body limit", cfg: proxy.Config{MaxBodyBytes: -1}, want: "MAX_BODY_BYTES"},
		{name: "public URL with a path", cfg: proxy.Config{PublicURL: "https://p.example.com/proxy"}, want: "PROXY_PUBLIC_URL"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := proxy.New(tc.cfg)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("New: %v, want an error naming %s", err, tc.want)
			}
		})
	}
}

func TestConfigFromEnv(t *testing.T) {
	tests := []struct {
		name    string
		env     map[string]string
		want    proxy.Config
		wantErr string
	}{
		{name: "nothing set", env: map[string]string{}, want: proxy.Config{}},
		{
			name: "everything set",
			env: map[string]string{
				"FABRIC_API_BASE": " http://127.0.0.1:8790 ", "ALLOWED_ORIGINS": "http://127.0.0.1:8080, https://*.contoso.com,,",
				"FABRIC_REDIRECT_HOSTS": "http://127.0.0.1:9999", "MAX_BODY_BYTES": "1048576", "UPSTREAM_TIMEOUT": "90s",
				"CORS_MAX_AGE": "600", "PROXY_PUBLIC_URL": "https://p.example.com",
			},
			want: proxy.Config{
				Upstream: "http://127.0.0.1:8790", AllowedOrigins: []string{"http://127.0.0.1:8080", "https://*.contoso.com"},
				RedirectHosts: []string{"http://127.0.0.1:9999"}, MaxBodyBytes: 1 << 20, UpstreamTimeout: 90 * time.Second,
				PreflightMaxAge: 600 * time.Second, PublicURL: "https://p.example.com",
			},
		},
		{name: "timeout in seconds", env: map[string]string{"UPSTREAM_TIMEOUT": "15"}, want: proxy.Config{UpstreamTimeout: 15 * time.Second}},
		{name: "bad body limit", env: map[string]string{"MAX_BODY_BYTES": "8MB"}, wantErr: "MAX_BODY_BYTES"},
		{name: "bad timeout", env: map[string]string{"UPSTREAM_TIMEOUT": "soon"}, wantErr: "UPSTREAM_TIMEOUT"},
		{name: "negative max age", env: map[string]string{"CORS_MAX_AGE": "-5"}, wantErr: "CORS_MAX_AGE"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := proxy.ConfigFromEnv(func(name string) string { return tc.env[name] })
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("err %v, want one naming %s", err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if fmt.Sprintf("%#v", got) != fmt.Sprintf("%#v", tc.want) {
				t.Errorf("ConfigFromEnv:\n got %#v\nwant %#v", got, tc.want)
			}
		})
	}
}

func TestConfigErrorHandler(t *testing.T) {
	_, err := proxy.New(proxy.Config{AllowedOrigins: []string{"*"}})
	w := httptest.NewRecorder()
	proxy.ConfigErrorHandler(err).ServeHTTP(w, httptest.NewRequest("GET", "/v1/workspaces", nil))
	if w.Code != 500 {
		t.Fatalf("status %d, want 500", w.Code)
	}
	checkProxyError(t, response{w.Code, w.Result().Header, w.Body.String()}, proxy.CodeProxyMisconfigured)
	if !strings.Contains(w.Body.String(), "ALLOWED_ORIGINS") {
		t.Errorf("the error does not name the variable: %s", w.Body.String())
	}
}
