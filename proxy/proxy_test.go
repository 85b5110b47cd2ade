package proxy_test

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/fabric-lro/fabric-lro/proxy"
)

const (
	pageOrigin = "http://127.0.0.1:8080"
	token      = "Bearer secret-token-never-logged"
	maxBody    = 1024
)

// recorded is what an upstream saw of one request.
type recorded struct {
	Method     string
	RequestURI string
	Host       string
	Header     http.Header
	Body       string
	BodyErr    error
}

// upstream is a recording stand-in for the Fabric API.
type upstream struct {
	srv     *httptest.Server
	mu      sync.Mutex
	calls   []recorded
	respond func(w http.ResponseWriter, r *http.Request)
}

func newUpstream(t *testing.T) *upstream {
	u := &upstream{}
	u.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, err := io.ReadAll(r.Body)
		u.mu.Lock()
		u.calls = append(u.calls, recorded{r.Method, r.RequestURI, r.Host, r.Header.Clone(), string(body), err})
		respond := u.respond
		u.mu.Unlock()
		if respond != nil {
			respond(w, r)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		fmt.Fprint(w, `{"value":[]}`)
	}))
	t.Cleanup(u.srv.Close)
	return u
}

func (u *upstream) host() string { return strings.TrimPrefix(u.srv.URL, "http://") }

func (u *upstream) recorded() []recorded {
	u.mu.Lock()
	defer u.mu.Unlock()
	return append([]recorded(nil), u.calls...)
}

// env is a proxy in front of a main upstream and one allowed regional host.
type env struct {
	main, regional *upstream
	proxy          *proxy.Proxy
	logs           *bytes.Buffer
	logMu          *sync.Mutex
}

func newEnv(t *testing.T, mutate func(*proxy.Config)) *env {
	t.Helper()
	e := &env{main: newUpstream(t), regional: newUpstream(t), logs: &bytes.Buffer{}, logMu: &sync.Mutex{}}
	cfg := proxy.Config{
		Upstream:       e.main.srv.URL,
		AllowedOrigins: []string{pageOrigin, "https://*.contoso.com", "http://localhost:*"},
		RedirectHosts:  []string{e.regional.srv.URL, "https://*.analysis.windows.net"},
		MaxBodyBytes:   maxBody,
		Logger:         slog.New(slog.NewTextHandler(lockedWriter{e.logMu, e.logs}, nil)),
	}
	if mutate != nil {
		mutate(&cfg)
	}
	p, err := proxy.New(cfg)
	if err != nil {
		t.Fatalf("proxy.New: %v", err)
	}
	e.proxy = p
	return e
}

func (e *env) log() string {
	e.logMu.Lock()
	defer e.logMu.Unlock()
	return e.logs.String()
}

type lockedWriter struct {
	mu *sync.Mutex
	w  io.Writer
}

func (l lockedWriter) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(p)
}

// expand fills the placeholders {upstream}, {regional} (host:port) and {proxy}
// (the proxy's origin as the caller reached it).
func (e *env) expand(s, proxyOrigin string) string {
	return strings.NewReplacer("{upstream}", e.main.host(), "{regional}", e.regional.host(), "{proxy}", proxyOrigin).Replace(s)
}

// expanding fills the placeholder {regional} in the headers respond writes.
func (e *env) expanding(respond func(http.ResponseWriter, *http.Request)) func(http.ResponseWriter, *http.Request) {
	if respond == nil {
		return nil
	}
	return func(w http.ResponseWriter, r *http.Request) {
		respond(expandingWriter{w, e}, r)
	}
}

type expandingWriter struct {
	http.ResponseWriter
	e *env
}

func (w expandingWriter) WriteHeader(code int) {
	for _, vv := range w.Header() {
		for i, v := range vv {
			vv[i] = strings.ReplaceAll(v, "{regional}", w.e.regional.host())
		}
	}
	w.ResponseWriter.WriteHeader(code)
}

// request is one call to the proxy, sent the same way through every entry point.
type request struct {
	Method  string
	Target  string // raw request target, with placeholders
	Header  [][2]string
	Body    string
	Chunked bool // body of unknown length
}

type response struct {
	Status int
	Header http.Header
	Body   string
}

// entry points: a real server over TCP (raw request line), the handler called
// directly (as net/http would), and the Worker's way (Begin, Finish and Fail
// driven as worker.mjs does).
type entry struct {
	name string
	// nativeOnly entries accept targets no browser or Worker can produce.
	send func(t *testing.T, e *env, req request) (resp response, proxyOrigin string)
}

var entries = []entry{
	{name: "server", send: sendServer},
	{name: "handler", send: sendHandler},
	{name: "worker", send: sendExchange},
}

func sendServer(t *testing.T, e *env, req request) (response, string) {
	t.Helper()
	srv := httptest.NewServer(e.proxy)
	defer srv.Close()
	host := strings.TrimPrefix(srv.URL, "http://")
	proxyOrigin := srv.URL
	conn, err := net.Dial("tcp", host)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	var b strings.Builder
	fmt.Fprintf(&b, "%s %s HTTP/1.1\r\nHost: %s\r\nConnection: close\r\n", req.Method, e.expand(req.Target, proxyOrigin), host)
	for _, h := range req.Header {
		fmt.Fprintf(&b, "%s: %s\r\n", h[0], e.expand(h[1], proxyOrigin))
	}
	switch {
	case req.Chunked:
		fmt.Fprintf(&b, "Transfer-Encoding: chunked\r\n\r\n%x\r\n%s\r\n0\r\n\r\n", len(req.Body), req.Body)
	case req.Body != "":
		fmt.Fprintf(&b, "Content-Length: %d\r\n\r\n%s", len(req.Body), req.Body)
	default:
		b.WriteString("\r\n")
	}
	if _, err := io.WriteString(conn, b.String()); err != nil {
		t.Fatal(err)
	}
	resp, err := http.ReadResponse(bufio.NewReader(conn), &http.Request{Method: req.Method})
	if err != nil {
		t.Fatalf("reading the proxy's answer: %v", err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	return response{resp.StatusCode, resp.Header, string(body)}, proxyOrigin
}

func sendHandler(t *testing.T, e *env, req request) (response, string) {
	t.Helper()
	const proxyOrigin = "http://proxy.test"
	var body io.Reader
	if req.Body != "" {
		body = strings.NewReader(req.Body)
	}
	r := httptest.NewRequest(req.Method, e.expand(req.Target, proxyOrigin), body)
	r.Host = "proxy.test"
	if req.Chunked {
		r.ContentLength = -1
	}
	for _, h := range req.Header {
		r.Header.Add(h[0], e.expand(h[1], proxyOrigin))
	}
	rec := httptest.NewRecorder()
	e.proxy.ServeHTTP(rec, r)
	return response{rec.Code, rec.Result().Header, rec.Body.String()}, proxyOrigin
}

// sendExchange drives Begin, Finish and Fail as the Worker's worker.mjs does:
// the target and the proxy's origin from an absolute URL, Content-Length only
// from the header, the exchange's state carried as text between the calls,
// the upstream reached by a plain transport, and a body of unknown length
// read up to Exchange.MaxBody.
func sendExchange(t *testing.T, e *env, req request) (response, string) {
	t.Helper()
	const proxyOrigin = "https://proxy.workers.dev"
	target := e.expand(req.Target, proxyOrigin)
	if _, err := url.Parse(proxyOrigin + target); err != nil || !strings.HasPrefix(req.Target, "/") {
		t.Skipf("a Worker never sees the target %q", req.Target)
	}
	in := proxy.Incoming{Method: req.Method, Target: target, Self: proxyOrigin, Header: http.Header{}, ContentLength: -1}
	for _, h := range req.Header {
		in.Header.Add(h[0], e.expand(h[1], proxyOrigin))
	}
	if req.Body != "" && !req.Chunked {
		in.ContentLength = int64(len(req.Body))
	}
	x, answer := e.proxy.Begin(in)
	if answer != nil {
		return response{answer.Status, answer.Header, string(answer.Body)}, proxyOrigin
	}
	state, err := x.MarshalText()
	if err != nil {
		t.Fatal(err)
	}
	var body io.Reader
	if x.SendBody && req.Body != "" {
		if int64(len(req.Body)) > x.MaxBody {
			answer = e.proxy.Fail(restore(t, state), proxy.FailTooLarge, nil)
			return response{answer.Status, answer.Header, string(answer.Body)}, proxyOrigin
		}
		body = strings.NewReader(req.Body)
	}
	out, err := http.NewRequestWithContext(t.Context(), x.Method, x.URL, body)
	if err != nil {
		t.Fatal(err)
	}
	out.Header = x.Header
	resp, err := http.DefaultTransport.RoundTrip(out)
	if err != nil {
		answer = e.proxy.Fail(restore(t, state), proxy.FailUnreachable, err)
		return response{answer.Status, answer.Header, string(answer.Body)}, proxyOrigin
	}
	defer resp.Body.Close()
	answer, pass := e.proxy.Finish(restore(t, state), resp.StatusCode, resp.Header)
	if !pass {
		return response{answer.Status, answer.Header, string(answer.Body)}, proxyOrigin
	}
	b, _ := io.ReadAll(resp.Body)
	return response{answer.Status, answer.Header, string(b)}, proxyOrigin
}

// restore is an Exchange from its text form, as the Worker's later calls get it.
func restore(t *testing.T, state []byte) *proxy.Exchange {
	t.Helper()
	var x proxy.Exchange
	if err := x.UnmarshalText(state); err != nil {
		t.Fatalf("UnmarshalText(%q): %v", state, err)
	}
	return &x
}

// proxyCase is one rule of the proxy, checked through every entry point.
type proxyCase struct {
	name     string
	req      request
	respond  func(w http.ResponseWriter, r *http.Request) // the main upstream's answer; nil: 200 {"value":[]}
	regional func(w http.ResponseWriter, r *http.Request) // the regional host's answer
	entries  []string                                     // nil: all

	wantStatus int
	wantCode   string // errorCode of an answer the proxy made itself
	// wantUpstream is the request target the main upstream must see; "" means
	// the main upstream must not be called.
	wantUpstream string
	// wantRegional is the request target the regional host must see; "" means not called.
	wantRegional string
	wantHeader   map[string]string // response headers (after placeholder expansion); "" means absent
	check        func(t *testing.T, e *env, resp response, calls []recorded)
}

func allowedCORS(origin string) map[string]string {
	return map[string]string{"Access-Control-Allow-Origin": origin, "Vary": "Origin"}
}

func header(pairs ...string) [][2]string {
	var h [][2]string
	for i := 0; i+1 < len(pairs); i += 2 {
		h = append(h, [2]string{pairs[i], pairs[i+1]})
	}
	return h
}

var auth = header("Authorization", token, "Origin", pageOrigin)

func respondWith(status int, headers map[string]string, body string) func(http.ResponseWriter, *http.Request) {
	return func(w http.ResponseWriter, r *http.Request) {
		for k, v := range headers {
			w.Header().Set(k, strings.ReplaceAll(v, "{host}", r.Host))
		}
		w.WriteHeader(status)
		io.WriteString(w, body)
	}
}

var proxyCases = []proxyCase{
	// Forwarding: /v1 only, to the one upstream, byte for byte.
	{
		name:         "forwards /v1 to the upstream",
		req:          request{Method: "GET", Target: "/v1/workspaces", Header: auth},
		wantStatus:   200,
		wantUpstream: "/v1/workspaces",
		wantHeader:   allowedCORS(pageOrigin),
		check: func(t *testing.T, e *env, resp response, calls []recorded) {
			if resp.Body != `{"value":[]}` {
				t.Errorf("body %q, want the upstream's", resp.Body)
			}
			if calls[0].Host != e.main.host() {
				t.Errorf("upstream saw Host %q, want %q", calls[0].Host, e.main.host())
			}
		},
	},
	{
		name:         "path and query byte for byte, continuation token untouched",
		req:          request{Method: "GET", Target: "/v1/workspaces/My%20WS/items;v=1/a+b~c?continuationToken=LDEsMTAwMDAwLDA%3D%2B%2f&type=Notebook&x=%7e&&y", Header: auth},
		wantStatus:   200,
		wantUpstream: "/v1/workspaces/My%20WS/items;v=1/a+b~c?continuationToken=LDEsMTAwMDAwLDA%3D%2B%2f&type=Notebook&x=%7e&&y",
	},
	{
		name:         "lower-case percent-encoding and an empty query kept",
		req:          request{Method: "GET", Target: "/v1/workspaces/%c3%a9t%C3%A9?", Header: auth},
		entries:      []string{"server", "handler"},
		wantStatus:   200,
		wantUpstream: "/v1/workspaces/%c3%a9t%C3%A9?",
	},
	{
		name:       "root is not forwarded",
		req:        request{Method: "GET", Target: "/", Header: auth},
		wantStatus: 404, wantCode: proxy.CodeNotFound,
		wantHeader: allowedCORS(pageOrigin),
	},
	{
		name:       "another API version is not forwarded",
		req:        request{Method: "GET", Target: "/v2/workspaces", Header: auth},
		wantStatus: 404, wantCode: proxy.CodeNotFound,
	},
	{
		name:       "a look-alike prefix is not forwarded",
		req:        request{Method: "GET", Target: "/v1x/workspaces", Header: auth},
		wantStatus: 404, wantCode: proxy.CodeNotFound,
	},

	// Hostile paths: 400, nothing forwarded.
	{name: "dot-dot segment", req: request{Method: "GET", Target: "/v1/../admin", Header: auth}, entries: []string{"server", "handler"}, wantStatus: 400, wantCode: proxy.CodeInvalidPath},
	{name: "trailing dot-dot", req: request{Method: "GET", Target: "/v1/workspaces/..", Header: auth}, entries: []string{"server", "handler"}, wantStatus: 400, wantCode: proxy.CodeInvalidPath},
	{name: "dot segment", req: request{Method: "GET", Target: "/v1/./workspaces", Header: auth}, entries: []string{"server", "handler"}, wantStatus: 400, wantCode: proxy.CodeInvalidPath},
	{name: "dot-dot with parameter", req: request{Method: "GET", Target: "/v1/..;x=1/admin", Header: auth}, wantStatus: 400, wantCode: proxy.CodeInvalidPath},
	{name: "encoded dot-dot", req: request{Method: "GET", Target: "/v1/%2e%2e/admin", Header: auth}, wantStatus: 400, wantCode: proxy.CodeInvalidPath},
	{name: "mixed-case encoded dot-dot", req: request{Method: "GET", Target: "/v1/%2E%2e/admin", Header: auth}, wantStatus: 400, wantCode: proxy.CodeInvalidPath},
	{name: "half-encoded dot-dot", req: request{Method: "GET", Target: "/v1/.%2e/admin", Header: auth}, wantStatus: 400, wantCode: proxy.CodeInvalidPath},
	{name: "double-encoded dot-dot", req: request{Method: "GET", Target: "/v1/%252e%252e/admin", Header: auth}, wantStatus: 400, wantCode: proxy.CodeInvalidPath},
	{name: "encoded slash", req: request{Method: "GET", Target: "/v1/workspaces%2f..%2fadmin", Header: auth}, wantStatus: 400, wantCode: proxy.CodeInvalidPath},
	{name: "upper-case encoded slash", req: request{Method: "GET", Target: "/v1/a%2Fb", Header: auth}, wantStatus: 400, wantCode: proxy.CodeInvalidPath},
	{name: "encoded backslash", req: request{Method: "GET", Target: "/v1/a%5c..%5cb", Header: auth}, wantStatus: 400, wantCode: proxy.CodeInvalidPath},
	{name: "backslash", req: request{Method: "GET", Target: `/v1/a\..\b`, Header: auth}, entries: []string{"server", "handler"}, wantStatus: 400, wantCode: proxy.CodeInvalidPath},
	{name: "encoded NUL", req: request{Method: "GET", Target: "/v1/a%00b", Header: auth}, wantStatus: 400, wantCode: proxy.CodeInvalidPath},
	{name: "unencoded quote", req: request{Method: "GET", Target: `/v1/a"b`, Header: auth}, entries: []string{"server", "handler"}, wantStatus: 400, wantCode: proxy.CodeInvalidPath},
	{name: "absolute URL as target", req: request{Method: "GET", Target: "http://evil.example/v1/workspaces", Header: auth}, entries: []string{"server", "handler"}, wantStatus: 400, wantCode: proxy.CodeInvalidPath},
	{name: "protocol-relative //host", req: request{Method: "GET", Target: "//evil.example/v1/workspaces", Header: auth}, entries: []string{"server", "handler"}, wantStatus: 400, wantCode: proxy.CodeInvalidPath},
	{name: "empty segment //host inside", req: request{Method: "GET", Target: "/v1//evil.example/x", Header: auth}, wantStatus: 400, wantCode: proxy.CodeInvalidPath},
	{name: "user@host after the prefix", req: request{Method: "GET", Target: "/v1@evil.example/workspaces", Header: auth}, wantStatus: 400, wantCode: proxy.CodeInvalidPath},
	{name: "user@host as regional host", req: request{Method: "GET", Target: "/_fabric/http/user@{regional}/v1/operations/x", Header: auth}, wantStatus: 400, wantCode: proxy.CodeInvalidPath},
	{name: "encoded host in regional path", req: request{Method: "GET", Target: "/_fabric/https/evil%2eexample/v1/x", Header: auth}, wantStatus: 400, wantCode: proxy.CodeInvalidPath},
	{name: "regional path with another scheme", req: request{Method: "GET", Target: "/_fabric/file/{regional}/v1/x", Header: auth}, wantStatus: 400, wantCode: proxy.CodeInvalidPath},

	// Regional hosts.
	{
		name:         "regional path forwarded to an allowed host only",
		req:          request{Method: "GET", Target: "/_fabric/http/{regional}/v1/operations/abc?x=%2F", Header: auth},
		wantStatus:   200,
		wantRegional: "/v1/operations/abc?x=%2F",
	},
	{
		name:       "regional host not in the allow-list",
		req:        request{Method: "GET", Target: "/_fabric/https/evil.example/v1/operations/abc", Header: auth},
		wantStatus: 403, wantCode: proxy.CodeHostNotAllowed,
	},
	{
		name:       "regional host allowed for https only, not http",
		req:        request{Method: "GET", Target: "/_fabric/http/wabi-west-europe-d-primary-redirect.analysis.windows.net/v1/operations/abc", Header: auth},
		wantStatus: 403, wantCode: proxy.CodeHostNotAllowed,
	},
	{
		name:       "look-alike of the redirect-host pattern",
		req:        request{Method: "GET", Target: "/_fabric/https/analysis.windows.net.evil.example/v1/operations/abc", Header: auth},
		wantStatus: 403, wantCode: proxy.CodeHostNotAllowed,
	},
	{
		name:       "regional path outside /v1",
		req:        request{Method: "GET", Target: "/_fabric/http/{regional}/admin", Header: auth},
		wantStatus: 404, wantCode: proxy.CodeNotFound,
	},

	// Operation URLs without /v1, as the spec's examples write Location: GET only.
	{
		name:         "operation path without /v1 forwarded byte for byte",
		req:          request{Method: "GET", Target: "/operations/op-1", Header: auth},
		wantStatus:   200,
		wantUpstream: "/operations/op-1",
		wantHeader:   allowedCORS(pageOrigin),
	},
	{
		name:         "operation result path without /v1 forwarded with its query",
		req:          request{Method: "GET", Target: "/operations/op-1/result?a=%2F&b", Header: auth},
		wantStatus:   200,
		wantUpstream: "/operations/op-1/result?a=%2F&b",
	},
	{
		name:         "operation path without /v1 on a regional host",
		req:          request{Method: "GET", Target: "/_fabric/http/{regional}/operations/op-2/result", Header: auth},
		wantStatus:   200,
		wantRegional: "/operations/op-2/result",
	},
	{
		name:       "operation path without /v1 on a host not allowed",
		req:        request{Method: "GET", Target: "/_fabric/https/evil.example/operations/op-2", Header: auth},
		wantStatus: 403, wantCode: proxy.CodeHostNotAllowed,
	},
	{
		name:       "operation path without /v1 takes GET only",
		req:        request{Method: "DELETE", Target: "/operations/op-1", Header: auth},
		wantStatus: 405, wantCode: proxy.CodeMethodNotAllowed,
		wantHeader: map[string]string{"Allow": "GET"},
	},
	{
		name:       "preflight for POST on an operation path without /v1",
		req:        request{Method: "OPTIONS", Target: "/operations/op-1", Header: header("Origin", pageOrigin, "Access-Control-Request-Method", "POST")},
		wantStatus: 403, wantCode: proxy.CodeCORSRequestRefused,
	},
	{
		name:       "preflight for GET on an operation path without /v1",
		req:        request{Method: "OPTIONS", Target: "/operations/op-1/result", Header: header("Origin", pageOrigin, "Access-Control-Request-Method", "GET", "Access-Control-Request-Headers", "authorization")},
		wantStatus: 204,
		wantHeader: map[string]string{"Access-Control-Allow-Origin": pageOrigin},
	},
	{name: "other path under /operations not forwarded", req: request{Method: "GET", Target: "/operations/op-1/cancel", Header: auth}, wantStatus: 404, wantCode: proxy.CodeNotFound},
	{name: "operation path with a trailing slash not forwarded", req: request{Method: "GET", Target: "/operations/op-1/", Header: auth}, wantStatus: 404, wantCode: proxy.CodeNotFound},
	{name: "operations list not forwarded", req: request{Method: "GET", Target: "/operations", Header: auth}, wantStatus: 404, wantCode: proxy.CodeNotFound},
	{name: "other path without /v1 not forwarded", req: request{Method: "GET", Target: "/workspaces", Header: auth}, wantStatus: 404, wantCode: proxy.CodeNotFound},
	{name: "dot-dot after /operations", req: request{Method: "GET", Target: "/operations/../admin", Header: auth}, entries: []string{"server", "handler"}, wantStatus: 400, wantCode: proxy.CodeInvalidPath},
	{name: "encoded dot-dot as operation id", req: request{Method: "GET", Target: "/operations/%2e%2e/result", Header: auth}, wantStatus: 400, wantCode: proxy.CodeInvalidPath},
	{name: "encoded slash in operation id", req: request{Method: "GET", Target: "/operations/a%2f..%2f..%2fadmin", Header: auth}, wantStatus: 400, wantCode: proxy.CodeInvalidPath},
	{name: "dot-dot with parameter as operation id", req: request{Method: "GET", Target: "/operations/..;x/result", Header: auth}, wantStatus: 400, wantCode: proxy.CodeInvalidPath},

	// Request headers.
	{
		name: "request header allow-list",
		req: request{Method: "GET", Target: "/v1/workspaces", Header: header(
			"Authorization", token, "Origin", pageOrigin, "Accept", "application/json", "If-Match", `"etag1"`,
			"x-ms-client-tag", "t1", "Cookie", "session=1", "X-Forwarded-For", "10.0.0.1", "X-Forwarded-Host", "evil.example",
			"Forwarded", "for=10.0.0.1", "X-Real-Ip", "10.0.0.1", "Referer", pageOrigin+"/page", "Connection", "close, x-ms-hop",
			"x-ms-hop", "drop me", "Proxy-Authorization", "Basic eDp5", "User-Agent", "browser/1.0")},
		wantStatus:   200,
		wantUpstream: "/v1/workspaces",
		check: func(t *testing.T, e *env, resp response, calls []recorded) {
			h := calls[0].Header
			for name, want := range map[string]string{"Authorization": token, "Accept": "application/json", "If-Match": `"etag1"`, "X-Ms-Client-Tag": "t1", "User-Agent": "fabric-lro-proxy"} {
				if got := h.Get(name); got != want {
					t.Errorf("upstream header %s = %q, want %q", name, got, want)
				}
			}
			for _, name := range []string{"Cookie", "X-Forwarded-For", "X-Forwarded-Host", "Forwarded", "X-Real-Ip", "Referer", "Origin", "X-Ms-Hop", "Proxy-Authorization"} {
				if got := h.Get(name); got != "" {
					t.Errorf("upstream header %s = %q, want none", name, got)
				}
			}
		},
	},

	// Request body.
	{
		name:         "body forwarded with its type",
		req:          request{Method: "POST", Target: "/v1/workspaces/ws/items", Header: header("Authorization", token, "Origin", pageOrigin, "Content-Type", "application/json"), Body: `{"displayName":"nb","type":"Notebook"}`},
		wantStatus:   200,
		wantUpstream: "/v1/workspaces/ws/items",
		check: func(t *testing.T, e *env, resp response, calls []recorded) {
			if calls[0].Method != "POST" || calls[0].Body != `{"displayName":"nb","type":"Notebook"}` || calls[0].Header.Get("Content-Type") != "application/json" {
				t.Errorf("upstream saw %s %q (%s)", calls[0].Method, calls[0].Body, calls[0].Header.Get("Content-Type"))
			}
		},
	},
	{
		name:         "body of unknown length forwarded",
		req:          request{Method: "PATCH", Target: "/v1/workspaces/ws/items/it", Header: auth, Body: `{"displayName":"renamed"}`, Chunked: true},
		wantStatus:   200,
		wantUpstream: "/v1/workspaces/ws/items/it",
		check: func(t *testing.T, e *env, resp response, calls []recorded) {
			if calls[0].Body != `{"displayName":"renamed"}` {
				t.Errorf("upstream body %q", calls[0].Body)
			}
		},
	},
	{
		name:       "body over the limit by Content-Length",
		req:        request{Method: "POST", Target: "/v1/workspaces/ws/items", Header: auth, Body: strings.Repeat("x", maxBody+1)},
		wantStatus: 413, wantCode: proxy.CodeRequestTooLarge,
		wantHeader: allowedCORS(pageOrigin),
	},
	{
		name: "body over the limit, length unknown",
		req:  request{Method: "POST", Target: "/v1/workspaces/ws/items", Header: auth, Body: strings.Repeat("x", maxBody+1), Chunked: true},
		// Read in full first: the upstream sees nothing, not even the start.
		wantStatus: 413, wantCode: proxy.CodeRequestTooLarge,
		wantHeader: allowedCORS(pageOrigin),
	},
	{
		name:       "two Authorization headers",
		req:        request{Method: "GET", Target: "/v1/workspaces", Header: [][2]string{{"Authorization", "Bearer a"}, {"Authorization", "Bearer b"}}},
		wantStatus: 400, wantCode: proxy.CodeInvalidHeader,
	},
	{
		name:       "two tokens in one Authorization header (a runtime joined them)",
		req:        request{Method: "GET", Target: "/v1/workspaces", Header: [][2]string{{"Authorization", "Bearer a, Bearer b"}}},
		wantStatus: 400, wantCode: proxy.CodeInvalidHeader,
	},
	{
		name:       "headers to forward over 32 KiB",
		req:        request{Method: "GET", Target: "/v1/workspaces", Header: [][2]string{{"Authorization", "Bearer a"}, {"x-ms-client-tag", strings.Repeat("t", 32<<10)}}},
		wantStatus: 431, wantCode: proxy.CodeHeadersTooLarge,
	},
	{
		name:         "large headers the proxy drops do not count",
		req:          request{Method: "GET", Target: "/v1/workspaces", Header: [][2]string{{"Authorization", "Bearer a"}, {"Cookie", strings.Repeat("c", 32<<10)}}},
		wantStatus:   200,
		wantUpstream: "/v1/workspaces",
	},
	{
		name:       "overlong UTF-8 dot-dot",
		req:        request{Method: "GET", Target: "/v1/%c0%ae%c0%ae/admin", Header: auth},
		wantStatus: 400, wantCode: proxy.CodeInvalidPath,
	},
	{
		name:         "body exactly at the limit",
		req:          request{Method: "PUT", Target: "/v1/workspaces/ws/items/it", Header: auth, Body: strings.Repeat("y", maxBody), Chunked: true},
		wantStatus:   200,
		wantUpstream: "/v1/workspaces/ws/items/it",
	},

	// Response.
	{
		name: "status, headers and body come back; hop-by-hop, cookies and upstream CORS do not",
		req:  request{Method: "GET", Target: "/v1/workspaces/ws", Header: auth},
		respond: respondWith(429, map[string]string{
			"Retry-After": "55", "x-ms-public-api-error-code": "RequestBlocked", "requestId": "r-1", "ETag": `"e1"`,
			"Set-Cookie": "track=1", "Access-Control-Allow-Origin": "*", "Access-Control-Allow-Credentials": "true",
			"Keep-Alive": "timeout=5", "Connection": "x-ms-conn-only", "x-ms-conn-only": "1", "Content-Type": "application/json",
		}, `{"errorCode":"RequestBlocked","message":"throttled"}`),
		wantStatus:   429,
		wantUpstream: "/v1/workspaces/ws",
		wantHeader: map[string]string{
			"Retry-After": "55", "x-ms-public-api-error-code": "RequestBlocked", "requestId": "r-1", "ETag": `"e1"`,
			"Set-Cookie": "", "Access-Control-Allow-Origin": pageOrigin, "Access-Control-Allow-Credentials": "",
			"Keep-Alive": "", "x-ms-conn-only": "",
		},
		check: func(t *testing.T, e *env, resp response, calls []recorded) {
			if resp.Body != `{"errorCode":"RequestBlocked","message":"throttled"}` {
				t.Errorf("body %q", resp.Body)
			}
			exposed := strings.ToLower(resp.Header.Get("Access-Control-Expose-Headers"))
			for _, h := range []string{"location", "x-ms-operation-id", "retry-after", "x-ms-public-api-error-code", "requestid", "x-ms-job-id", "deployment-id", "etag"} {
				if !strings.Contains(exposed, h) {
					t.Errorf("Access-Control-Expose-Headers %q lacks %s", exposed, h)
				}
			}
		},
	},
	{
		name:         "202 Location on the upstream rewritten to the proxy",
		req:          request{Method: "POST", Target: "/v1/workspaces/ws/items", Header: auth, Body: "{}"},
		respond:      respondWith(202, map[string]string{"Location": "http://{host}/v1/operations/op-1", "x-ms-operation-id": "op-1", "Retry-After": "20"}, ""),
		wantStatus:   202,
		wantUpstream: "/v1/workspaces/ws/items",
		wantHeader:   map[string]string{"Location": "{proxy}/v1/operations/op-1", "x-ms-operation-id": "op-1", "Retry-After": "20"},
	},
	{
		name:         "Location with a query kept byte for byte",
		req:          request{Method: "GET", Target: "/v1/operations/op-1", Header: auth},
		respond:      respondWith(200, map[string]string{"Location": "http://{host}/v1/operations/op-1/result?a=%2F%3d&b"}, `{"status":"Succeeded"}`),
		wantStatus:   200,
		wantUpstream: "/v1/operations/op-1",
		wantHeader:   map[string]string{"Location": "{proxy}/v1/operations/op-1/result?a=%2F%3d&b"},
	},
	{
		name:         "202 Location without /v1 on the upstream rewritten byte for byte",
		req:          request{Method: "POST", Target: "/v1/workspaces/ws/items", Header: auth, Body: "{}"},
		respond:      respondWith(202, map[string]string{"Location": "http://{host}/operations/op-1", "x-ms-operation-id": "op-1"}, ""),
		wantStatus:   202,
		wantUpstream: "/v1/workspaces/ws/items",
		wantHeader:   map[string]string{"Location": "{proxy}/operations/op-1"},
	},
	{
		name:         "result Location without /v1 rewritten byte for byte",
		req:          request{Method: "GET", Target: "/operations/op-1", Header: auth},
		respond:      respondWith(200, map[string]string{"Location": "http://{host}/operations/op-1/result"}, `{"status":"Succeeded"}`),
		wantStatus:   200,
		wantUpstream: "/operations/op-1",
		wantHeader:   map[string]string{"Location": "{proxy}/operations/op-1/result"},
	},
	{
		name:         "regional Location without /v1 rewritten to the regional proxy path",
		req:          request{Method: "POST", Target: "/v1/workspaces/ws/notebooks", Header: auth, Body: "{}"},
		respond:      respondWith(202, map[string]string{"Location": "http://{regional}/operations/op-2"}, ""),
		wantStatus:   202,
		wantUpstream: "/v1/workspaces/ws/notebooks",
		wantHeader:   map[string]string{"Location": "{proxy}/_fabric/http/{regional}/operations/op-2"},
	},
	{
		name:         "relative Location made absolute on the proxy",
		req:          request{Method: "GET", Target: "/v1/operations/op-1", Header: auth},
		respond:      respondWith(200, map[string]string{"Location": "/v1/operations/op-1/result"}, "{}"),
		wantStatus:   200,
		wantUpstream: "/v1/operations/op-1",
		wantHeader:   map[string]string{"Location": "{proxy}/v1/operations/op-1/result"},
	},
	{
		name:         "regional Location rewritten to the regional proxy path",
		req:          request{Method: "POST", Target: "/v1/workspaces/ws/notebooks", Header: auth, Body: "{}"},
		respond:      respondWith(202, map[string]string{"Location": "http://{regional}/v1/operations/op-2"}, ""),
		wantStatus:   202,
		wantUpstream: "/v1/workspaces/ws/notebooks",
		wantHeader:   map[string]string{"Location": "{proxy}/_fabric/http/{regional}/v1/operations/op-2"},
	},
	{
		name:         "Fabric's regional redirect host rewritten",
		req:          request{Method: "POST", Target: "/v1/workspaces/ws/notebooks", Header: auth, Body: "{}"},
		respond:      respondWith(202, map[string]string{"Location": "https://wabi-west-europe-d-primary-redirect.analysis.windows.net/v1/operations/op-3"}, ""),
		wantStatus:   202,
		wantUpstream: "/v1/workspaces/ws/notebooks",
		wantHeader:   map[string]string{"Location": "{proxy}/_fabric/https/wabi-west-europe-d-primary-redirect.analysis.windows.net/v1/operations/op-3"},
	},
	{
		name:         "Location on the regional host, relative, stays regional",
		req:          request{Method: "GET", Target: "/_fabric/http/{regional}/v1/operations/op-2", Header: auth},
		regional:     respondWith(200, map[string]string{"Location": "/v1/operations/op-2/result"}, "{}"),
		wantStatus:   200,
		wantRegional: "/v1/operations/op-2",
		wantHeader:   map[string]string{"Location": "{proxy}/_fabric/http/{regional}/v1/operations/op-2/result"},
	},
	{
		name:         "redirect not followed, its Location rewritten",
		req:          request{Method: "GET", Target: "/v1/workspaces", Header: auth},
		respond:      respondWith(302, map[string]string{"Location": "http://{host}/v1/workspaces?page=2"}, ""),
		wantStatus:   302,
		wantUpstream: "/v1/workspaces",
		wantHeader:   map[string]string{"Location": "{proxy}/v1/workspaces?page=2"},
		check: func(t *testing.T, e *env, resp response, calls []recorded) {
			if len(calls) != 1 {
				t.Errorf("upstream called %d times, want 1 (no redirect followed)", len(calls))
			}
		},
	},
	{
		name:         "redirect to a foreign host is not followed and points at the proxy, which refuses it",
		req:          request{Method: "GET", Target: "/v1/workspaces", Header: auth},
		respond:      respondWith(307, map[string]string{"Location": "https://evil.example/steal"}, ""),
		wantStatus:   307,
		wantUpstream: "/v1/workspaces",
		wantHeader:   map[string]string{"Location": "{proxy}/_fabric/https/evil.example/steal"},
	},

	// A Location the proxy cannot point at itself never reaches the page.
	{
		name:       "IPv6 Location replaced by 502",
		req:        request{Method: "POST", Target: "/v1/workspaces/ws/items", Header: auth, Body: "{}"},
		respond:    respondWith(202, map[string]string{"Location": "http://[::1]:8790/v1/operations/op-1", "x-ms-operation-id": "op-1"}, "upstream body"),
		wantStatus: 502, wantCode: proxy.CodeUpstreamLocationInvalid,
		wantUpstream: "/v1/workspaces/ws/items",
		wantHeader:   map[string]string{"Location": "", "x-ms-operation-id": "", "Access-Control-Allow-Origin": pageOrigin},
		check: func(t *testing.T, e *env, resp response, calls []recorded) {
			if strings.Contains(resp.Body, "upstream body") || strings.Contains(resp.Body, "::1") {
				t.Errorf("the upstream's answer leaked: %s", resp.Body)
			}
		},
	},
	{
		name:       "unparsable Location replaced by 502",
		req:        request{Method: "GET", Target: "/v1/operations/op-1", Header: auth},
		respond:    respondWith(200, map[string]string{"Location": "https://%zz/v1/operations/op-1/result"}, "{}"),
		wantStatus: 502, wantCode: proxy.CodeUpstreamLocationInvalid,
		wantUpstream: "/v1/operations/op-1",
		wantHeader:   map[string]string{"Location": ""},
	},
	{
		name:       "Location of another scheme replaced by 502",
		req:        request{Method: "GET", Target: "/v1/workspaces", Header: auth},
		respond:    respondWith(302, map[string]string{"Location": "javascript:alert(1)"}, ""),
		wantStatus: 502, wantCode: proxy.CodeUpstreamLocationInvalid,
		wantUpstream: "/v1/workspaces",
		wantHeader:   map[string]string{"Location": ""},
	},

	// CORS.
	{
		name: "preflight answered at the proxy",
		req: request{Method: "OPTIONS", Target: "/v1/workspaces/ws/items/it", Header: header("Origin", pageOrigin,
			"Access-Control-Request-Method", "PATCH", "Access-Control-Request-Headers", "authorization, content-type, x-ms-client-tag, X-MS-Other")},
		wantStatus: 204,
		wantHeader: map[string]string{
			"Access-Control-Allow-Origin":  pageOrigin,
			"Access-Control-Allow-Methods": "GET, POST, PUT, PATCH, DELETE",
			"Access-Control-Allow-Headers": "Authorization, Content-Type, Accept, If-Match, If-None-Match, x-ms-client-tag, x-ms-other",
			"Access-Control-Max-Age":       "7200",
		},
		check: func(t *testing.T, e *env, resp response, calls []recorded) {
			vary := strings.Join(resp.Header.Values("Vary"), ", ")
			for _, v := range []string{"Origin", "Access-Control-Request-Method", "Access-Control-Request-Headers"} {
				if !strings.Contains(vary, v) {
					t.Errorf("Vary %q lacks %s", vary, v)
				}
			}
			if resp.Body != "" {
				t.Errorf("preflight body %q, want none", resp.Body)
			}
		},
	},
	{
		name:       "preflight asking for DELETE",
		req:        request{Method: "OPTIONS", Target: "/v1/workspaces/ws", Header: header("Origin", "https://app.contoso.com", "Access-Control-Request-Method", "DELETE")},
		wantStatus: 204,
		wantHeader: map[string]string{"Access-Control-Allow-Origin": "https://app.contoso.com", "Access-Control-Allow-Methods": "GET, POST, PUT, PATCH, DELETE"},
	},
	{
		name:       "preflight asking for a header the proxy drops",
		req:        request{Method: "OPTIONS", Target: "/v1/workspaces", Header: header("Origin", pageOrigin, "Access-Control-Request-Method", "GET", "Access-Control-Request-Headers", "authorization, x-forwarded-host")},
		wantStatus: 403, wantCode: proxy.CodeCORSRequestRefused,
	},
	{
		name:       "preflight asking for an odd method",
		req:        request{Method: "OPTIONS", Target: "/v1/workspaces", Header: header("Origin", pageOrigin, "Access-Control-Request-Method", "TRACE")},
		wantStatus: 403, wantCode: proxy.CodeCORSRequestRefused,
	},
	{
		name:       "preflight from a disallowed origin",
		req:        request{Method: "OPTIONS", Target: "/v1/workspaces", Header: header("Origin", "https://evil.example", "Access-Control-Request-Method", "GET")},
		wantStatus: 403, wantCode: proxy.CodeOriginNotAllowed,
		wantHeader: map[string]string{"Access-Control-Allow-Origin": "", "Vary": "Origin"},
	},
	{
		name:         "origin matching a subdomain pattern",
		req:          request{Method: "GET", Target: "/v1/workspaces", Header: header("Origin", "https://app.eu.contoso.com")},
		wantStatus:   200,
		wantUpstream: "/v1/workspaces",
		wantHeader:   allowedCORS("https://app.eu.contoso.com"),
	},
	{
		name:         "origin matching a port pattern",
		req:          request{Method: "GET", Target: "/v1/workspaces", Header: header("Origin", "http://localhost:5173")},
		wantStatus:   200,
		wantUpstream: "/v1/workspaces",
		wantHeader:   allowedCORS("http://localhost:5173"),
	},
	{
		name:         "the proxy's own origin on a loopback host",
		req:          request{Method: "POST", Target: "/v1/workspaces", Header: header("Origin", "{proxy}"), Body: "{}"},
		entries:      []string{"server"}, // http://127.0.0.1:PORT
		wantStatus:   200,
		wantUpstream: "/v1/workspaces",
		wantHeader:   allowedCORS("{proxy}"),
	},
	{
		name:       "the Host-derived origin elsewhere is not trusted (DNS rebinding)",
		req:        request{Method: "POST", Target: "/v1/workspaces", Header: header("Origin", "{proxy}"), Body: "{}"},
		entries:    []string{"handler", "worker"}, // http://proxy.test, https://proxy.workers.dev
		wantStatus: 403, wantCode: proxy.CodeOriginNotAllowed,
		wantHeader: map[string]string{"Access-Control-Allow-Origin": ""},
	},
	{
		name:         "no Origin (curl, servers): forwarded, no CORS headers",
		req:          request{Method: "GET", Target: "/v1/workspaces", Header: header("Authorization", token)},
		wantStatus:   200,
		wantUpstream: "/v1/workspaces",
		wantHeader:   map[string]string{"Access-Control-Allow-Origin": "", "Vary": "Origin"},
	},
	{name: "apex of a subdomain pattern refused", req: request{Method: "GET", Target: "/v1/workspaces", Header: header("Origin", "https://contoso.com")}, wantStatus: 403, wantCode: proxy.CodeOriginNotAllowed, wantHeader: map[string]string{"Access-Control-Allow-Origin": "", "Vary": "Origin"}},
	{name: "suffix look-alike refused", req: request{Method: "GET", Target: "/v1/workspaces", Header: header("Origin", "https://evilcontoso.com")}, wantStatus: 403, wantCode: proxy.CodeOriginNotAllowed},
	{name: "pattern as a prefix refused", req: request{Method: "GET", Target: "/v1/workspaces", Header: header("Origin", "https://app.contoso.com.evil.example")}, wantStatus: 403, wantCode: proxy.CodeOriginNotAllowed},
	{name: "other scheme refused", req: request{Method: "GET", Target: "/v1/workspaces", Header: header("Origin", "http://app.contoso.com")}, wantStatus: 403, wantCode: proxy.CodeOriginNotAllowed},
	{name: "other port refused", req: request{Method: "GET", Target: "/v1/workspaces", Header: header("Origin", "http://127.0.0.1:8081")}, wantStatus: 403, wantCode: proxy.CodeOriginNotAllowed},
	{name: "null origin refused", req: request{Method: "GET", Target: "/v1/workspaces", Header: header("Origin", "null")}, wantStatus: 403, wantCode: proxy.CodeOriginNotAllowed},
	{name: "origin with userinfo refused", req: request{Method: "GET", Target: "/v1/workspaces", Header: header("Origin", "https://x@app.contoso.com")}, wantStatus: 403, wantCode: proxy.CodeOriginNotAllowed},
	{name: "two Origin headers refused", req: request{Method: "GET", Target: "/v1/workspaces", Header: header("Origin", pageOrigin, "Origin", "https://evil.example")}, wantStatus: 403, wantCode: proxy.CodeOriginNotAllowed},

	// Methods.
	{name: "TRACE refused", req: request{Method: "TRACE", Target: "/v1/workspaces", Header: auth}, wantStatus: 405, wantCode: proxy.CodeMethodNotAllowed, wantHeader: map[string]string{"Allow": "GET, HEAD, POST, PUT, PATCH, DELETE"}},
	{name: "OPTIONS that is no preflight refused", req: request{Method: "OPTIONS", Target: "/v1/workspaces", Header: header("Authorization", token)}, wantStatus: 405, wantCode: proxy.CodeMethodNotAllowed},
	{name: "DELETE forwarded", req: request{Method: "DELETE", Target: "/v1/workspaces/ws/items/it", Header: auth}, wantStatus: 200, wantUpstream: "/v1/workspaces/ws/items/it"},
}

func TestProxy(t *testing.T) {
	for _, tc := range proxyCases {
		for _, ep := range entries {
			if tc.entries != nil && !contains(tc.entries, ep.name) {
				continue
			}
			t.Run(tc.name+"/"+ep.name, func(t *testing.T) {
				e := newEnv(t, nil)
				e.main.respond = e.expanding(tc.respond)
				e.regional.respond = e.expanding(tc.regional)
				resp, proxyOrigin := ep.send(t, e, tc.req)
				if resp.Status != tc.wantStatus {
					t.Fatalf("status %d, want %d; body %s", resp.Status, tc.wantStatus, resp.Body)
				}
				checkCalls(t, "main upstream", e.main.recorded(), e.expand(tc.wantUpstream, proxyOrigin))
				checkCalls(t, "regional host", e.regional.recorded(), e.expand(tc.wantRegional, proxyOrigin))
				if tc.wantCode != "" {
					checkProxyError(t, resp, tc.wantCode)
				}
				if !contains(resp.Header.Values("Vary"), "Origin") {
					t.Errorf("Vary %q lacks Origin", resp.Header.Values("Vary"))
				}
				for name, want := range tc.wantHeader {
					want = e.expand(want, proxyOrigin)
					got := resp.Header.Get(name)
					if name == "Vary" {
						got = strings.Join(resp.Header.Values(name), ", ")
						if !strings.Contains(got, want) {
							t.Errorf("Vary %q lacks %q", got, want)
						}
						continue
					}
					if got != want {
						t.Errorf("response header %s = %q, want %q", name, got, want)
					}
				}
				if tc.check != nil {
					tc.check(t, e, resp, append(e.main.recorded(), e.regional.recorded()...))
				}
				log := e.log()
				if strings.Contains(log, "secret-token") {
					t.Errorf("the log contains the Authorization token:\n%s", log)
				}
				if n := strings.Count(log, `msg="fabric proxy"`); n != 1 {
					t.Errorf("%d log lines for one request, want 1:\n%s", n, log)
				}
			})
		}
	}
}

func checkCalls(t *testing.T, who string, calls []recorded, want string) {
	t.Helper()
	switch {
	case want == "*":
	case want == "" && len(calls) > 0:
		t.Errorf("%s was called (%s %s), want no call", who, calls[0].Method, calls[0].RequestURI)
	case want != "" && len(calls) != 1:
		t.Errorf("%s was called %d times, want once with %s", who, len(calls), want)
	case want != "" && calls[0].RequestURI != want:
		t.Errorf("%s saw %q, want %q (byte for byte)", who, calls[0].RequestURI, want)
	}
}

func checkProxyError(t *testing.T, resp response, code string) {
	t.Helper()
	var er proxy.ErrorResponse
	if err := json.Unmarshal([]byte(resp.Body), &er); err != nil {
		t.Fatalf("body is not a Fabric ErrorResponse: %v: %q", err, resp.Body)
	}
	if er.ErrorCode != code || er.Message == "" || er.RequestID == "" {
		t.Errorf("ErrorResponse %+v, want errorCode %s with a message and requestId", er, code)
	}
	if got := resp.Header.Get("x-ms-public-api-error-code"); got != code {
		t.Errorf("x-ms-public-api-error-code %q, want %q", got, code)
	}
	if got := resp.Header.Get("requestId"); got != er.RequestID {
		t.Errorf("requestId header %q, body %q", got, er.RequestID)
	}
	if ct := resp.Header.Get("Content-Type"); !strings.HasPrefix(ct, "application/json") {
		t.Errorf("Content-Type %q, want JSON", ct)
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
