package proxy_test

// The upstream failing, timing out, sending an encoded answer or sitting under a path prefix.

import (
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/fabric-lro/fabric-lro/proxy"
)

func TestUpstreamUnreachable(t *testing.T) {
	dead := httptest.NewServer(http.NotFoundHandler())
	deadURL := dead.URL
	dead.Close()
	e := newEnv(t, func(c *proxy.Config) { c.Upstream = deadURL })
	for _, ep := range entries {
		t.Run(ep.name, func(t *testing.T) {
			resp, _ := ep.send(t, e, request{Method: "GET", Target: "/v1/workspaces?continuationToken=abc", Header: auth})
			if resp.Status != http.StatusBadGateway {
				t.Fatalf("status %d, want 502; body %s", resp.Status, resp.Body)
			}
			checkProxyError(t, resp, proxy.CodeUpstreamUnreachable)
			if resp.Header.Get("Access-Control-Allow-Origin") != pageOrigin {
				t.Errorf("a page cannot read the 502: ACAO %q", resp.Header.Get("Access-Control-Allow-Origin"))
			}
			var er proxy.ErrorResponse
			_ = json.Unmarshal([]byte(resp.Body), &er)
			host := strings.TrimPrefix(deadURL, "http://")
			if want := "The Fabric API at " + host + " could not be reached; check FABRIC_API_BASE and try again."; er.Message != want {
				t.Errorf("message %q, want %q", er.Message, want)
			}
			for _, internal := range []string{"dial", "connect", "refused", "tcp"} {
				if strings.Contains(strings.ToLower(resp.Body), internal) {
					t.Errorf("the answer leaks the internal error (%q): %s", internal, resp.Body)
				}
			}
		})
	}
	log := e.log()
	if !strings.Contains(log, "upstream unreachable") || !strings.Contains(log, "refused") {
		t.Errorf("the log lacks the dial error:\n%s", log)
	}
	for _, secret := range []string{"secret-token", "continuationToken"} {
		if strings.Contains(log, secret) {
			t.Errorf("the log contains %q:\n%s", secret, log)
		}
	}
}

func TestUpstreamTimeout(t *testing.T) {
	release := make(chan struct{})
	t.Cleanup(func() { close(release) })
	e := newEnv(t, func(c *proxy.Config) { c.UpstreamTimeout = 50 * time.Millisecond })
	e.main.respond = func(w http.ResponseWriter, r *http.Request) {
		select { // hold the answer until the test ends
		case <-release:
		case <-r.Context().Done():
		}
	}
	resp, _ := sendHandler(t, e, request{Method: "GET", Target: "/v1/operations/slow", Header: auth})
	if resp.Status != http.StatusGatewayTimeout {
		t.Fatalf("status %d, want 504; body %s", resp.Status, resp.Body)
	}
	checkProxyError(t, resp, proxy.CodeUpstreamTimeout)
}

// TestTimeoutIgnoredByTransport: a Config.Transport that ignores the
// request's context must not hold the native proxy past its timeout.
func TestTimeoutIgnoredByTransport(t *testing.T) {
	release := make(chan struct{})
	t.Cleanup(func() { close(release) })
	e := newEnv(t, func(c *proxy.Config) {
		c.UpstreamTimeout = 50 * time.Millisecond
		c.Transport = roundTripFunc(func(*http.Request) (*http.Response, error) {
			<-release
			return nil, io.EOF
		})
	})
	resp, _ := sendHandler(t, e, request{Method: "GET", Target: "/v1/operations/slow", Header: auth})
	if resp.Status != http.StatusGatewayTimeout {
		t.Fatalf("status %d, want 504; body %s", resp.Status, resp.Body)
	}
}

// TestEncodedAnswerLength: workerd's fetch hands back a decoded body with the
// upstream's Content-Encoding and (encoded) Content-Length; the proxy must not
// pass that length on, or workerd fails writing the longer body.
func TestEncodedAnswerLength(t *testing.T) {
	const decoded = `{"value":"a decoded body longer than its gzip"}`
	e := newEnv(t, func(c *proxy.Config) {
		c.Transport = roundTripFunc(func(*http.Request) (*http.Response, error) {
			h := http.Header{"Content-Encoding": {"gzip"}, "Content-Length": {"12"}, "Content-Type": {"application/json"}}
			return &http.Response{StatusCode: 200, Header: h, ContentLength: 12, Body: io.NopCloser(strings.NewReader(decoded))}, nil
		})
	})
	resp, _ := sendHandler(t, e, request{Method: "GET", Target: "/v1/workspaces", Header: auth})
	if resp.Status != 200 || resp.Body != decoded {
		t.Fatalf("%d %q", resp.Status, resp.Body)
	}
	if cl := resp.Header.Get("Content-Length"); cl != "" {
		t.Errorf("Content-Length %q passed on for an encoded answer", cl)
	}
	if ce := resp.Header.Get("Content-Encoding"); ce != "gzip" {
		t.Errorf("Content-Encoding %q, want gzip (workerd encodes the body again by it)", ce)
	}
}

type roundTripFunc func(*http.Request) (*http.Response, error)

func (f roundTripFunc) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }

// TestUpstreamWithPathPrefix: an upstream base with a path prefix gets it in
// front of /v1, and Locations under it map back to /v1 on the proxy.
func TestUpstreamWithPathPrefix(t *testing.T) {
	var e *env
	e = newEnv(t, func(c *proxy.Config) { c.Upstream += "/fabric/" })
	e.main.respond = respondWith(202, map[string]string{"Location": "http://{host}/fabric/v1/operations/op-9"}, "")
	resp, origin := sendHandler(t, e, request{Method: "POST", Target: "/v1/workspaces/ws/items", Header: auth, Body: "{}"})
	checkCalls(t, "main upstream", e.main.recorded(), "/fabric/v1/workspaces/ws/items")
	if got, want := resp.Header.Get("Location"), origin+"/v1/operations/op-9"; got != want {
		t.Errorf("Location %q, want %q", got, want)
	}
}

// TestPublicURL: behind a TLS terminator the configured public origin is used.

func BenchmarkProxy(b *testing.B) {
	p, err := proxy.New(proxy.Config{
		Logger:         slog.New(slog.DiscardHandler),
		AllowedOrigins: []string{pageOrigin},
		Transport: roundTripFunc(func(r *http.Request) (*http.Response, error) {
			return &http.Response{StatusCode: 202, Header: http.Header{
				"Location": {"https://api.fabric.microsoft.com/v1/operations/op-1"}, "Retry-After": {"20"},
			}, Body: http.NoBody}, nil
		}),
	})
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		r := httptest.NewRequest("GET", "/v1/workspaces/ws/items?continuationToken=abc", nil)
		r.Header.Set("Origin", pageOrigin)
		r.Header.Set("Authorization", token)
		w := httptest.NewRecorder()
		p.ServeHTTP(w, r)
		if w.Code != 202 {
			b.Fatal(w.Code)
		}
	}
}
